/**
 * A tool-using agent: a weather tool backed by a service, a calculator with typed failures, the run streamed as
 * events (text, tool calls, tool results), then a structured final answer.
 *
 *   npx tsx examples/agent-tools.ts
 */
import { Agent, Tool, Toolkit } from "bedrock-llm"
import { Context, Effect, Layer, Schema, Stream } from "effect"
import { run } from "./live.js"
import { plural } from "./plural.js"

// --- tools: what the model sees and the Schemas its calls are checked with --------------------------------------

const GetWeather = Tool.make("get_weather", {
  description: "Current weather for a city",
  parameters: {
    city: Schema.String.annotations({ description: "City name, e.g. Lisbon" }),
    unit: Schema.optional(Schema.Literal("celsius", "fahrenheit"))
  },
  success: Schema.Struct({ city: Schema.String, temperature: Schema.Number, unit: Schema.String, sky: Schema.String }),
  failure: Schema.TaggedStruct("UnknownCity", { city: Schema.String, known: Schema.Array(Schema.String) }),
  timeout: "5 seconds"
})

const Calculator = Tool.make("calculator", {
  description: "Evaluates an arithmetic expression with + - * / and parentheses",
  parameters: { expression: Schema.String },
  success: Schema.Struct({ expression: Schema.String, value: Schema.Number }),
  failure: Schema.Struct({ reason: Schema.String })
})

const toolkit = Toolkit.make(GetWeather, Calculator)

// --- a service the weather tool needs, provided by a Layer --------------------------------------------------------

class WeatherStation extends Context.Tag("example/WeatherStation")<WeatherStation, {
  readonly observe: (city: string) => Effect.Effect<{ readonly celsius: number; readonly sky: string } | undefined>
  readonly cities: ReadonlyArray<string>
}>() {}

const observations: Record<string, { readonly celsius: number; readonly sky: string }> = {
  lisbon: { celsius: 23, sky: "sunny" },
  oslo: { celsius: 4, sky: "snow" },
  paris: { celsius: 17, sky: "cloudy" }
}

const WeatherStationLive = Layer.succeed(WeatherStation, {
  observe: (city) => Effect.succeed(observations[city.trim().toLowerCase()]),
  cities: Object.keys(observations)
})

// --- the calculator: a small recursive-descent evaluator -------------------------------------------------------

const evaluate = (expression: string): number | string => {
  const tokens = expression.match(/\d+(?:\.\d+)?|[-+*/()]/g) ?? []
  if (tokens.join("") !== expression.replace(/\s+/g, "")) return `unexpected characters in "${expression}"`
  let at = 0
  const primary = (): number => {
    const token = tokens[at++]
    if (token === "(") {
      const value = sum()
      if (tokens[at++] !== ")") throw new Error("missing )")
      return value
    }
    if (token === "-") return -primary()
    if (token === undefined || !/^\d/.test(token)) throw new Error(`unexpected ${token ?? "end"}`)
    return Number(token)
  }
  const product = (): number => {
    let value = primary()
    while (tokens[at] === "*" || tokens[at] === "/") {
      value = tokens[at++] === "*"
        ? value * primary()
        : value / primary()
    }
    return value
  }
  const sum = (): number => {
    let value = product()
    while (tokens[at] === "+" || tokens[at] === "-") {
      value = tokens[at++] === "+"
        ? value + product()
        : value - product()
    }
    return value
  }
  try {
    const value = sum()
    return at === tokens.length && Number.isFinite(value) ? value : `cannot evaluate "${expression}"`
  } catch (error) {
    return `cannot evaluate "${expression}": ${(error as Error).message}`
  }
}

// --- handlers, provided as one Layer ----------------------------------------------------------------------------

const ToolsLive = toolkit.toLayer(Effect.gen(function*() {
  const station = yield* WeatherStation
  return {
    get_weather: ({ city, unit }) =>
      Effect.flatMap(station.observe(city), (observed) =>
        observed === undefined
          ? Effect.fail({ _tag: "UnknownCity" as const, city, known: station.cities })
          : Effect.succeed({
            city,
            temperature: unit === "fahrenheit" ? observed.celsius * 9 / 5 + 32 : observed.celsius,
            unit: unit ?? "celsius",
            sky: observed.sky
          })),
    calculator: ({ expression }) => {
      const value = evaluate(expression)
      return typeof value === "number" ? Effect.succeed({ expression, value }) : Effect.fail({ reason: value })
    }
  }
})).pipe(Layer.provide(WeatherStationLive))

// --- the agent ------------------------------------------------------------------------------------------------

const assistant = Agent.make({
  name: "assistant",
  instructions: "You answer with the tools you have. Use get_weather for weather and the calculator for arithmetic.",
  toolkit,
  limits: { maxSteps: 6, maxTokens: 20_000, deadline: "2 minutes" },
  toolConcurrency: 4
})

const Briefing = Schema.Struct({
  city: Schema.String,
  temperature: Schema.Number,
  advice: Schema.String.annotations({ description: "One sentence on what to wear" })
})

const program = Effect.gen(function*() {
  yield* assistant.stream(
    "What is the weather in Lisbon? Also use the calculator: expression is 18 * 7 + 3."
  ).pipe(
    Stream.runForEach((event) => {
      switch (event._tag) {
        case "StepStart":
          return Effect.sync(() => console.log(`\n--- step ${event.step}${event.attempt > 1 ? " (replay)" : ""}`))
        case "TextDelta":
          return Effect.sync(() => process.stdout.write(event.text))
        case "ToolCall":
          return Effect.sync(() => console.log(`\n> ${event.name}(${JSON.stringify(event.input)})`))
        case "ToolResult":
          return Effect.sync(() =>
            console.log(`< ${event.name}: ${event.result.status} ${JSON.stringify(event.result.content)}`)
          )
        case "Final":
          return Effect.sync(() =>
            console.log(
              `\n\n${plural(event.result.steps.length, "step")}, ${plural(event.result.usage.totalTokens, "token")}, $${
                event.result.cost.toFixed(6)
              }`
            )
          )
        default:
          return Effect.void
      }
    })
  )

  const briefing = yield* assistant.run("Use get_weather for Oslo and tell me what to wear.", { output: Briefing })
  console.log("\nstructured answer:", briefing.output)
}).pipe(Effect.provide(ToolsLive))

run(program)
