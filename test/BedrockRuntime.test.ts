import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, Stream } from "effect"
import * as BedrockRuntime from "../src/BedrockRuntime.js"
import { ClientConfig, StaticCredentials } from "../src/Config.js"

const config = new ClientConfig({
  region: "us-east-1",
  // Never contacted: the SDK client's `send` is replaced below.
  endpoint: "http://127.0.0.1:9",
  credentials: new StaticCredentials({ accessKeyId: "AKIDTESTEXAMPLE", secretAccessKey: Redacted.make("not-a-secret") })
})

const delta = (text: string) => ({ contentBlockDelta: { contentBlockIndex: 0, delta: { text } } })

/**
 * A runtime whose SDK client answers every ConverseStream with these members, each decoded in a microtask (as the
 * SDK decodes the members of one network read), so that they reach the consumer in the same chunks.
 */
const runtimeAnswering = (members: ReadonlyArray<object>) =>
  Effect.map(BedrockRuntime.make(config), (runtime) => {
    const send = async () => ({
      $metadata: { requestId: "req-1" },
      stream: (async function*() {
        for (const member of members) {
          await null
          yield member
        }
      })()
    })
    ;(runtime.sdk as unknown as { send: typeof send }).send = send
    return runtime
  })

const request = {
  modelId: "anthropic.claude-3-haiku-20240307-v1:0",
  messages: [{ role: "user" as const, content: [{ text: "Hello" }] }]
}

describe("BedrockRuntime event streams", () => {
  it.scoped("an exception member among others of one read: the members before it, then its typed error", () =>
    Effect.gen(function*() {
      const members = [
        { messageStart: { role: "assistant" } },
        ...Array.from({ length: 11 }, (_, i) => delta(`word${i} `)),
        { throttlingException: { name: "ThrottlingException", message: "slow down" } },
        delta("never delivered")
      ]
      const runtime = yield* runtimeAnswering(members)
      const opened = yield* runtime.converseStream(request)
      const chunks: Array<ReadonlyArray<object>> = []
      const error = yield* Effect.flip(
        Stream.runForEachChunk(opened.events, (chunk) => Effect.sync(() => chunks.push([...chunk])))
      )
      assert.strictEqual(error._tag, "ThrottlingError")
      assert.strictEqual(error.message.includes("slow down"), true)
      const delivered = chunks.flat()
      assert.deepStrictEqual(delivered, members.slice(0, 12))
      // The first events come one by one; the exception arrived with the events decoded just before it.
      assert.isAbove(chunks[chunks.length - 1]!.length, 1)
    }))

  it.scoped("members reach the consumer as they were decoded, in order, when no exception cuts them short", () =>
    Effect.gen(function*() {
      const members = [{ messageStart: { role: "assistant" } }, ...Array.from({ length: 50 }, (_, i) => delta(`${i}`))]
      const runtime = yield* runtimeAnswering(members)
      const opened = yield* runtime.converseStream(request)
      const delivered = yield* Stream.runCollect(opened.events)
      assert.deepStrictEqual([...delivered] as ReadonlyArray<object>, members)
    }))
})
