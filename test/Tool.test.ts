import { assert, describe, it, layer } from "@effect/vitest"
import { Cause, Context, Effect, Either, Layer, Logger, Schema } from "effect"
import * as BedrockClient from "../src/BedrockClient.js"
import * as Conversation from "../src/Conversation.js"
import * as Message from "../src/Message.js"
import * as Response from "../src/Response.js"
import * as Tool from "../src/Tool.js"
import * as Toolkit from "../src/Toolkit.js"
import { liveLayer } from "./support/live.js"

const Unit = Schema.Literal("celsius", "fahrenheit").annotations({ identifier: "Unit" })

const Forecast = Tool.make("get_forecast", {
  description: "The forecast for a city",
  parameters: Schema.Struct({
    city: Schema.String.annotations({ description: "City name" }),
    unit: Schema.optional(Unit),
    days: Schema.Int.pipe(Schema.between(1, 7)),
    from: Schema.optional(Schema.DateFromString)
  }).annotations({ identifier: "ForecastParameters" }),
  success: Schema.Struct({ city: Schema.String, days: Schema.Array(Schema.Number), issued: Schema.DateFromString }),
  failure: Schema.TaggedStruct("UnknownCity", { city: Schema.String })
})

const Echo = Tool.make("echo", { parameters: { text: Schema.String }, success: Schema.String })

const Explode = Tool.make("explode", { description: "Always dies" })

class Thermometer extends Context.Tag("test/Thermometer")<Thermometer, { readonly read: (city: string) => number }>() {}

const call = (id: string, input: unknown) => ({ toolUseId: id, input })

const serviceOf = <T extends Tool.Any>(_tool: T, handler: Tool.HandlerFn<T, never>): Tool.HandlerService => ({
  handle: (parameters, context) => handler(parameters as Tool.Parameters<T>, context)
})

const hasRef = (value: unknown): boolean =>
  typeof value === "object" && value !== null &&
  (Object.keys(value).some((key) => key === "$ref" || key === "$defs" || key === "$schema") ||
    Object.values(value).some(hasRef))

describe("Tool.jsonSchema", () => {
  it("is self-contained: identifiers and refinements are inlined, no $ref, $defs or $schema", () => {
    const schema = Forecast.jsonSchema
    assert.isFalse(hasRef(schema))
    assert.strictEqual(schema["type"], "object")
    assert.deepStrictEqual(schema["required"], ["city", "days"])
    const properties = schema["properties"] as Record<string, Record<string, unknown>>
    assert.deepStrictEqual(properties["unit"], { type: "string", enum: ["celsius", "fahrenheit"] })
    assert.strictEqual(properties["days"]!["type"], "integer")
    assert.strictEqual(properties["days"]!["minimum"], 1)
    assert.strictEqual(properties["days"]!["maximum"], 7)
    assert.strictEqual(properties["city"]!["description"], "City name")
    assert.strictEqual(properties["from"]!["type"], "string")
    assert.deepStrictEqual(Forecast.spec, {
      _tag: "ToolSpec",
      name: "get_forecast",
      description: "The forecast for a city",
      inputSchema: schema
    })
  })

  it("keeps a recursive definition, and only that one", () => {
    interface Tree {
      readonly label: string
      readonly children: ReadonlyArray<Tree>
    }
    const Tree: Schema.Schema<Tree> = Schema.Struct({
      label: Schema.String,
      children: Schema.Array(Schema.suspend((): Schema.Schema<Tree> => Tree))
    }).annotations({ identifier: "Tree" })
    const schema = Tool.jsonSchema(Schema.Struct({ root: Tree, note: Schema.NonEmptyString }))
    assert.deepStrictEqual(Object.keys(schema["$defs"] as object), ["Tree"])
    assert.isUndefined(schema["$schema"])
    const root = (schema["properties"] as Record<string, Record<string, unknown>>)["root"]!
    assert.strictEqual(root["type"], "object")
    assert.deepStrictEqual((root["properties"] as any)["children"]["items"], { $ref: "#/$defs/Tree" })
  })

  it("struct fields and no parameters both give an object schema", () => {
    assert.deepStrictEqual(Echo.jsonSchema, {
      type: "object",
      required: ["text"],
      properties: { text: { type: "string" } },
      additionalProperties: false
    })
    assert.deepStrictEqual(Explode.jsonSchema, { type: "object", properties: {} })
    // @ts-expect-error the parameters of a tool must encode to a JSON object
    Tool.make("bad", { parameters: Schema.String })
  })
})

