import { assert, describe, it, layer } from "@effect/vitest"
import { Chunk, Deferred, Effect, Fiber, Layer, Option, Ref, Schema, Stream, TestClock } from "effect"
import * as Agent from "../src/Agent.js"
import * as BedrockClient from "../src/BedrockClient.js"
import * as Conversation from "../src/Conversation.js"
import * as ConversationMemory from "../src/ConversationMemory.js"
import { Emulator } from "../src/emulator/Emulator.js"
import { converseEvents } from "../src/emulator/engine/index.js"
import * as Message from "../src/Message.js"
import * as Tool from "../src/Tool.js"
import * as Toolkit from "../src/Toolkit.js"
import { scriptedClient } from "./agent/scriptedClient.js"
import { eventually } from "./support/eventually.js"
import { liveLayer } from "./support/live.js"

// ---------------------------------------------------------------------------
// tools
// ---------------------------------------------------------------------------

const Weather = Tool.make("get_weather", {
  description: "Current weather for a city",
  parameters: { city: Schema.String },
  success: Schema.Struct({ city: Schema.String, celsius: Schema.Number }),
  failure: Schema.Struct({ reason: Schema.String })
})

const Calculator = Tool.make("calculator", {
  description: "Evaluates an arithmetic expression",
  parameters: { expression: Schema.String },
  success: Schema.Struct({ value: Schema.Number })
})

const Meet = Tool.make("meet", { description: "Waits for the other call", parameters: { who: Schema.String } })

const Count = Tool.make("count", { description: "Counts its calls", parameters: { key: Schema.String } })

const Hang = Tool.make("hang", { description: "Never finishes" })

const DeleteFile = Tool.make("delete_file", {
  description: "Deletes a file",
  parameters: { path: Schema.String },
  requiresApproval: true
})

const toolResults = (transcript: ReadonlyArray<Message.Message>): ReadonlyArray<Message.ToolResult> =>
  transcript.flatMap((message) => message.content.filter(Message.isToolResult))

const resultText = (result: Message.ToolResult | undefined): string =>
  result === undefined ? "" : Message.textOf(Message.user(result.content as never))

// ---------------------------------------------------------------------------
// scripted emulator turns
// ---------------------------------------------------------------------------

const toolUse = (toolUseId: string, name: string, input: unknown) => ({ toolUse: { toolUseId, name, input } })

/** The number of events up to and including the first contentBlockStop of a scripted answer. */
const eventsThroughFirstToolStop = (content: ReadonlyArray<unknown>): number =>
  converseEvents({ output: { message: { role: "assistant", content } } })
    .findIndex((event) => event.type === "contentBlockStop") + 1

const replayFirst = [toolUse("tu_a1", "count", { key: "a" }), toolUse("tu_b1", "count", { key: "b" })]
const replaySecond = [toolUse("tu_a2", "count", { key: "a" }), toolUse("tu_b2", "count", { key: "b" })]
const stallContent = [toolUse("tu_h1", "hang", {}), { text: "and now a long text that never arrives in full" }]

const scenario = {
  onExhausted: "repeat-last" as const,
  models: {
    "scripted-parallel": [
      { content: [toolUse("tu_m1", "meet", { who: "ann" }), toolUse("tu_m2", "meet", { who: "bob" })] },
      { text: "Both met." }
    ],
    "scripted-invalid": [
      { content: [toolUse("tu_w1", "get_weather", { city: 42 })] },
      { text: "Sorry, I sent a bad input." }
    ],
    "scripted-loop": [{ content: [toolUse("tu_l1", "count", { key: "loop" })] }],
    "scripted-stall": [{ content: stallContent, fault: `stall=${eventsThroughFirstToolStop(stallContent)}` }],
    "scripted-replay": [
      { content: replayFirst, fault: `stream-exception=${eventsThroughFirstToolStop(replayFirst)}` },
      { content: replaySecond },
      { text: "Counted." }
    ],
    "scripted-output": [
      { content: [toolUse("tu_r1", "respond", { city: 1 })] },
      { content: [toolUse("tu_r2", "respond", { city: "Paris", celsius: 20 })] }
    ]
  }
}

