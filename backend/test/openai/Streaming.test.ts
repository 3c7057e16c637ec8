import { assert, describe, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { UsageStore } from "../../src/usage/UsageStore.js"
import { startService } from "../support/service.js"
import { chatModel, clientOf } from "./support.js"

const pause = (ms: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

/** Waits (at most `tries` x 25 ms) until `done` holds. */
const eventually = (done: () => boolean, tries = 400) =>
  Effect.gen(function*() {
    for (let i = 0; i < tries && !done(); i++) yield* pause(25)
    assert.isTrue(done(), "the condition did not come true in time")
  })

describe("streamed chat completions", () => {
  it.scopedLive("each chunk reaches the client as Bedrock sends it: the first long before Bedrock's stream ends", () =>
    Effect.gen(function*() {
      const service = yield* startService({ emulator: { tokensPerSecond: 100 } })
      const { secret } = yield* service.createKey()
      const stream = yield* Effect.promise(() =>
        clientOf(service, secret).chat.completions.create({
          model: chatModel,
          messages: [{ role: "user", content: "Write 40 words about streams." }],
          stream: true
        })
      )
      // At each chunk's arrival: is Bedrock's (the emulator's) stream still open?
      const arrivals = yield* Effect.promise(async () => {
        const seen: Array<{ readonly content: string; readonly bedrockStreaming: boolean }> = []
        for await (const chunk of stream) {
          seen.push({
            content: chunk.choices[0]?.delta.content ?? "",
            bedrockStreaming: service.emulator.stats().activeStreams === 1
          })
        }
        return seen
      })
      const firstContent = arrivals.findIndex((arrival) => arrival.content.length > 0)
      assert.isTrue(arrivals[0]!.bedrockStreaming, "the role chunk came while Bedrock was still writing")
      assert.isTrue(arrivals[firstContent]!.bedrockStreaming, "the first content came while Bedrock was still writing")
      assert.isAbove(arrivals.filter((arrival) => arrival.bedrockStreaming && arrival.content !== "").length, 10)
      assert.isAbove(arrivals.length - firstContent, 20, "many chunks followed the first")
    }))

  it.scopedLive("a client that goes away mid-stream aborts the Bedrock request, and what was used is recorded", () =>
    Effect.gen(function*() {
      const service = yield* startService({ emulator: { tokensPerSecond: 50 } })
      const key = yield* service.createKey()
      const stream = yield* Effect.promise(() =>
        clientOf(service, key.secret).chat.completions.create({
          model: chatModel,
          messages: [{ role: "user", content: "Write 500 words about patience." }],
          stream: true,
          stream_options: { include_usage: true }
        })
      )
      const received = yield* Effect.promise(async () => {
        let content = 0
        for await (const chunk of stream) {
          if ((chunk.choices[0]?.delta.content ?? "") !== "") content++
          if (content === 3) break // the client's iterator aborts its request
        }
        return content
      })
      assert.strictEqual(received, 3)
      yield* eventually(() => service.emulator.stats().streamsAbortedByClient === 1)
      yield* eventually(() => service.logs.some((line) => line.path === "/v1/chat/completions"))
      const line = service.logs.find((log) => log.path === "/v1/chat/completions")!
      assert.strictEqual(line.outcome, "cut-off")
      assert.isAbove(line.inputTokens ?? 0, 0)
      assert.isAbove(line.outputTokens ?? 0, 0)
      assert.isAbove(line.costMicroUsd ?? 0, 0)
      const usage = Context.get(service.context as unknown as Context.Context<UsageStore>, UsageStore)
      const rows = yield* Effect.orDie(usage.query({ keyId: key.record.id }))
      assert.strictEqual(rows.length, 1)
      assert.strictEqual(rows[0]!.requests, 1)
      assert.strictEqual(rows[0]!.outputTokens, line.outputTokens)
      assert.strictEqual(service.emulator.stats().activeStreams, 0)
    }))
})