describe("Tool.execute", () => {
  const forecast = serviceOf(Forecast, ({ city, days }) =>
    city === "Atlantis"
      ? Effect.fail({ _tag: "UnknownCity" as const, city })
      : Effect.succeed({ city, days: Array.from({ length: days }, (_, i) => 20 + i), issued: new Date(0) }))

  it.effect("decodes the input, runs the handler and encodes its success as JSON", () =>
    Effect.gen(function*() {
      const outcome = yield* Tool.execute(Forecast, forecast, call("t1", { city: "Paris", days: 2, extra: true }))
      assert.deepStrictEqual(
        outcome,
        Tool.Outcome.Success({
          value: { city: "Paris", days: [20, 21], issued: "1970-01-01T00:00:00.000Z" }
        })
      )
      const result = Tool.toToolResult("t1", Forecast.name, outcome)
      assert.strictEqual(result.status, "success")
      assert.deepStrictEqual(result.content, [Message.json({
        city: "Paris",
        days: [20, 21],
        issued: "1970-01-01T00:00:00.000Z"
      })])
    }))

  it.effect("an input that does not decode is an error result that says what was wrong; the handler never runs", () =>
    Effect.gen(function*() {
      let ran = false
      const spy = serviceOf(Forecast, () => Effect.sync(() => (ran = true)).pipe(Effect.as(null as never)))
      const outcome = yield* Tool.execute(Forecast, spy, call("t2", { city: 42, days: 9, unit: "kelvin" }))
      assert.isFalse(ran)
      assert.strictEqual(outcome._tag, "InvalidInput")
      const result = Tool.toToolResult("t2", Forecast.name, outcome)
      assert.strictEqual(result.status, "error")
      const text = Message.textOf(Message.user(result.content as never))
      assert.include(text, `Invalid input for tool "get_forecast"`)
      assert.include(text, `["city"]`)
      assert.include(text, "Expected string, actual 42")
      assert.include(text, `["days"]`)
      assert.include(text, `["unit"]`)
    }))

  it.effect("a typed failure is an error result with the encoded failure", () =>
    Effect.gen(function*() {
      const outcome = yield* Tool.execute(Forecast, forecast, call("t3", { city: "Atlantis", days: 1 }))
      assert.deepStrictEqual(outcome, Tool.Outcome.Failure({ error: { _tag: "UnknownCity", city: "Atlantis" } }))
      const result = Tool.toToolResult("t3", Forecast.name, outcome)
      assert.strictEqual(result.status, "error")
      assert.deepStrictEqual(result.content, [Message.json({ _tag: "UnknownCity", city: "Atlantis" })])
    }))

  it.effect("a defect is caught and reported, never fatal", () =>
    Effect.gen(function*() {
      const outcome = yield* Tool.execute(
        Explode,
        serviceOf(Explode, () => Effect.die(new Error("boom"))),
        call("t4", {})
      )
      assert.deepStrictEqual(outcome, Tool.Outcome.Defect({ message: "boom" }))
      const thrown = yield* Tool.execute(Explode, {
        handle: () =>
          Effect.sync(() => {
            throw new TypeError("kaput")
          })
      }, call("t5", {}))
      assert.deepStrictEqual(thrown, Tool.Outcome.Defect({ message: "kaput" }))
      const result = Tool.toToolResult("t4", "explode", outcome)
      assert.strictEqual(result.status, "error")
      assert.include(Message.textOf(Message.user(result.content as never)), `Tool "explode" failed unexpectedly: boom`)
    }))

  it.effect("a handler that throws before returning its Effect is a defect too", () =>
    Effect.gen(function*() {
      const thrown = yield* Tool.execute(Explode, {
        handle: () => {
          throw new Error("thrown in the body")
        }
      }, call("t8", {}))
      assert.deepStrictEqual(thrown, Tool.Outcome.Defect({ message: "thrown in the body" }))
    }))

  it.effect("a success the schema rejects is a defect; a non-object JSON result is wrapped", () =>
    Effect.gen(function*() {
      const wrong = yield* Tool.execute(Echo, { handle: () => Effect.succeed(42) }, call("t6", { text: "hi" }))
      assert.strictEqual(wrong._tag, "Defect")
      const ok = yield* Tool.execute(Echo, serviceOf(Echo, ({ text }) => Effect.succeed(text.toUpperCase())), {
        toolUseId: "t7",
        input: { text: "hi" }
      })
      assert.deepStrictEqual(Tool.toToolResult("t7", "echo", ok).content, [Message.json({ result: "HI" })])
    }))

  it("every other outcome is an error result with a readable text", () => {
    const texts = [
      Tool.Outcome.TimedOut({ timeout: "5 seconds" as never }),
      Tool.Outcome.Denied({ reason: "not today" }),
      Tool.Outcome.UnknownTool({ available: ["echo"] })
    ].map((outcome) => {
      const result = Tool.toToolResult("x", "echo", outcome)
      assert.strictEqual(result.status, "error")
      return Message.textOf(Message.user(result.content as never))
    })
    assert.include(texts[1], "not approved: not today")
    assert.include(texts[2], `no tool named "echo". Available tools: echo.`)
  })
})