const scripted = (modelId: string) => ({ modelId, maxTokens: 256 })

// ---------------------------------------------------------------------------
// timing, with an in-process scripted client and the TestClock (before any `layer(...)`: @effect/vitest's `layer`
// replaces the shared `it.effect` with one that has no TestClock)
// ---------------------------------------------------------------------------

const Slow = Tool.make("slow", { description: "Takes its time", parameters: { ms: Schema.Number } })

describe("Agent timing (TestClock)", () => {
  it.effect("a tool that outlives its timeout is interrupted and reported as an error result", () =>
    Effect.gen(function*() {
      const toolkit = Toolkit.make(Slow)
      const started = yield* Deferred.make<void>()
      let interrupted = false
      const agent = Agent.make({ toolkit, toolTimeout: "5 seconds" })
      const fiber = yield* agent.run("go").pipe(
        Effect.provide(Layer.mergeAll(
          scriptedClient([{ toolUses: [{ id: "s1", name: "slow", input: { ms: 60_000 } }] }, { text: "done" }]),
          toolkit.toLayer({
            slow: ({ ms }) =>
              Deferred.succeed(started, undefined).pipe(
                Effect.zipRight(Effect.sleep(ms)),
                Effect.onInterrupt(() => Effect.sync(() => (interrupted = true)))
              )
          })
        )),
        Effect.fork
      )
      yield* Deferred.await(started)
      yield* TestClock.adjust("4999 millis")
      assert.isFalse(interrupted)
      yield* TestClock.adjust("1 millis")
      const result = yield* Fiber.join(fiber)
      assert.isTrue(interrupted)
      const call = result.steps[0]!.toolCalls[0]!
      assert.strictEqual(call.outcome._tag, "TimedOut")
      assert.include(resultText(call.result), `Tool "slow" did not finish within 5s`)
      assert.strictEqual(result.text, "done")
    }))

  it.effect("the deadline ends the run with the transcript so far and interrupts running tools", () =>
    Effect.gen(function*() {
      const toolkit = Toolkit.make(Slow)
      const started = yield* Deferred.make<void>()
      let interrupted = false
      const agent = Agent.make({ toolkit, limits: { deadline: "30 seconds" } })
      const fiber = yield* agent.run("go").pipe(
        Effect.provide(Layer.mergeAll(
          scriptedClient([{ text: "Working.", toolUses: [{ id: "s1", name: "slow", input: { ms: 3_600_000 } }] }]),
          toolkit.toLayer({
            slow: ({ ms }) =>
              Deferred.succeed(started, undefined).pipe(
                Effect.zipRight(Effect.sleep(ms)),
                Effect.onInterrupt(() => Effect.sync(() => (interrupted = true)))
              )
          })
        )),
        Effect.flip,
        Effect.fork
      )
      yield* Deferred.await(started)
      yield* TestClock.adjust("30 seconds")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "DeadlineExceeded")
      if (error._tag === "DeadlineExceeded") assert.strictEqual(error.deadlineMs, 30_000)
      assert.isTrue(interrupted)
      assert.deepStrictEqual(error.transcript.map((m) => m.role), ["user", "assistant"])
      assert.strictEqual(error.steps, 0)
    }))

  it.effect("tool calls run with a concurrency bound", () =>
    Effect.gen(function*() {
      const toolkit = Toolkit.make(Slow)
      let running = 0
      let peak = 0
      const agent = Agent.make({ toolkit, toolConcurrency: 2 })
      const fiber = yield* agent.run("go").pipe(
        Effect.provide(Layer.mergeAll(
          scriptedClient([
            { toolUses: [1, 2, 3].map((i) => ({ id: `s${i}`, name: "slow", input: { ms: 1000 } })) },
            { text: "done" }
          ]),
          toolkit.toLayer({
            slow: ({ ms }) =>
              Effect.acquireUseRelease(
                Effect.sync(() => (peak = Math.max(peak, ++running))),
                () => Effect.sleep(ms),
                () => Effect.sync(() => running--)
              )
          })
        )),
        Effect.fork
      )
      yield* TestClock.adjust("1 second")
      yield* TestClock.adjust("1 second")
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(peak, 2)
      assert.strictEqual(result.steps[0]!.toolCalls.length, 3)
    }))

  it.effect("stream emits the step events in order and memory carries the conversation across runs", () =>
    Effect.gen(function*() {
      const toolkit = Toolkit.make(Slow)
      const requests: Array<BedrockClient.BedrockClient.Request> = []
      const saved = yield* Ref.make<ReadonlyArray<Message.Message>>([])
      const memory: Agent.Memory = {
        messages: Ref.get(saved),
        append: (messages) => Ref.update(saved, (all) => [...all, ...messages])
      }
      const agent = Agent.make({ toolkit, memory, instructions: "Be brief." })
      const layer = Layer.mergeAll(
        scriptedClient([
          { text: "Let me wait.", toolUses: [{ id: "s1", name: "slow", input: { ms: 0 } }] },
          { text: "Waited." },
          { text: "Hello again." }
        ], requests),
        toolkit.toLayer({ slow: () => Effect.void })
      )
      const events = yield* Stream.runCollect(agent.stream("first")).pipe(Effect.provide(layer))
      assert.deepStrictEqual(Chunk.toReadonlyArray(events).map((e) => e._tag), [
        "StepStart",
        "TextDelta",
        "ToolCall",
        "ToolResult",
        "StepEnd",
        "StepStart",
        "TextDelta",
        "StepEnd",
        "Final"
      ])
      assert.strictEqual((yield* Ref.get(saved)).length, 4)
      const second = yield* agent.run("second").pipe(Effect.provide(layer))
      assert.strictEqual(second.text, "Hello again.")
      assert.deepStrictEqual(second.transcript.map((m) => Message.textOf(m)), ["second", "Hello again."])
      assert.deepStrictEqual(requests[2]!.messages.map((m) => m.role), [
        "user",
        "assistant",
        "user",
        "assistant",
        "user"
      ])
      assert.deepStrictEqual(requests[2]!.system, Message.system("Be brief."))
      assert.strictEqual((yield* Ref.get(saved)).length, 6)
      assert.isTrue(
        Option.isNone(Conversation.check(yield* Ref.get(saved), { toolConfig: Toolkit.toolConfig(toolkit) }))
      )
    }))

  it.effect("a call of a tool the toolkit does not have is answered with an error result naming the tools", () =>
    Effect.gen(function*() {
      const toolkit = Toolkit.make(Slow)
      const result = yield* Agent.make({ toolkit }).run("go").pipe(
        Effect.provide(Layer.mergeAll(
          scriptedClient([{ toolUses: [{ id: "n1", name: "nope", input: {} }] }, { text: "ok" }]),
          toolkit.toLayer({ slow: () => Effect.void })
        ))
      )
      const [missing] = toolResults(result.transcript)
      assert.strictEqual(missing?.status, "error")
      assert.include(resultText(missing), `There is no tool named "nope". Available tools: slow.`)
    }))

  it.effect("a memory that cannot be written fails the run with AgentMemoryError and the transcript", () =>
    Effect.gen(function*() {
      const memory: Agent.Memory = {
        messages: Effect.succeed([]),
        append: () => Effect.fail(new Error("disk full"))
      }
      const error = yield* Effect.flip(Agent.make({ memory }).run("hi")).pipe(
        Effect.provide(scriptedClient([{ text: "Hello." }]))
      )
      assert.strictEqual(error._tag, "AgentMemoryError")
      if (error._tag === "AgentMemoryError") assert.strictEqual(error.operation, "write")
      assert.include(error.message, "disk full")
      assert.strictEqual(error.transcript.length, 2)
    }))
})

