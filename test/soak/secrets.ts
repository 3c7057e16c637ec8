/**
 * Capture of everything that could carry a secret (log lines, spans, errors), a scan for the fake credentials, and a
 * credentials provider whose credentials expire within seconds. Shared by `test/Secrets.test.ts` and `npm run soak`.
 */
import type { AwsCredentialIdentity } from "@smithy/types"
import { Cause, Duration, Effect, Exit, HashMap, Layer, List, Logger, LogLevel, Tracer } from "effect"
import * as Util from "node:util"
import * as BedrockClient from "../../src/BedrockClient.js"
import * as BedrockRuntime from "../../src/BedrockRuntime.js"
import { ClientConfig, ConnectionConfig } from "../../src/Config.js"
import { Emulator, type EmulatorStartError } from "../../src/emulator/Emulator.js"
import * as Message from "../../src/Message.js"
import { fakeCredentials, haiku } from "../support/live.js"

/** Everything captured during a run, as text. */
export interface Capture {
  readonly logs: Array<string>
  readonly spans: Array<string>
  readonly errors: Array<string>
  readonly sdkLogs: Array<string>
}

export const makeCapture = (): Capture => ({ logs: [], spans: [], errors: [], sdkLogs: [] })

const show = (value: unknown): string =>
  typeof value === "string" ? value : Util.inspect(value, { depth: 12, breakLength: Infinity, getters: true })

/** A logger that keeps every line with its annotations, spans and cause. */
export const captureLogger = (capture: Capture) =>
  Logger.make(({ annotations, cause, logLevel, message, spans }) => {
    capture.logs.push(
      [
        logLevel.label,
        show(message),
        show(Object.fromEntries(HashMap.toEntries(annotations))),
        show(List.toArray(spans).map((span) => span.label)),
        Cause.isEmpty(cause) ? "" : Cause.pretty(cause, { renderErrorCause: true })
      ].join(" ")
    )
  })

/** Debug level, every line captured, every span recorded. */
export const captureLayer = (capture: Capture) =>
  Layer.mergeAll(
    Logger.replace(Logger.defaultLogger, captureLogger(capture)),
    Logger.minimumLogLevel(LogLevel.Debug),
    Layer.setTracer(captureTracer(capture))
  )

/** A tracer that records each span's name, attributes, events, links and exit. */
export const captureTracer = (capture: Capture): Tracer.Tracer => {
  let ids = 0
  return Tracer.make({
    span: (name, parent, context, links, startTime, kind) => {
      const attributes = new Map<string, unknown>()
      const events: Array<string> = []
      const spanLinks = [...links]
      const spanId = `span-${++ids}`
      const span: Tracer.Span = {
        _tag: "Span",
        name,
        spanId,
        traceId: "trace-1",
        parent,
        context,
        status: { _tag: "Started", startTime },
        attributes,
        links: spanLinks,
        sampled: true,
        kind,
        end: (endTime, exit) => {
          ;(span as { status: Tracer.SpanStatus }).status = { _tag: "Ended", startTime, endTime, exit }
          capture.spans.push(
            [
              name,
              show(Object.fromEntries(attributes)),
              events.join(" | "),
              Exit.isFailure(exit) ? Cause.pretty(exit.cause, { renderErrorCause: true }) : "ok"
            ].join(" ")
          )
        },
        attribute: (key, value) => void attributes.set(key, value),
        event: (eventName, _time, eventAttributes) => void events.push(`${eventName} ${show(eventAttributes ?? {})}`),
        addLinks: (more) => void spanLinks.push(...more)
      }
      return span
    },
    context: (f) => f()
  })
}

/** Records a failure the way an application would print it: message, tag, cause, stack and full inspection. */
export const recordError = (capture: Capture, error: unknown): void => {
  capture.errors.push(show(error))
  if (error instanceof Error) capture.errors.push(error.message, error.stack ?? "", String(error))
  try {
    capture.errors.push(JSON.stringify(error) ?? "")
  } catch {
    // circular: the inspection above covers it
  }
}

/** The SDK's own logger, captured at every level. */
export const sdkLogger = (capture: Capture) => {
  const log = (...args: Array<unknown>) => void capture.sdkLogs.push(args.map(show).join(" "))
  return { trace: log, debug: log, info: log, warn: log, error: log }
}