describe("Toolkit", () => {
  const toolkit = Toolkit.make(Forecast, Echo)

  it.effect("toLayer provides every handler, with the services they require captured at build time", () =>
    Effect.gen(function*() {
      const handlers = yield* Toolkit.handlers(toolkit)
      const outcome = yield* Tool.execute(
        Forecast,
        handlers.get("get_forecast")!,
        call("k1", { city: "Oslo", days: 1 })
      )
      assert.deepStrictEqual(
        outcome,
        Tool.Outcome.Success({
          value: { city: "Oslo", days: [-3], issued: "1970-01-01T00:00:00.000Z" }
        })
      )
      const echoed = yield* Tool.execute(Echo, handlers.get("echo")!, call("k2", { text: "a" }))
      assert.deepStrictEqual(echoed, Tool.Outcome.Success({ value: "a!" }))
    }).pipe(
      Effect.provide(
        toolkit.toLayer({
          get_forecast: ({ city }) =>
            Effect.map(Thermometer, (t) => ({ city, days: [t.read(city)], issued: new Date(0) })),
          echo: ({ text }) => Effect.succeed(`${text}!`)
        }).pipe(Layer.provide(Layer.succeed(Thermometer, { read: () => -3 })))
      )
    ))

  it.effect("handlers can be built by an Effect, and a single tool has its own toLayer", () =>
    Effect.gen(function*() {
      const handlers = yield* Toolkit.handlers(Toolkit.make(Echo))
      assert.deepStrictEqual(
        yield* Tool.execute(Echo, handlers.get("echo")!, call("k3", { text: "x" })),
        Tool.Outcome.Success({ value: "x7" })
      )
    }).pipe(Effect.provide(
      Tool.toLayer(
        Echo,
        Effect.map(
          Thermometer,
          (t) => ({ text }: { readonly text: string }) => Effect.succeed(`${text}${t.read(text)}`)
        )
      ).pipe(
        Layer.provide(Layer.succeed(Thermometer, { read: () => 7 }))
      )
    )))

  it.effect("a handler that throws in its body is a Defect outcome of that call, and the next call still runs", () =>
    Effect.gen(function*() {
      const handlers = yield* Toolkit.handlers(Toolkit.make(Echo))
      const echo = handlers.get("echo")!
      assert.deepStrictEqual(
        yield* Tool.execute(Echo, echo, call("k4", { text: "" })),
        Tool.Outcome.Defect({ message: "empty text" })
      )
      assert.deepStrictEqual(
        yield* Tool.execute(Echo, echo, call("k5", { text: "a" })),
        Tool.Outcome.Success({ value: "a" })
      )
    }).pipe(Effect.provide(
      Toolkit.make(Echo).toLayer({
        echo: ({ text }) => {
          if (text === "") throw new Error("empty text")
          return Effect.succeed(text)
        }
      })
    )))

  it.effect("a Layer whose handlers die while being built still builds: the defect is logged, each call is a Defect", () =>
    Effect.gen(function*() {
      const logged: Array<string> = []
      const logger = Logger.replace(
        Logger.defaultLogger,
        Logger.make(({ cause, logLevel, message }) =>
          logged.push(`${logLevel.label} ${String(message)} ${Cause.pretty(cause)}`)
        )
      )
      const dying = Effect.sync((): { echo: Tool.HandlerFn<typeof Echo, never> } => {
        throw new Error("the echo server is down")
      })
      const layers = [
        Toolkit.make(Echo).toLayer(dying),
        Tool.toLayer(Echo, Effect.map(dying, (handlers) => handlers.echo))
      ]
      for (const layer of layers) {
        const outcome = yield* Effect.flatMap(
          Toolkit.handlers(Toolkit.make(Echo)),
          (handlers) => Tool.execute(Echo, handlers.get("echo")!, call("k6", { text: "a" }))
        ).pipe(Effect.provide(layer), Effect.provide(logger))
        assert.deepStrictEqual(
          outcome,
          Tool.Outcome.Defect({ message: "the tool is unavailable: its handler could not be built" })
        )
      }
      assert.strictEqual(logged.length, 2)
      for (const line of logged) {
        assert.match(line, /^ERROR bedrock-llm: the handlers of echo could not be built/)
        assert.include(line, "the echo server is down")
      }
      // A typed failure of the Effect is the Layer's own: the caller gets it before anything runs.
      const failing = Toolkit.make(Echo).toLayer(Effect.fail("no config" as const))
      const error = yield* Effect.flip(Effect.provide(Toolkit.handlers(Toolkit.make(Echo)), failing))
      assert.strictEqual(error, "no config")
    }))

  it("builds the tool configuration, merges toolkits and exposes tools by name", () => {
    const config = Toolkit.toolConfig(toolkit, { toolChoice: Conversation.toolChoiceAny })
    assert.deepStrictEqual(config, { tools: [Forecast.spec, Echo.spec], toolChoice: Conversation.toolChoiceAny })
    assert.isUndefined(Toolkit.toolConfig(Toolkit.empty))
    const merged = Toolkit.merge(toolkit, Toolkit.make(Explode))
    assert.deepStrictEqual(Object.keys(merged.tools), ["get_forecast", "echo", "explode"])
    assert.strictEqual(merged.tools.explode, Explode)
    assert.isTrue(Toolkit.isToolkit(merged))
    assert.isTrue(Tool.isTool(Echo))
  })
})

layer(liveLayer(), { excludeTestServices: true })("Tool over the emulator", (it) => {
  it.effect("the generated JSON Schema is accepted and the model's input decodes with the parameter Schema", () =>
    Effect.gen(function*() {
      for (const tool of [Forecast, Echo, Explode] as const) {
        const response = yield* BedrockClient.generate({
          messages: [Message.user("Please help: the forecast for Paris for 3 days in celsius")],
          toolConfig: Conversation.toolConfig([tool.spec], Conversation.toolChoiceTool(tool.name))
        })
        assert.strictEqual(response.stopReason, "tool_use")
        const [use] = Response.toolUses(response)
        assert.strictEqual(use?.name, tool.name)
        assert.isTrue(Either.isRight(Tool.decodeInput(tool, use?.input)), JSON.stringify(use?.input))
      }
    }))
})
