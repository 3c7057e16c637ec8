import { assert, describe, it } from "@effect/vitest"
import { Config as LibraryConfig } from "bedrock-llm"
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import * as Sse from "../src/Sse.js"
import { eventually } from "./support/eventually.js"
import { openProbeStream } from "./support/probeStream.js"
import { call, startService } from "./support/service.js"

const model = "anthropic.claude-3-haiku-20240307-v1:0"
const decoder = new TextDecoder()

/** Opens a probe stream (see `support/probeStream.ts`). */
const openStream = (url: string, token: string, maxTokens: number) =>
  Effect.promise(() => openProbeStream(url, token, model, maxTokens))

describe("streams over HTTP", () => {
  it.scopedLive("each event is written as it arrives: the first reaches the client while Bedrock is still streaming", () =>
    Effect.gen(function*() {
      const service = yield* startService({ emulator: { tokensPerSecond: 40 } })
      const key = yield* service.createKey()
      const stream = yield* openStream(service.url, key.secret, 60)
      assert.strictEqual(stream.response.headers.get("content-type"), "text/event-stream")
      assert.strictEqual(stream.response.headers.get("x-accel-buffering"), "no")
      const first = yield* Effect.promise(() => stream.readUntil((text) => text.includes("event: ContentBlockDelta")))
      assert.include(first, "event: MessageStart")
      assert.notInclude(first, "event: Metadata")
      assert.strictEqual(service.emulator.stats().activeStreams, 1)
      const all = yield* Effect.promise(() => stream.readUntil((text) => text.includes("event: Metadata")))
      assert.include(all, "event: MessageStop")
      assert.isTrue(yield* eventually(() => service.logs.some((line) => line.path === "/probe/stream")))
      const line = service.logs.find((entry) => entry.path === "/probe/stream")!
      assert.strictEqual(line.outcome, "complete")
      assert.isNumber(line.timeToFirstTokenMs)
      assert.isAbove(line.outputTokens!, 0)
    }))

  it.scopedLive("a stream still running at the request's deadline ends with its timeout and aborts the Bedrock request", () =>
    Effect.gen(function*() {
      const service = yield* startService({
        settings: { requestTimeout: Duration.millis(800) },
        emulator: { tokensPerSecond: 10 }
      })
      const key = yield* service.createKey()
      const stream = yield* openStream(service.url, key.secret, 500)
      const text = yield* Effect.promise(() => stream.readUntil((text) => text.includes("event: error")))
      assert.include(text, "event: ContentBlockDelta")
      assert.include(text, "RequestTimeoutError")
      assert.notInclude(text, "event: Metadata")
      assert.isTrue(yield* eventually(() => service.emulator.stats().streamsAbortedByClient === 1))
      assert.isTrue(yield* eventually(() => service.logs.some((line) => line.path === "/probe/stream")))
      assert.strictEqual(service.logs.find((entry) => entry.path === "/probe/stream")!.outcome, "cut-off")
    }))

  it.scopedLive("a client that disconnects mid-stream aborts the Bedrock request, and what was used is still recorded", () =>
    Effect.gen(function*() {
      const service = yield* startService({ emulator: { tokensPerSecond: 20 } })
      const key = yield* service.createKey({ monthlyBudgetMicroUsd: 1_000_000, tpm: 100_000 })
      const stream = yield* openStream(service.url, key.secret, 500)
      yield* Effect.promise(() => stream.readUntil((text) => (text.match(/ContentBlockDelta/g) ?? []).length >= 3))
      stream.abort()
      assert.isTrue(yield* eventually(() => service.emulator.stats().streamsAbortedByClient === 1))
      assert.isTrue(yield* eventually(() => service.logs.some((line) => line.path === "/probe/stream")))
      const line = service.logs.find((entry) => entry.path === "/probe/stream")!
      // The status is what was sent before the client left; the outcome says the answer was cut off.
      assert.strictEqual(line.status, 200)
      assert.strictEqual(line.outcome, "cut-off")
      const usage = yield* call(`${service.url}/admin/usage?keyId=${key.record.id}`, { token: service.adminKey })
      assert.strictEqual(usage.body.rows.length, 1)
      assert.strictEqual(usage.body.rows[0].requests, 1)
      assert.isAbove(usage.body.rows[0].inputTokens, 0)
      assert.isAbove(usage.body.rows[0].outputTokens, 0)
      assert.isBelow(usage.body.rows[0].outputTokens, 500)
      const month = yield* call(`${service.url}/admin/keys/${key.record.id}`, { token: service.adminKey })
      assert.isAbove(month.body.month.spentUsd, 0)
      assert.strictEqual(month.body.month.committedUsd, month.body.month.spentUsd)
    }))

  it.scopedLive("an error before the first event is an HTTP error, never a broken 200 stream", () =>
    Effect.gen(function*() {
      const service = yield* startService({ settings: { retry: new LibraryConfig.RetryConfig({ maxAttempts: 1 }) } })
      const key = yield* service.createKey()
      service.emulator.faults.enqueue("throttle")
      const refused = yield* call(`${service.url}/probe/stream`, {
        token: key.secret,
        body: { model, prompt: "Hi", maxTokens: 10 }
      })
      assert.strictEqual(refused.status, 429)
      assert.strictEqual(refused.body.error.type, "ThrottlingError")
      assert.strictEqual(refused.headers.get("retry-after"), "1")
    }))
})

describe("Sse", () => {
  it.effect("frames events with their name and JSON data, multi-line data on several data lines", () =>
    Effect.sync(() => {
      assert.strictEqual(
        decoder.decode(Sse.encode({ event: "ping", data: { a: 1 } })),
        "event: ping\ndata: {\"a\":1}\n\n"
      )
      assert.strictEqual(decoder.decode(Sse.encode({ data: "one\ntwo" })), "data: one\ndata: two\n\n")
      assert.strictEqual(decoder.decode(Sse.encode({ data: "[DONE]", id: "7" })), "id: 7\ndata: [DONE]\n\n")
    }))

  it.effect("writes a keep-alive comment after each interval without an event, none while events flow", () =>
    Effect.gen(function*() {
      const events = Stream.make({ data: "a" }).pipe(
        Stream.concat(Stream.fromEffect(Effect.as(Effect.sleep("40 seconds"), { data: "b" }))),
        Stream.concat(Stream.fromEffect(Effect.as(Effect.sleep("5 seconds"), { data: "c" })))
      )
      const fiber = yield* Effect.fork(Stream.runCollect(Sse.frames(events, "15 seconds")))
      for (let i = 0; i < 200; i++) yield* TestClock.adjust("250 millis")
      const frames = Chunk.toReadonlyArray(yield* Fiber.join(fiber)).map((frame) => decoder.decode(frame))
      assert.deepStrictEqual(frames, [
        "data: a\n\n",
        ": keep-alive\n\n",
        ": keep-alive\n\n",
        "data: b\n\n",
        "data: c\n\n"
      ])
    }))
})
