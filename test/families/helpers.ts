import { Effect, Layer, Redacted, Stream } from "effect"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import * as BedrockRuntime from "../../src/BedrockRuntime.js"
import { ClientConfig, ConnectionConfig, ModelConfig, StaticCredentials } from "../../src/Config.js"
import { Emulator } from "../../src/emulator/Emulator.js"
import type * as NativeBody from "../../src/families/NativeBody.js"
import { captureInvocationMetrics, invocationMetricsOf } from "../../src/internal/transport/invocationHeaders.js"
import type * as Message from "../../src/Message.js"
import * as Response from "../../src/Response.js"

/** Emulator on an ephemeral loopback port + a `BedrockRuntime` over it (real SDK, HTTP/2 unless asked otherwise). */
export const emulatorLayer = (protocol: "http2" | "http1.1" = "http2") => {
  const emulator = Emulator.layer()
  const runtime = Layer.unwrapEffect(Effect.map(Emulator, (running) =>
    BedrockRuntime.layer(
      new ClientConfig({
        region: "us-east-1",
        endpoint: running.url,
        credentials: new StaticCredentials({
          accessKeyId: "AKIDEXAMPLE",
          secretAccessKey: Redacted.make("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
        }),
        connection: new ConnectionConfig({ protocol })
      })
    )))
  return runtime.pipe(Layer.provideMerge(emulator))
}

export const encoder = new TextEncoder()

/** Encodes a request, sends it with InvokeModel and decodes the answer. */
export const invoke = (
  implementation: NativeBody.NativeBody,
  request: NativeBody.EncodeRequest
) =>
  Effect.gen(function*() {
    const runtime = yield* BedrockRuntime.BedrockRuntime
    captureInvocationMetrics(runtime.sdk)
    const body = yield* implementation.encodeRequest(request)
    const output = yield* runtime.invokeModel({
      modelId: request.model.modelId,
      body: encoder.encode(JSON.stringify(body)),
      contentType: "application/json",
      accept: "application/json"
    })
    const json = JSON.parse(new TextDecoder().decode(output.body))
    const metrics = invocationMetricsOf(output)
    return { json, metrics, response: yield* implementation.decodeResponse(json, output.$metadata.requestId, metrics) }
  })

/** Encodes a request, streams it with InvokeModelWithResponseStream, and returns the events and their fold. */
export const invokeStream = (
  implementation: NativeBody.NativeBody,
  request: NativeBody.EncodeRequest
) =>
  Effect.scoped(Effect.gen(function*() {
    const runtime = yield* BedrockRuntime.BedrockRuntime
    const body = yield* implementation.encodeRequest(request)
    const open = yield* runtime.invokeModelWithResponseStream({
      modelId: request.model.modelId,
      body: encoder.encode(JSON.stringify(body)),
      contentType: "application/json",
      accept: "application/json"
    })
    const events = Array.from(yield* Stream.runCollect(implementation.decodeStream(open.events, open.requestId)))
    const response = yield* Response.fromEvents(events, open.requestId)
    return { events, response }
  }))

export const request = (
  modelId: string,
  messages: ReadonlyArray<Message.Message>,
  extra: Omit<Partial<ConstructorParameters<typeof ModelConfig>[0]>, "system"> & {
    readonly system?: ReadonlyArray<Message.SystemContentBlock>
    readonly toolConfig?: NativeBody.EncodeRequest["toolConfig"]
  } = {}
): NativeBody.EncodeRequest => {
  const { system, toolConfig, ...model } = extra
  return {
    messages,
    model: new ModelConfig({ modelId, ...model }),
    ...(system !== undefined ? { system } : {}),
    ...(toolConfig !== undefined ? { toolConfig } : {})
  }
}

const recordings = join(import.meta.dirname, "..", "fixtures", "recordings")

export interface Recording {
  readonly modelId: string
  readonly request: { readonly body: unknown }
  readonly response: { readonly status: number; readonly headers: Record<string, string>; readonly body?: unknown }
  readonly frames?: ReadonlyArray<{ readonly bytesDecoded?: Record<string, unknown> }>
}

export const recording = (name: string): Recording => JSON.parse(readFileSync(join(recordings, name), "utf8"))

/** The native chunks of a recorded InvokeModelWithResponseStream, as the bytes the SDK hands over. */
export const recordedChunks = (rec: Recording): ReadonlyArray<Uint8Array> =>
  (rec.frames ?? []).flatMap((frame) =>
    frame.bytesDecoded === undefined ? [] : [encoder.encode(JSON.stringify(frame.bytesDecoded))]
  )

/** The invocation metrics of recorded `x-amzn-bedrock-*` response headers. */
export const headerMetrics = (rec: Recording): NativeBody.InvocationMetrics => {
  const n = (name: string) => {
    const value = rec.response.headers[name]
    return value === undefined ? undefined : Number(value)
  }
  return {
    inputTokenCount: n("x-amzn-bedrock-input-token-count"),
    outputTokenCount: n("x-amzn-bedrock-output-token-count"),
    invocationLatency: n("x-amzn-bedrock-invocation-latency"),
    cacheReadInputTokenCount: n("x-amzn-bedrock-cache-read-input-token-count"),
    cacheWriteInputTokenCount: n("x-amzn-bedrock-cache-write-input-token-count")
  }
}
