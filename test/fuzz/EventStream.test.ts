import { assert, describe, it } from "@effect/vitest"
import { EventStreamCodec } from "@smithy/eventstream-codec"
import type { MessageHeaderValue } from "@smithy/types"
import { fromUtf8, toUtf8 } from "@smithy/util-utf8"
import { Cause, Duration, Effect, Exit, Layer, Option, Predicate, Redacted } from "effect"
import * as fc from "fast-check"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as BedrockClient from "../../src/BedrockClient.js"
import * as BedrockRuntime from "../../src/BedrockRuntime.js"
import { ClientConfig, ConnectionConfig, StaticCredentials } from "../../src/Config.js"
import * as Message from "../../src/Message.js"
import { isTypedError } from "../soak/faultSoak.js"
import { fakeCredentials, haiku } from "../support/live.js"

const codec = new EventStreamCodec(toUtf8, fromUtf8)

type Headers = Record<string, MessageHeaderValue>

const eventHeaders = (eventType: string): Headers => ({
  ":event-type": { type: "string", value: eventType },
  ":content-type": { type: "string", value: "application/json" },
  ":message-type": { type: "string", value: "event" }
})

const frame = (headers: Headers, body: string | Uint8Array): Uint8Array =>
  codec.encode({ headers, body: typeof body === "string" ? fromUtf8(body) : body })

const event = (eventType: string, payload: unknown): Uint8Array =>
  frame(eventHeaders(eventType), JSON.stringify(payload))

const validEvents: ReadonlyArray<Uint8Array> = [
  event("messageStart", { role: "assistant", p: "abc" }),
  event("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "Paris is" } }),
  event("contentBlockDelta", { contentBlockIndex: 0, delta: { text: " the capital." } }),
  event("contentBlockStop", { contentBlockIndex: 0 }),
  event("messageStop", { stopReason: "end_turn" }),
  event("metadata", { usage: { inputTokens: 3, outputTokens: 4, totalTokens: 7 }, metrics: { latencyMs: 5 } })
]

const concat = (parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

const eventTypes = [
  "messageStart",
  "contentBlockStart",
  "contentBlockDelta",
  "contentBlockStop",
  "messageStop",
  "metadata"
]
const exceptionTypes = [
  "throttlingException",
  "internalServerException",
  "modelStreamErrorException",
  "validationException",
  "serviceUnavailableException"
]

const jsonish = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.record({ role: fc.oneof(fc.constantFrom("assistant", "user", "system"), fc.jsonValue({ maxDepth: 1 })) }),
  fc.record({
    contentBlockIndex: fc.oneof(fc.integer({ min: -2, max: 3 }), fc.string(), fc.constant(null)),
    delta: fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.record({ text: fc.jsonValue({ maxDepth: 1 }) }),
      fc.record({ toolUse: fc.record({ input: fc.jsonValue({ maxDepth: 1 }) }) }),
      fc.record({ reasoningContent: fc.jsonValue({ maxDepth: 2 }) }),
      fc.record({ citation: fc.jsonValue({ maxDepth: 2 }) })
    ),
    start: fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.record({
        toolUse: fc.record({ toolUseId: fc.jsonValue({ maxDepth: 1 }), name: fc.jsonValue({ maxDepth: 1 }) })
      })
    )
  }, { requiredKeys: [] }),
  fc.record({
    stopReason: fc.jsonValue({ maxDepth: 1 }),
    usage: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.record({ inputTokens: fc.jsonValue({ maxDepth: 1 }) })),
    metrics: fc.jsonValue({ maxDepth: 2 })
  }, { requiredKeys: [] })
)

const headerValue: fc.Arbitrary<MessageHeaderValue> = fc.oneof(
  fc.string({ maxLength: 20 }).map((value) => ({ type: "string" as const, value })),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map((value) => ({ type: "integer" as const, value })),
  fc.boolean().map((value) => ({ type: "boolean" as const, value })),
  fc.integer({ min: -128, max: 127 }).map((value) => ({ type: "byte" as const, value })),
  fc.uint8Array({ maxLength: 8 }).map((value) => ({ type: "binary" as const, value })),
  fc.date({ noInvalidDate: true }).map((value) => ({ type: "timestamp" as const, value }))
)

