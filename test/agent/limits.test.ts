import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Option, Ref, TestClock } from "effect"
import * as Limits from "../../src/internal/agent/limits.js"
import * as RunState from "../../src/internal/agent/runState.js"
import * as Message from "../../src/Message.js"
import type * as Response from "../../src/Response.js"

const response = (totalTokens: number): Response.Response => ({
  message: { role: "assistant", content: [Message.text("ok")] },
  stopReason: "end_turn",
  usage: { inputTokens: totalTokens - 1, outputTokens: 1, totalTokens },
  latencyMs: 1
})

const start = RunState.initial([Message.user("hi")])

/** The state after `steps` finished steps of `tokens` tokens and `cost` USD each. */
const after = (steps: number, tokens: number, cost: number): RunState.RunState => {
  let state = start
  for (let i = 0; i < steps; i++) {
    const answered = RunState.withResponse(state, response(tokens), cost)
    state = RunState.withStep(
      answered,
      { index: state.step, response: response(tokens), toolCalls: [], attempts: 1, cost },
      [],
      false
    )
  }
  return state
}

describe("Agent limits (the pure check)", () => {
  it("resolves the defaults: ten steps at least one, no budgets, no deadline", () => {
    assert.deepStrictEqual(Limits.resolve(undefined), {
      maxSteps: 10,
      maxTokens: undefined,
      maxCost: undefined,
      deadline: undefined
    })
    assert.strictEqual(Limits.resolve({ maxSteps: 0 }).maxSteps, 1)
    assert.isTrue(Duration.equals(Limits.resolve({ deadline: "2 seconds" }).deadline!, Duration.seconds(2)))
  })

  it("is nothing while the run is within every limit", () => {
    const limits = Limits.resolve({ maxSteps: 3, maxTokens: 100, maxCost: 1 })
    assert.isTrue(Option.isNone(Limits.check(limits, "a", start)))
    assert.isTrue(Option.isNone(Limits.check(limits, "a", after(2, 50, 0.5))))
  })

  it("is MaxStepsReached once the step about to be made is past maxSteps, with the run so far", () => {
    const limits = Limits.resolve({ maxSteps: 2 })
    const state = after(2, 10, 0.01)
    const error = Option.getOrThrow(Limits.check(limits, "writer", state))
    assert.strictEqual(error._tag, "MaxStepsReached")
    assert.strictEqual(error.message, `the agent "writer" did not finish within 2 steps`)
    if (error._tag === "MaxStepsReached") assert.strictEqual(error.maxSteps, 2)
    assert.strictEqual(error.steps, 2)
    assert.strictEqual(error.transcript, state.transcript)
    assert.strictEqual(error.usage.totalTokens, 20)
  })

  it("is TokenBudgetExceeded past maxTokens, counting the response just in", () => {
    const limits = Limits.resolve({ maxTokens: 20 })
    const answered = RunState.withResponse(start, response(21), 0)
    const error = Option.getOrThrow(Limits.check(limits, "agent", answered))
    assert.strictEqual(error._tag, "TokenBudgetExceeded")
    assert.strictEqual(error.message, `the agent "agent" used 21 tokens, over its budget of 20`)
    if (error._tag === "TokenBudgetExceeded") {
      assert.strictEqual(error.budget, 20)
      assert.strictEqual(error.used, 21)
    }
    // the response's message is in the transcript; its step is not finished
    assert.strictEqual(error.transcript.length, 2)
    assert.strictEqual(error.steps, 0)
    assert.isTrue(Option.isNone(Limits.check(limits, "agent", RunState.withResponse(start, response(20), 0))))
  })

  it("is CostBudgetExceeded past maxCost, and the steps limit is checked first", () => {
    const cost = Option.getOrThrow(Limits.check(Limits.resolve({ maxCost: 0.01 }), "agent", after(1, 5, 0.02)))
    assert.strictEqual(cost._tag, "CostBudgetExceeded")
    assert.strictEqual(cost.message, `the agent "agent" cost $0.020000, over its budget of $0.01`)
    const both = Limits.check(Limits.resolve({ maxSteps: 1, maxTokens: 1, maxCost: 0 }), "agent", after(1, 5, 0.02))
    assert.strictEqual(Option.getOrThrow(both)._tag, "MaxStepsReached")
  })

  it.effect("withDeadline fails with DeadlineExceeded and the latest state once the deadline passes", () =>
    Effect.gen(function*() {
      const latest = yield* Ref.make(start)
      const limits = Limits.resolve({ deadline: "30 seconds" })
      const fiber = yield* Limits.withDeadline(Effect.never, limits, "agent", Ref.get(latest)).pipe(
        Effect.flip,
        Effect.fork
      )
      yield* Ref.set(latest, after(1, 5, 0))
      yield* TestClock.adjust("29 seconds")
      assert.isNull(fiber.unsafePoll())
      yield* TestClock.adjust("1 second")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "DeadlineExceeded")
      assert.strictEqual(error.deadlineMs, 30_000)
      assert.strictEqual(error.steps, 1)
      assert.strictEqual(error.message, `the agent "agent" did not finish within 30s`)
      // without a deadline the run is left as it is
      assert.strictEqual(yield* Limits.withDeadline(Effect.succeed(1), Limits.resolve({}), "agent", Ref.get(latest)), 1)
    }))
})
