import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import type * as Agent from "../../src/Agent.js"
import type * as BedrockClient from "../../src/BedrockClient.js"
import * as ChildFibers from "../../src/internal/agent/childFibers.js"
import * as Loop from "../../src/internal/agent/loop.js"
import * as RunState from "../../src/internal/agent/runState.js"
import * as Step from "../../src/internal/agent/step.js"
import * as Message from "../../src/Message.js"
import * as Tool from "../../src/Tool.js"
import * as Toolkit from "../../src/Toolkit.js"
import { scriptedClient, type ScriptedTurn } from "./scriptedClient.js"

const Weather = Tool.make("get_weather", {
  description: "Current weather for a city",
  parameters: { city: Schema.String },
  success: Schema.Struct({ city: Schema.String, celsius: Schema.Number })
})
const Clock = Tool.make("get_time", { description: "Local time in a city", parameters: { city: Schema.String } })
const toolkit = Toolkit.make(Weather, Clock)

const bothTools: ScriptedTurn = {
  text: "Let me look.",
  toolUses: [
    { id: "w1", name: "get_weather", input: { city: "Paris" } },
    { id: "t1", name: "get_time", input: { city: "Paris" } }
  ]
}

/**
 * The client and the handlers. A run's internals require the handlers of any tool (`Tool.Handler<string>`), which
 * the toolkit's Layer provides tool by tool: the public `Agent` types say which; here the Layer is taken as it is.
 */
const services = (...layers: [Layer.Layer<any>, ...Array<Layer.Layer<any>>]): Layer.Layer<any> =>
  Layer.mergeAll(...layers)

/** One step of an agent with `options`, from `state`, against the scripted turns; with its events and requests. */
const stepOnce = <A = string>(
  turns: ReadonlyArray<ScriptedTurn>,
  options: {
    readonly agent?: Agent.Options<any>
    readonly output?: Schema.Schema<A, any>
    readonly state?: RunState.RunState
    readonly calls?: Array<string>
  } = {}
) =>
  Effect.gen(function*() {
    const events: Array<Agent.Event> = []
    const requests: Array<BedrockClient.BedrockClient.Request> = []
    const settings = Loop.settings({ toolkit, ...options.agent })
    const fibers = ChildFibers.make()
    const run = yield* Loop.makeRun<A>(settings, {
      options: { onEvent: (event) => Effect.sync(() => void events.push(event)), output: options.output },
      consumer: undefined,
      fibers,
      publish: () => Effect.void,
      history: []
    })
    const state = options.state ?? RunState.initial([Message.user("Weather and time in Paris?")])
    const next = yield* Effect.either(Step.step(run, state)).pipe(Effect.ensuring(fibers.interruptAll))
    return { next, events: events.map((event) => event._tag), requests }
  }).pipe(
    Effect.provide(services(
      scriptedClient(turns),
      toolkit.toLayer({
        get_weather: ({ city }) => Effect.sync(() => (options.calls?.push("get_weather"), { city, celsius: 21 })),
        get_time: () => Effect.sync(() => (options.calls?.push("get_time"), "14:05"))
      })
    ))
  )