/** Which frame to mutate, and how. Each case is the whole response body. */
const mutation: fc.Arbitrary<{ readonly kind: string; readonly bytes: Uint8Array }> = fc.oneof(
  fc.constant({ kind: "valid", bytes: concat(validEvents) }),
  fc.integer({ min: 0, max: concat(validEvents).length - 1 }).map((cut) => ({
    kind: "truncated",
    bytes: concat(validEvents).slice(0, cut)
  })),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([at, xor]) => {
    const bytes = concat(validEvents)
    bytes[at % bytes.length] ^= xor
    return { kind: "flipped byte", bytes }
  }),
  fc.tuple(fc.integer({ min: 0, max: validEvents.length - 1 }), fc.constantFrom(8, 9, 10, 11)).map(([index, at]) => {
    const frames = validEvents.map((f) => f.slice())
    frames[index]![at] ^= 0xff
    return { kind: "bad prelude crc", bytes: concat(frames) }
  }),
  fc.tuple(fc.integer({ min: 0, max: validEvents.length - 1 }), fc.integer({ min: 1, max: 4 })).map(([index, back]) => {
    const frames = validEvents.map((f) => f.slice())
    const target = frames[index]!
    target[target.length - back] ^= 0x5a
    return { kind: "bad message crc", bytes: concat(frames) }
  }),
  fc.tuple(
    fc.integer({ min: 0, max: validEvents.length - 1 }),
    fc.constantFrom(0x7fffffff, 0xffffffff, 16 * 1024 * 1024 + 1, 0, 15, 16)
  ).map(([index, length]) => {
    const frames = validEvents.map((f) => f.slice())
    new DataView(frames[index]!.buffer).setUint32(0, length)
    return { kind: "huge or tiny length", bytes: concat(frames) }
  }),
  fc.tuple(fc.constantFrom(":event-type", ":message-type", ":content-type"), headerValue, fc.nat()).map(
    ([name, value, index]) => {
      const frames = [...validEvents]
      const at = index % frames.length
      const headers = { ...eventHeaders(eventTypes[at % eventTypes.length]!), [name]: value }
      frames[at] = frame(headers, JSON.stringify({ contentBlockIndex: 0, delta: { text: "x" } }))
      return { kind: "wrong header type", bytes: concat(frames) }
    }
  ),
  fc.tuple(fc.constantFrom(...eventTypes), fc.string({ maxLength: 30 }), fc.nat()).map(([type, body, index]) => {
    const frames = [...validEvents]
    frames.splice(index % frames.length, 0, frame(eventHeaders(type), body))
    return { kind: "invalid JSON payload", bytes: concat(frames) }
  }),
  fc.tuple(fc.constantFrom(...eventTypes), jsonish, fc.nat()).map(([type, payload, index]) => {
    const frames = [...validEvents]
    frames.splice(index % frames.length, 0, event(type, payload))
    return { kind: "wrong payload shape", bytes: concat(frames) }
  }),
  fc.tuple(fc.string({ maxLength: 20 }), jsonish, fc.nat()).map(([type, payload, index]) => {
    const frames = [...validEvents]
    frames.splice(index % frames.length, 0, event(type, payload))
    return { kind: "unknown event type", bytes: concat(frames) }
  }),
  fc.tuple(
    fc.oneof(fc.constantFrom(...exceptionTypes), fc.string({ maxLength: 20 })),
    fc.oneof(fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)), fc.string({ maxLength: 20 })),
    fc.integer({ min: 0, max: validEvents.length })
  ).map(([type, body, at]) => ({
    kind: "exception frame",
    bytes: concat([
      ...validEvents.slice(0, at),
      frame({
        ":exception-type": { type: "string", value: type },
        ":content-type": { type: "string", value: "application/json" },
        ":message-type": { type: "string", value: "exception" }
      }, body)
    ])
  })),
  fc.tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 40 }), fc.integer({ min: 0, max: 6 })).map((
    [code, text, at]
  ) => ({
    kind: "error frame",
    bytes: concat([
      ...validEvents.slice(0, at),
      frame({
        ":message-type": { type: "string", value: "error" },
        ":error-code": { type: "string", value: code },
        ":error-message": { type: "string", value: text }
      }, "")
    ])
  })),
  fc.dictionary(fc.string({ maxLength: 12 }), headerValue, { maxKeys: 4 }).map((headers) => ({
    kind: "random headers",
    bytes: concat([validEvents[0]!, frame(headers, "{}"), ...validEvents.slice(1)])
  })),
  fc.uint8Array({ maxLength: 256 }).map((bytes) => ({ kind: "random bytes", bytes }))
)