// ---------------------------------------------------------------------------
// end to end, through the emulator
// ---------------------------------------------------------------------------

layer(liveLayer({ emulator: { scenario } }), { excludeTestServices: true })("Agent over the emulator", (it) => {
  it.effect("a tool-using run: tools in one step, results back to the model, final answer, usage and cost", () =>
    Effect.gen(function*() {
      const toolkit = Toolkit.make(Weather, Calculator)
      const agent = Agent.make({ toolkit, instructions: "You are a helpful assistant." })
      const result = yield* agent.run("Use get_weather for Paris and the calculator for 2+2.").pipe(
        Effect.provide(toolkit.toLayer({
          get_weather: ({ city }) => Effect.succeed({ city, celsius: 21 }),
          calculator: () => Effect.succeed({ value: 4 })
        }))
      )
      assert.strictEqual(result.steps.length, 2)
      assert.deepStrictEqual(result.steps[0]!.toolCalls.map((call) => call.name), ["get_weather", "calculator"])
      assert.deepStrictEqual(result.transcript.map((m) => m.role), ["user", "assistant", "user", "assistant"])
      assert.include(result.text, `get_weather returned: "{"city":"Paris","celsius":21}"`)
      assert.include(result.text, `calculator returned: "{"value":4}"`)
      assert.strictEqual(result.output, result.text)
      assert.isAbove(result.usage.totalTokens, 0)
      assert.isAbove(result.cost, 0)
      assert.strictEqual(result.usage.totalTokens, result.steps.reduce((n, s) => n + s.response.usage.totalTokens, 0))
    }))

  it.effect("streaming: false makes each step one Converse call, with the same run and step events", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      emulator.resetStats()
      const toolkit = Toolkit.make(Weather, Calculator)
      const agent = Agent.make({ toolkit, streaming: false })
      const events: Array<Agent.Event> = []
      const result = yield* agent.run("Use get_weather for Paris and the calculator for 2+2.", {
        onEvent: (event) => Effect.sync(() => void events.push(event))
      }).pipe(
        Effect.provide(toolkit.toLayer({
          get_weather: ({ city }) => Effect.succeed({ city, celsius: 21 }),
          calculator: () => Effect.succeed({ value: 4 })
        }))
      )
      assert.strictEqual(emulator.stats().requestsByOperation["Converse"], 2)
      assert.isUndefined(emulator.stats().requestsByOperation["ConverseStream"])
      assert.deepStrictEqual(result.steps.map((step) => step.toolCalls.map((call) => call.name)), [
        ["get_weather", "calculator"],
        []
      ])
      assert.deepStrictEqual(result.steps[0]!.toolCalls.map((call) => call.outcome._tag), ["Success", "Success"])
      assert.include(result.text, `calculator returned: "{"value":4}"`)
      // The emulator's tool-use answer has text before its tool uses: one TextDelta with it.
      assert.deepStrictEqual(events.map((event) => event._tag), [
        "StepStart",
        "TextDelta",
        "ToolCall",
        "ToolCall",
        "ToolResult",
        "ToolResult",
        "StepEnd",
        "StepStart",
        "TextDelta",
        "StepEnd",
        "Final"
      ])
      const deltas = events.flatMap((event) => event._tag === "TextDelta" ? [event] : [])
      assert.deepStrictEqual(deltas.map((delta) => delta.step), [1, 2])
      assert.strictEqual(deltas[1]!.text, result.text)
    }))

  it.effect("two toolUses of one step run concurrently", () =>
    Effect.gen(function*() {
      const toolkit = Toolkit.make(Meet)
      const arrived = yield* Ref.make(0)
      const both = yield* Deferred.make<void>()
      const agent = Agent.make({ toolkit, model: scripted("scripted-parallel"), toolTimeout: "3 seconds" })
      const result = yield* agent.run("Meet.").pipe(
        Effect.provide(toolkit.toLayer({
          meet: () =>
            Ref.updateAndGet(arrived, (n) => n + 1).pipe(
              Effect.tap((n) => n === 2 ? Deferred.succeed(both, undefined) : Effect.void),
              Effect.zipRight(Deferred.await(both))
            )
        }))
      )
      assert.deepStrictEqual(result.steps[0]!.toolCalls.map((call) => call.outcome._tag), ["Success", "Success"])
      assert.strictEqual(result.text, "Both met.")
    }))

  it.effect("a failing tool and a dying tool become error results and the loop goes on", () =>
    Effect.gen(function*() {
      const toolkit = Toolkit.make(Weather, Calculator)
      const agent = Agent.make({ toolkit })
      const result = yield* agent.run("Use get_weather in Atlantis and the calculator too.").pipe(
        Effect.provide(toolkit.toLayer({
          get_weather: ({ city }) => Effect.fail({ reason: `no weather station in ${city}` }),
          calculator: () => Effect.die(new Error("division by zero"))
        }))
      )
      const [weather, calculator] = toolResults(result.transcript)
      assert.strictEqual(weather?.status, "error")
      assert.deepStrictEqual(weather?.content, [Message.json({ reason: "no weather station in Atlantis" })])
      assert.strictEqual(calculator?.status, "error")
      assert.include(resultText(calculator), "division by zero")
      assert.include(result.text, "get_weather failed")
      assert.include(result.text, "calculator failed")
    }))

  it.effect("a handler that throws (in its body, in Effect.sync, or building its Layer) is a Defect result", () =>
    Effect.gen(function*() {
      const Add = Tool.make("add", {
        description: "Adds two numbers",
        parameters: { first: Schema.Number, second: Schema.Number },
        success: Schema.Struct({ sum: Schema.Number })
      })
      const toolkit = Toolkit.make(Add)
      const agent = Agent.make({ toolkit, limits: { maxSteps: 4 } })
      const prompt = "Use add with 2 as first and 40 as second."
      const layers = {
        body: toolkit.toLayer({
          add: ({ first, second }) => {
            if (first < 100) throw new Error("first too small")
            return Effect.succeed({ sum: first + second })
          }
        }),
        sync: toolkit.toLayer({
          add: () =>
            Effect.sync(() => {
              throw new Error("first too small")
            })
        }),
        build: toolkit.toLayer(Effect.sync((): { add: Tool.HandlerFn<typeof Add, never> } => {
          throw new Error("no connection to the adder service")
        }))
      }
      for (const [where, layer] of Object.entries(layers)) {
        const result = yield* agent.run(prompt).pipe(Effect.provide(layer))
        const [call] = result.steps[0]!.toolCalls
        assert.strictEqual(call?.outcome._tag, "Defect", where)
        assert.strictEqual(call?.result.status, "error", where)
        const text = resultText(toolResults(result.transcript)[0])
        assert.include(text, `Tool "add" failed unexpectedly`, where)
        // The model sees what a handler threw; of a Layer that could not build its handlers, only that the tool is
        // unavailable (the error itself is logged for the operator).
        if (where === "build") {
          assert.include(text, "the tool is unavailable", where)
          assert.notInclude(text, "adder service", where)
        } else {
          assert.include(text, "first too small", where)
        }
        assert.strictEqual(result.steps.length, 2, where)
        assert.isString(result.text)
      }
    }))

  it.effect("an input that does not decode goes back to the model as an error result; the handler never runs", () =>
    Effect.gen(function*() {
      const toolkit = Toolkit.make(Weather)
      let calls = 0
      const agent = Agent.make({ toolkit, model: scripted("scripted-invalid") })
      const result = yield* agent.run("Weather?").pipe(
        Effect.provide(toolkit.toLayer({
          get_weather: ({ city }) => Effect.sync(() => calls++).pipe(Effect.as({ city, celsius: 0 }))
        }))
      )
      assert.strictEqual(calls, 0)
      const [invalid] = toolResults(result.transcript)
      assert.strictEqual(invalid?.status, "error")
      assert.include(resultText(invalid), `Invalid input for tool "get_weather"`)
      assert.include(resultText(invalid), "Expected string, actual 42")
      assert.strictEqual(result.text, "Sorry, I sent a bad input.")
    }))

  it.effect("max steps, token and cost budgets end with a typed error carrying the transcript", () =>
    Effect.gen(function*() {
      const counting = Toolkit.make(Count)
      const looping = Agent.make({ toolkit: counting, model: scripted("scripted-loop"), limits: { maxSteps: 3 } })
      const steps = yield* Effect.flip(looping.run("Count forever.")).pipe(
        Effect.provide(counting.toLayer({ count: () => Effect.succeed({ counted: true }) }))
      )
      assert.strictEqual(steps._tag, "MaxStepsReached")
      assert.isTrue(Agent.isAgentLimitError(steps))
      if (steps._tag === "MaxStepsReached") assert.strictEqual(steps.maxSteps, 3)
      assert.strictEqual(steps.steps, 3)
      assert.strictEqual(steps.transcript.length, 7)
      assert.strictEqual(toolResults(steps.transcript).length, 3)
      const one = yield* Effect.flip(
        Agent.make({ toolkit: counting, model: scripted("scripted-loop"), limits: { maxSteps: 1 } }).run("Count.")
      ).pipe(Effect.provide(counting.toLayer({ count: () => Effect.succeed({ counted: true }) })))
      assert.strictEqual(one.message, `the agent "agent" did not finish within 1 step`)

      const tokens = yield* Effect.flip(Agent.make({ limits: { maxTokens: 20 } }).run("Tell me about rivers."))
      assert.strictEqual(tokens._tag, "TokenBudgetExceeded")
      assert.strictEqual(tokens.transcript.length, 2)
      assert.isAbove(tokens.usage.totalTokens, 20)

      const cost = yield* Effect.flip(Agent.make({ limits: { maxCost: 1e-9 } }).run("Tell me about lakes."))
      assert.strictEqual(cost._tag, "CostBudgetExceeded")
      assert.strictEqual(cost.transcript[1]?.role, "assistant")
      assert.isAbove(cost.cost, 1e-9)
    }))

  it.effect("interrupting a run interrupts its running tools and aborts the model stream", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      const toolkit = Toolkit.make(Hang)
      const started = yield* Deferred.make<void>()
      let finalised = false
      const agent = Agent.make({ toolkit, model: scripted("scripted-stall") })
      const before = emulator.stats().streamsAbortedByClient
      const fiber = yield* agent.run("Hang.").pipe(
        Effect.provide(toolkit.toLayer({
          hang: () =>
            Effect.acquireRelease(Deferred.succeed(started, undefined), () => Effect.sync(() => (finalised = true)))
              .pipe(Effect.zipRight(Effect.never), Effect.scoped)
        })),
        Effect.fork
      )
      yield* Deferred.await(started)
      assert.strictEqual(emulator.stats().activeStreams, 1)
      yield* Fiber.interrupt(fiber)
      assert.isTrue(finalised)
      assert.isTrue(yield* eventually(() => emulator.stats().streamsAbortedByClient === before + 1))
    }))

  it.effect("a stream failing mid-step is replayed without running finished tools again", () =>
    Effect.gen(function*() {
      const toolkit = Toolkit.make(Count)
      const counts = new Map<string, number>()
      const events: Array<Agent.Event> = []
      const agent = Agent.make({ toolkit, model: scripted("scripted-replay") })
      const result = yield* agent.run("Count a and b.", {
        onEvent: (event) => Effect.sync(() => events.push(event))
      }).pipe(
        Effect.provide(toolkit.toLayer({
          count: ({ key }) => Effect.sync(() => counts.set(key, (counts.get(key) ?? 0) + 1))
        }))
      )
      assert.deepStrictEqual(Object.fromEntries(counts), { a: 1, b: 1 })
      assert.strictEqual(result.steps[0]!.attempts, 2)
      assert.deepStrictEqual(result.steps[0]!.toolCalls.map((c) => [c.toolUseId, c.reused]), [
        ["tu_a2", true],
        ["tu_b2", false]
      ])
      const retry = events.find((event) => event._tag === "StepRetry")
      assert.strictEqual(retry?._tag === "StepRetry" && retry.error._tag, "StreamInterruptedError")
      assert.deepStrictEqual(events.filter((e) => e._tag === "ToolCall").map((e) => e._tag === "ToolCall" && e.name), [
        "count",
        "count"
      ])
      assert.deepStrictEqual(toolResults(result.transcript).map((r) => r.toolUseId), ["tu_a2", "tu_b2"])
      assert.strictEqual(result.text, "Counted.")
    }))

  it.effect("a stream cut at a frame boundary (closed, reset or ended early) replays the step", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      for (const fault of ["close=3", "reset=3", "end=3"]) {
        emulator.faults.enqueue(fault)
        const events: Array<Agent.Event> = []
        const result = yield* Agent.make().run("Tell me about rivers.", {
          onEvent: (event) => Effect.sync(() => events.push(event))
        })
        assert.strictEqual(result.response.stopReason, "end_turn", fault)
        assert.strictEqual(result.steps[0]!.attempts, 2, fault)
        const retry = events.find((event) => event._tag === "StepRetry")
        assert.strictEqual(retry?._tag === "StepRetry" && retry.error.eventsReceived, 3, fault)
        const cause = retry?._tag === "StepRetry" ? retry.error.cause as { _tag?: string; code?: string } : undefined
        assert.deepStrictEqual([cause?._tag, cause?.code], ["TransportError", "INCOMPLETE_EVENT_STREAM"], fault)
      }
    }))

  it.effect("structured output: a forced respond call decoded with the schema, retried on a bad input", () =>
    Effect.gen(function*() {
      const Summary = Schema.Struct({ city: Schema.String, celsius: Schema.Number })
      const plain = yield* Agent.make().run("Tell me about the weather in Paris.", { output: Summary })
      assert.isString(plain.output.city)
      assert.isNumber(plain.output.celsius)
      assert.strictEqual(plain.steps.length, 2)
      assert.deepStrictEqual(
        plain.transcript[2],
        Message.user("Now give your final answer by calling the respond tool.")
      )

      const scriptedRun = yield* Agent.make({ model: scripted("scripted-output") }).run("Weather?", { output: Summary })
      assert.deepStrictEqual(scriptedRun.output, { city: "Paris", celsius: 20 })
      const [rejected] = toolResults(scriptedRun.transcript)
      assert.strictEqual(rejected?.status, "error")
      assert.include(resultText(rejected), `["city"]`)

      const list = yield* Agent.make().run("List three rivers.", { output: Schema.Array(Schema.String) })
      assert.isArray(list.output)
    }))

  it.effect("a tool that requires approval waits for the decision; a refusal goes back to the model", () =>
    Effect.gen(function*() {
      const toolkit = Toolkit.make(DeleteFile, Weather)
      const deleted: Array<string> = []
      const layer = toolkit.toLayer({
        delete_file: ({ path }) => Effect.sync(() => deleted.push(path)),
        get_weather: ({ city }) => Effect.succeed({ city, celsius: 3 })
      })
      const agent = Agent.make({ toolkit })
      const asked: Array<string> = []
      const refused = yield* agent.run("Use delete_file on /tmp/a and get_weather in Oslo.", {
        onApproval: (request) =>
          Effect.sync(() => asked.push(request.name)).pipe(Effect.zipRight(request.deny("not on a Friday")))
      }).pipe(Effect.provide(layer))
      assert.deepStrictEqual(asked, ["delete_file"])
      assert.deepStrictEqual(deleted, [])
      const [denied, weather] = toolResults(refused.transcript)
      assert.strictEqual(denied?.status, "error")
      assert.include(resultText(denied), "not approved: not on a Friday")
      assert.strictEqual(weather?.status, "success")
      assert.include(refused.text, "delete_file failed")

      const events = yield* agent.stream("Use delete_file on /tmp/b please.").pipe(
        Stream.tap((event) => event._tag === "ApprovalRequested" ? event.request.approve : Effect.void),
        Stream.runCollect,
        Effect.provide(layer)
      )
      const tags = Chunk.toReadonlyArray(events).map((event) => event._tag)
      assert.deepStrictEqual(tags.filter((tag) => tag !== "TextDelta"), [
        "StepStart",
        "ToolCall",
        "ApprovalRequested",
        "ToolResult",
        "StepEnd",
        "StepStart",
        "StepEnd",
        "Final"
      ])
      assert.strictEqual(deleted.length, 1)

      const unattended = yield* agent.run("Use delete_file on /tmp/c.").pipe(Effect.provide(layer))
      assert.include(resultText(toolResults(unattended.transcript)[0]), "no approver")
      assert.strictEqual(deleted.length, 1)
    }))

  it.effect("a ConversationMemory conversation carries the dialogue (tool turns included) across runs", () =>
    Effect.gen(function*() {
      const toolkit = Toolkit.make(Weather)
      const conversation = yield* ConversationMemory.conversation("agent-memory-test")
      const agent = Agent.make({ toolkit, memory: conversation })
      const layer = toolkit.toLayer({ get_weather: ({ city }) => Effect.succeed({ city, celsius: 9 }) })
      yield* agent.run("Use get_weather in Bergen.").pipe(Effect.provide(layer))
      assert.deepStrictEqual((yield* conversation.messages).map((m) => m.role), [
        "user",
        "assistant",
        "user",
        "assistant"
      ])
      const second = yield* agent.run("Thanks! And how are you?").pipe(Effect.provide(layer))
      assert.strictEqual(second.transcript.length, 2)
      const stored = yield* conversation.messages
      assert.strictEqual(stored.length, 6)
      assert.strictEqual(Message.textOf(stored[4]!), "Thanks! And how are you?")
    }).pipe(Effect.provide(ConversationMemory.layerMemory())))

  it.effect("model calls go through the client's retry policy", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      emulator.resetStats()
      emulator.faults.enqueue("throttle")
      const result = yield* Agent.make().run("Hello after a throttle.")
      assert.strictEqual(result.response.stopReason, "end_turn")
      assert.strictEqual(emulator.stats().requestsByOperation["ConverseStream"], 2)
      assert.strictEqual(emulator.stats().faultsInjected["throttle"], 1)
    }))

  it.effect("an agent can be a tool of another agent", () =>
    Effect.gen(function*() {
      const Lookup = Tool.make("lookup", {
        description: "Looks up facts",
        parameters: { topic: Schema.String },
        success: Schema.Struct({ fact: Schema.String })
      })
      const researchKit = Toolkit.make(Lookup)
      const researcher = Agent.make({
        name: "researcher",
        toolkit: researchKit,
        toolChoice: Conversation.toolChoiceTool("lookup")
      })
      const Research = Agent.asTool(researcher, { name: "research", description: "Researches a topic" })
      const leadKit = Toolkit.make(Research)
      const lead = Agent.make({ name: "lead", toolkit: leadKit })
      const result = yield* lead.run("Use research to learn about otters.").pipe(
        Effect.provide(leadKit.toLayer({ research: Research.handler })),
        Effect.provide(researchKit.toLayer({ lookup: () => Effect.succeed({ fact: "Otters hold hands." }) }))
      )
      const [delegated] = toolResults(result.transcript)
      assert.strictEqual(delegated?.status, "success")
      const json = delegated?.content[0]
      assert.strictEqual(json?._tag, "Json")
      const answer = json?._tag === "Json" ? json.json as { answer: string; steps: number } : undefined
      assert.strictEqual(answer?.steps, 2)
      assert.include(answer?.answer, "Otters hold hands.")
      assert.include(result.text, "research returned")
    }))
})
