import { assert, describe, it } from "@effect/vitest"
import type { BedrockRuntime } from "bedrock-llm"
import { Config as LibraryConfig } from "bedrock-llm"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import { Deadline, runtimeWithin } from "../src/Deadline.js"

/** A runtime whose Converse records the timeout it was given and answers at once. */
const recording = () => {
  const timeouts: Array<number | undefined> = []
  let calls = 0
  const runtime = {
    config: new LibraryConfig.ClientConfig({ region: "us-east-1", requestTimeout: Duration.seconds(300) }),
    converse: (_input: unknown, options?: BedrockRuntime.BedrockRuntime.RequestOptions) =>
      Effect.sync(() => {
        calls++
        timeouts.push(options?.timeout === undefined ? undefined : Duration.toMillis(Duration.decode(options.timeout)))
        return {} as never
      })
  } as unknown as BedrockRuntime.BedrockRuntime.Service
  return { runtime, timeouts, calls: () => calls }
}

describe("Deadline.runtimeWithin", () => {
  it.effect("gives each non-streaming call the smaller of its own timeout and the request's time left", () =>
    Effect.gen(function*() {
      const { calls, runtime, timeouts } = recording()
      const within = runtimeWithin(runtime)
      const converse = within.converse({ modelId: "m", messages: [] })
      yield* converse
      yield* TestClock.setTime(1_000)
      yield* Effect.provideService(converse, Deadline, { at: 1_000 + 600_000 })
      yield* Effect.provideService(converse, Deadline, { at: 1_000 + 20_000 })
      yield* Effect.provideService(
        within.converse({ modelId: "m", messages: [] }, { timeout: "5 seconds" }),
        Deadline,
        {
          at: 1_000 + 20_000
        }
      )
      assert.deepStrictEqual(timeouts, [undefined, undefined, 20_000, 5_000])
      const late = yield* Effect.flip(Effect.provideService(converse, Deadline, { at: 900 }))
      assert.strictEqual(late._tag, "RequestTimeoutError")
      assert.strictEqual(late._tag === "RequestTimeoutError" && late.kind, "request")
      assert.strictEqual(calls(), 4, "a call after the deadline never reaches Bedrock")
    }))
})
