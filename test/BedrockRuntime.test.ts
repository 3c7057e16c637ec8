import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, Stream } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as BedrockRuntime from "../src/BedrockRuntime.js"
import { ClientConfig, StaticCredentials } from "../src/Config.js"
import { start } from "../src/emulator/Emulator.js"

const config = new ClientConfig({
  region: "us-east-1",
  // Never contacted: the SDK client's `send` is replaced below.
  endpoint: "http://127.0.0.1:9",
  credentials: new StaticCredentials({ accessKeyId: "AKIDTESTEXAMPLE", secretAccessKey: Redacted.make("not-a-secret") })
})

const delta = (text: string) => ({ contentBlockDelta: { contentBlockIndex: 0, delta: { text } } })

/** How every ConverseStream ends: `messageStop`, then `metadata`. */
const ending = [
  { messageStop: { stopReason: "end_turn" } },
  { metadata: { usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 }, metrics: { latencyMs: 1 } } }
]

const chunk = (json: object) => ({ chunk: { bytes: new TextEncoder().encode(JSON.stringify(json)) } })

/**
 * A runtime whose SDK client answers every ConverseStream with these members, each decoded in a microtask (as the
 * SDK decodes the members of one network read), so that they reach the consumer in the same chunks.
 */
const runtimeAnswering = (members: ReadonlyArray<object>) =>
  Effect.map(BedrockRuntime.make(config), (runtime) => {
    const events = async function*() {
      for (const member of members) {
        await null
        yield member
      }
    }
    // ConverseStream's events are `stream`, InvokeModelWithResponseStream's `body`.
    const send = async () => ({ $metadata: { requestId: "req-1" }, stream: events(), body: events() })
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
      const members = [
        { messageStart: { role: "assistant" } },
        ...Array.from({ length: 50 }, (_, i) => delta(`${i}`)),
        ...ending
      ]
      const runtime = yield* runtimeAnswering(members)
      const opened = yield* runtime.converseStream(request)
      const delivered = yield* Stream.runCollect(opened.events)
      assert.deepStrictEqual([...delivered] as ReadonlyArray<object>, members)
    }))

  it.scoped("a ConverseStream whose body ends before its metadata event fails after the members it had", () =>
    Effect.gen(function*() {
      const complete = [{ messageStart: { role: "assistant" } }, delta("Paris"), ...ending]
      for (const cut of [0, 1, 2, 3]) {
        const members = complete.slice(0, cut)
        const runtime = yield* runtimeAnswering(members)
        const opened = yield* runtime.converseStream(request)
        const delivered: Array<object> = []
        const error = yield* Effect.flip(
          Stream.runForEach(opened.events, (member) => Effect.sync(() => delivered.push(member)))
        )
        assert.deepStrictEqual(delivered, members, `cut after ${cut}`)
        assert.strictEqual(error._tag, "TransportError")
        if (error._tag === "TransportError") {
          assert.strictEqual(error.code, "INCOMPLETE_EVENT_STREAM")
          assert.strictEqual(error.requestId, "req-1")
          assert.isTrue(error.retryable)
          assert.include(error.message, "ConverseStream response ended before its metadata event")
        }
      }
    }))

  it.scoped("a response stream is complete only with the chunk that carries the invocation metrics", () =>
    Effect.gen(function*() {
      const invoke = { modelId: "anthropic.claude-3-haiku-20240307-v1:0", body: new Uint8Array(0) }
      const chunks = [
        chunk({ type: "message_start" }),
        chunk({ type: "content_block_delta", delta: { type: "text_delta", text: "Paris" } }),
        chunk({ type: "message_stop", "amazon-bedrock-invocationMetrics": { inputTokenCount: 3 } })
      ]
      const readAll = (members: ReadonlyArray<object>) =>
        Effect.flatMap(runtimeAnswering(members), (runtime) =>
          Effect.flatMap(
            runtime.invokeModelWithResponseStream(invoke),
            (opened) => Effect.either(Stream.runCollect(opened.events))
          ))
      const whole = yield* readAll(chunks)
      assert.isTrue(whole._tag === "Right" && whole.right.length === 3)
      for (const members of [[], chunks.slice(0, 2), [chunk({ text: "amazon-bedrock-invocationMetrics" })]]) {
        const cut = yield* readAll(members)
        assert.isTrue(cut._tag === "Left" && cut.left._tag === "TransportError" && /final chunk/.test(cut.left.message))
      }
    }))
})

const recordings = "test/fixtures/recordings"

/** Every recorded 200 stream of real Bedrock traffic: its operation, model, request body and number of frames. */
const recordedStreams = fs.readdirSync(recordings).filter((name) => name.endsWith(".json")).sort().flatMap((file) => {
  const recording = JSON.parse(fs.readFileSync(path.join(recordings, file), "utf8"))
  const streaming = recording.operation === "ConverseStream" || recording.operation === "InvokeModelWithResponseStream"
  return streaming && recording.response.status === 200 ? [{ file, recording, frames: recording.frames.length }] : []
})

describe("BedrockRuntime stream completeness on recorded traffic", () => {
  it.live("every recorded stream is complete, and cut at any frame boundary it is not", () =>
    Effect.gen(function*() {
      assert.strictEqual(recordedStreams.length, 13)
      for (const { file, frames, recording } of recordedStreams) {
        yield* Effect.scoped(Effect.gen(function*() {
          const emulator = yield* Effect.acquireRelease(
            Effect.promise(() => start({ replay: [recording] })),
            (emulator) => Effect.promise(() => emulator.close())
          )
          const runtime = yield* BedrockRuntime.make(new ClientConfig({ ...config, endpoint: emulator.url }))
          const { modelId } = recording
          const read = recording.operation === "ConverseStream"
            ? Effect.flatMap(
              runtime.converseStream({ modelId, ...recording.request.body }),
              (opened) => Stream.runCount(opened.events)
            )
            : Effect.flatMap(
              runtime.invokeModelWithResponseStream({ modelId, body: JSON.stringify(recording.request.body) }),
              (opened) => Stream.runCount(opened.events)
            )
          assert.strictEqual(yield* Effect.scoped(read), frames, file)
          for (let cut = 0; cut < frames; cut++) {
            emulator.faults.enqueue(`end=${cut}`)
            const error = yield* Effect.flip(Effect.scoped(read))
            assert.strictEqual(
              error._tag === "TransportError" && error.code,
              "INCOMPLETE_EVENT_STREAM",
              `${file} ${cut}`
            )
          }
        }))
      }
    }), 60_000)
})