/** A loopback HTTP/1.1 server that answers every request with `current` as an event stream. */
const mutatingServer = Effect.acquireRelease(
  Effect.async<{ readonly url: string; readonly serve: (bytes: Uint8Array) => void; readonly server: Http.Server }>(
    (resume) => {
      let current: Uint8Array = new Uint8Array(0)
      const server = Http.createServer((request, response) => {
        request.resume()
        request.on("end", () => {
          response.writeHead(200, {
            "content-type": "application/vnd.amazon.eventstream",
            "x-amzn-requestid": "fuzz-request"
          })
          response.end(Buffer.from(current))
        })
      })
      server.on("connection", (socket) => socket.setNoDelay(true))
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo
        resume(Effect.succeed({
          url: `http://127.0.0.1:${port}`,
          serve: (bytes) => {
            current = bytes
          },
          server
        }))
      })
    }
  ),
  ({ server }) =>
    Effect.async<void>((resume) => {
      server.closeAllConnections()
      server.close(() => resume(Effect.void))
    })
)

const clientOn = (url: string) =>
  BedrockClient.layer({
    model: { modelId: haiku, maxTokens: 64 },
    retry: { maxAttempts: 1 },
    circuitBreaker: false
  }).pipe(Layer.provide(BedrockRuntime.layer(
    new ClientConfig({
      region: "us-east-1",
      endpoint: url,
      credentials: new StaticCredentials({
        accessKeyId: fakeCredentials.accessKeyId,
        secretAccessKey: Redacted.make(fakeCredentials.secretAccessKey),
        sessionToken: Redacted.make(fakeCredentials.sessionToken)
      }),
      firstEventTimeout: Duration.seconds(3),
      idleTimeout: Duration.seconds(3),
      connection: new ConnectionConfig({ protocol: "http1.1" })
    })
  )))

/** Bounded: each case is one loopback request; `FUZZ_RUNS` raises the count for a longer local run. */
const runs = Number(process.env.FUZZ_RUNS ?? 150)

describe("fuzz: mutated event-stream bytes into the streaming decode path", () => {
  it.live(
    "every case ends in a Response or a typed error, within its time bound, never a defect",
    () =>
      Effect.scoped(Effect.gen(function*() {
        const server = yield* mutatingServer
        const client = yield* Layer.build(clientOn(server.url)).pipe(
          Effect.map((context) =>
            context.unsafeMap.get(BedrockClient.BedrockClient.key) as BedrockClient.BedrockClient.Service
          )
        )
        const outcomes: Record<string, Record<string, number>> = {}
        const problems: Array<string> = []
        let cases = 0
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(mutation, async ({ bytes, kind }) => {
              server.serve(bytes)
              cases++
              const exit = await Effect.runPromiseExit(
                BedrockClient.collect(client.stream([Message.user("What is the capital of France?")])).pipe(
                  Effect.timeoutFail({ duration: Duration.seconds(8), onTimeout: () => ({ _tag: "Hang" as const }) })
                )
              )
              const outcome = Exit.isSuccess(exit)
                ? "Response"
                : Cause.isDie(exit.cause)
                ? "Defect"
                : Option.match(Cause.failureOption(exit.cause), {
                  onNone: () => "Interrupted",
                  onSome: (error) =>
                    Predicate.isTagged(error, "Hang")
                      ? "Hang"
                      : isTypedError(error)
                      ? String((error as { _tag: string })._tag)
                      : "Untyped"
                })
              const byKind = (outcomes[kind] ??= {})
              byKind[outcome] = (byKind[outcome] ?? 0) + 1
              if (["Defect", "Hang", "Interrupted", "Untyped"].includes(outcome)) {
                problems.push(
                  `${kind}: ${outcome} ${Exit.isFailure(exit) ? Cause.pretty(exit.cause).slice(0, 400) : ""}`
                )
                return false
              }
              if (kind === "valid") return outcome === "Response"
              return true
            }),
            { seed: 20261127, numRuns: runs, endOnFailure: true }
          ).catch((error) => {
            problems.push(String(error).slice(0, 2000))
          })
        )
        console.log(`event-stream fuzz: ${cases} cases`, JSON.stringify(outcomes))
        assert.deepStrictEqual(problems, [])
        assert.strictEqual(cases, runs)
        assert.strictEqual(Object.keys(outcomes).length, 14)
      })),
    120_000
  )
})