describe("Agent step (model call and tool calls → next state)", () => {
  for (const streaming of [true, false]) {
    it.effect(`${streaming ? "streamed" : "unary"}: a step with two tool calls continues with their results`, () =>
      Effect.gen(function*() {
        const { events, next } = yield* stepOnce([bothTools], { agent: { streaming } })
        assert.strictEqual(next._tag, "Right")
        if (next._tag !== "Right" || next.right._tag !== "Continue") return assert.fail("expected Continue")
        const state = next.right.state
        assert.strictEqual(state.step, 2)
        assert.isFalse(state.forceOutput)
        assert.deepStrictEqual(state.transcript.map((m) => m.role), ["user", "assistant", "user"])
        assert.deepStrictEqual(
          state.transcript[2]!.content.map((block) => block._tag === "ToolResult" ? block.toolUseId : ""),
          ["w1", "t1"]
        )
        const [step] = state.steps
        assert.strictEqual(step!.index, 1)
        assert.strictEqual(step!.attempts, 1)
        assert.deepStrictEqual(step!.toolCalls.map((call) => [call.name, call.outcome._tag, call.reused]), [
          ["get_weather", "Success", false],
          ["get_time", "Success", false]
        ])
        assert.strictEqual(state.usage.totalTokens, 15)
        assert.strictEqual(state.cost, 0.001)
        assert.deepStrictEqual(
          events.filter((tag) => tag !== "ToolCall" && tag !== "ToolResult" && tag !== "TextDelta"),
          ["StepStart", "StepEnd"]
        )
        assert.strictEqual(events.filter((tag) => tag === "ToolResult").length, 2)
      }))
  }

  it.effect("an answer without tool calls finishes the run with its text", () =>
    Effect.gen(function*() {
      const { next } = yield* stepOnce([{ text: "Sunny, 14:05." }])
      if (next._tag !== "Right" || next.right._tag !== "Finish") return assert.fail("expected Finish")
      assert.strictEqual(next.right.output, "Sunny, 14:05.")
      assert.isUndefined(next.right.outputJson)
      assert.strictEqual(next.right.state.steps.length, 1)
      assert.strictEqual(next.right.state.step, 2)
    }))

  it.effect("a response over the token budget fails the step before its tools run", () =>
    Effect.gen(function*() {
      const calls: Array<string> = []
      const { next } = yield* stepOnce([{ ...bothTools, tokens: 500 }], {
        agent: { limits: { maxTokens: 100 } },
        calls
      })
      if (next._tag !== "Left") return assert.fail("expected a failure")
      assert.strictEqual(next.left._tag, "TokenBudgetExceeded")
      assert.strictEqual(next.left.steps, 0)
      assert.deepStrictEqual(next.left.transcript.map((m) => m.role), ["user", "assistant"])
      assert.deepStrictEqual(calls, [])
    }))

  it.effect("with an output schema: a plain answer is nudged to the respond tool, a valid call finishes", () =>
    Effect.gen(function*() {
      const Output = Schema.Struct({ summary: Schema.String })
      const nudged = yield* stepOnce([{ text: "It is sunny." }], { output: Output })
      if (nudged.next._tag !== "Right" || nudged.next.right._tag !== "Continue") return assert.fail("expected Continue")
      const state = nudged.next.right.state
      assert.isTrue(state.forceOutput)
      assert.strictEqual(
        Message.textOf(state.transcript[2]!),
        "Now give your final answer by calling the respond tool."
      )

      const answered = yield* stepOnce(
        [{ toolUses: [{ id: "r1", name: "respond", input: { summary: "sunny" } }] }],
        { output: Output, state }
      )
      if (answered.next._tag !== "Right" || answered.next.right._tag !== "Finish") return assert.fail("expected Finish")
      assert.deepStrictEqual(answered.next.right.output, { summary: "sunny" })
      assert.strictEqual(answered.next.right.outputJson, `{"summary":"sunny"}`)
      assert.strictEqual(answered.next.right.state.steps.length, 2)
    }))

  it.effect("the request carries the transcript, the tools and, when forced, the respond tool as tool choice", () =>
    Effect.gen(function*() {
      const requests: Array<BedrockClient.BedrockClient.Request> = []
      const settings = Loop.settings({ toolkit, instructions: "Be brief." })
      const fibers = ChildFibers.make()
      const state: RunState.RunState = { ...RunState.initial([Message.user("hi")]), forceOutput: true }
      yield* Effect.gen(function*() {
        const run = yield* Loop.makeRun(settings, {
          options: { output: Schema.Struct({ summary: Schema.String }) },
          consumer: undefined,
          fibers,
          publish: () => Effect.void,
          history: [Message.user("earlier"), Message.assistant("noted")]
        })
        yield* Step.step(run, state)
      }).pipe(
        Effect.provide(services(
          scriptedClient([{ toolUses: [{ id: "r1", name: "respond", input: { summary: "hi" } }] }], requests),
          toolkit.toLayer({
            get_weather: ({ city }) => Effect.succeed({ city, celsius: 1 }),
            get_time: () => Effect.void
          })
        ))
      )
      const [request] = requests
      assert.deepStrictEqual(request!.messages.map(Message.textOf), ["earlier", "noted", "hi"])
      assert.deepStrictEqual(request!.system, Message.system("Be brief."))
      assert.deepStrictEqual(request!.toolConfig?.tools.map((tool) => tool._tag === "ToolSpec" ? tool.name : ""), [
        "get_weather",
        "get_time",
        "respond"
      ])
      assert.deepStrictEqual(request!.toolConfig?.toolChoice, { _tag: "Tool", name: "respond" })
    }))
})