export const secretStrings = [
  fakeCredentials.accessKeyId,
  fakeCredentials.secretAccessKey,
  fakeCredentials.sessionToken
] as const

/** Every captured text that contains one of the secrets (empty when nothing leaked). */
export const leaks = (
  capture: Capture,
  secrets: ReadonlyArray<string> = secretStrings
): Array<{ readonly where: string; readonly secret: string; readonly text: string }> => {
  const found: Array<{ where: string; secret: string; text: string }> = []
  for (const where of ["logs", "spans", "errors", "sdkLogs"] as const) {
    for (const text of capture[where]) {
      for (const secret of secrets) {
        if (text.includes(secret)) found.push({ where, secret, text: text.slice(0, 300) })
      }
    }
  }
  return found
}

export interface RefreshReport {
  readonly requests: number
  readonly succeeded: number
  readonly failed: ReadonlyArray<string>
  readonly providerCalls: number
  readonly distinctSessionTokens: number
  readonly elapsedMs: number
}

/**
 * Requests over `durationMs` with credentials that expire `ttlMs` after they are issued; the emulator verifies every
 * signature. Every request must succeed and the provider must be called again once the first credentials expire.
 */
export const runCredentialRefresh = (options: {
  readonly durationMs: number
  readonly ttlMs: number
  readonly concurrency: number
  readonly faults?: boolean | undefined
}): Effect.Effect<RefreshReport, EmulatorStartError> =>
  Effect.gen(function*() {
    let providerCalls = 0
    const tokens = new Set<string>()
    const provider = async (): Promise<AwsCredentialIdentity> => {
      providerCalls++
      const sessionToken = `FAKE-SESSION-TOKEN-rotated-${providerCalls}`
      tokens.add(sessionToken)
      return {
        accessKeyId: fakeCredentials.accessKeyId,
        secretAccessKey: fakeCredentials.secretAccessKey,
        sessionToken,
        expiration: new Date(Date.now() + options.ttlMs)
      }
    }
    const emulator = Emulator.layer({
      credentials: { accessKeyId: fakeCredentials.accessKeyId, secretAccessKey: fakeCredentials.secretAccessKey },
      ...(options.faults === true ? { faults: { seed: 3, throttle: 0.1, internal: 0.05, reset: 0.01 } } : {})
    })
    const runtime = Layer.unwrapEffect(Effect.map(Emulator, (running) =>
      BedrockRuntime.layer(
        new ClientConfig({
          region: "us-east-1",
          endpoint: running.url,
          connection: new ConnectionConfig({ protocol: "http2" })
        }),
        { credentials: provider }
      )))
    const client = BedrockClient.layer({
      model: { modelId: haiku, maxTokens: 64 },
      // About 16% of attempts meet an injected fault; with 8 attempts a request fails only when all 8 do (about 4 in
      // 10 million), so that over the few thousand requests of this phase any failure points at the credentials.
      retry: { maxAttempts: 8, baseDelay: Duration.millis(2), maxDelay: Duration.millis(20) },
      circuitBreaker: false
    }).pipe(Layer.provide(runtime), Layer.provide(emulator))
    const started = Date.now()
    const failed: Array<string> = []
    let requests = 0
    let succeeded = 0
    yield* Effect.gen(function*() {
      const client = yield* BedrockClient.BedrockClient
      const worker = Effect.gen(function*() {
        while (Date.now() - started < options.durationMs) {
          requests++
          const exit = yield* Effect.exit(
            requests % 2 === 0
              ? client.generate("What is the capital of France?")
              : BedrockClient.collect(client.stream([Message.user("Tell me about foxes.")]))
          )
          if (Exit.isSuccess(exit)) succeeded++
          else failed.push(Cause.pretty(exit.cause).split("\n")[0]!)
          yield* Effect.sleep(Duration.millis(20))
        }
      })
      yield* Effect.all(Array.from({ length: options.concurrency }, () => worker), {
        concurrency: "unbounded",
        discard: true
      })
    }).pipe(Effect.provide(client))
    return {
      requests,
      succeeded,
      failed,
      providerCalls,
      distinctSessionTokens: tokens.size,
      elapsedMs: Date.now() - started
    }
  })
