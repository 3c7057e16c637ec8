/**
 * bedrock-llm as an `@effect/ai` provider: a `Chat` with a `Toolkit` whose handlers come from a Layer, streamed, over
 * `BedrockLanguageModel` (and so over `BedrockClient`: retries, circuit breaker, deadlines, accounting). Offline it
 * talks to the embedded emulator; with AWS configured, to Amazon Bedrock.
 *
 *   npx tsx examples/effect-ai.ts
 */
process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true"

import * as Chat from "@effect/ai/Chat"
import type * as Prompt from "@effect/ai/Prompt"
import * as Tool from "@effect/ai/Tool"
import * as Toolkit from "@effect/ai/Toolkit"
import { NodeRuntime } from "@effect/platform-node"
import { BedrockClient, LocalBedrock } from "bedrock-llm"
import { BedrockAiError, BedrockLanguageModel } from "bedrock-llm/ai"
import { Console, Context, Effect, Layer, Schema, Stream } from "effect"

// --- a service the tool handlers need, provided by a Layer --------------------------------------------------------

class Forecasts extends Context.Tag("example/Forecasts")<Forecasts, {
  readonly today: (
    city: string
  ) => Effect.Effect<{ readonly city: string; readonly celsius: number; readonly sky: string }>
}>() {}

const ForecastsLive = Layer.succeed(Forecasts, {
  today: (city) => Effect.succeed({ city, celsius: city.length + 12, sky: city.length % 2 === 0 ? "sunny" : "cloudy" })
})

// --- the toolkit: what the model sees; its handlers are a Layer over the service -------------------------------

const GetWeather = Tool.make("get_weather", {
  description: "Today's weather for a city",
  parameters: { city: Schema.String.annotations({ description: "The city, e.g. Lisbon" }) },
  success: Schema.Struct({ city: Schema.String, celsius: Schema.Number, sky: Schema.String })
})

const Tools = Toolkit.make(GetWeather)

const ToolsLive = Tools.toLayer(Effect.map(Forecasts, (forecasts) => ({
  get_weather: ({ city }) => forecasts.today(city)
}))).pipe(Layer.provide(ForecastsLive))

// --- the provider: @effect/ai's LanguageModel over bedrock-llm's client -------------------------------------------

const LanguageModelLive = BedrockLanguageModel.layer({ config: { maxTokens: 512 } }).pipe(
  Layer.provide(BedrockClient.layerConfig({ defaultModelId: "anthropic.claude-3-haiku-20240307-v1:0" })),
  Layer.provide(LocalBedrock.layer({ onBackend: (backend) => console.error(`[bedrock-llm] backend: ${backend._tag}`) }))
)

// --- the program: one Chat, each turn streamed; a tool turn is resolved by @effect/ai, then answered --------------

const turn = (chat: Chat.Service, prompt: Prompt.RawInput) =>
  chat.streamText({ prompt, toolkit: Tools }).pipe(
    Stream.runFoldEffect({ toolCalls: 0 }, (state, part) => {
      switch (part.type) {
        case "text-delta":
          return Effect.as(Effect.sync(() => process.stdout.write(part.delta)), state)
        case "tool-call":
          return Effect.as(Console.log(`\n[tool call] ${part.name}(${JSON.stringify(part.params)})`), {
            toolCalls: state.toolCalls + 1
          })
        case "tool-result":
          return Effect.as(Console.log(`[tool result] ${JSON.stringify(part.encodedResult)}`), state)
        case "finish":
          return Effect.as(
            Console.log(`\n[${part.reason}; ${part.usage.inputTokens} tokens in, ${part.usage.outputTokens} out]`),
            state
          )
        default:
          return Effect.succeed(state)
      }
    })
  )

const program = Effect.gen(function*() {
  const chat = yield* Chat.fromPrompt([{ role: "system", content: "You are a concise weather assistant." }])
  for (const prompt of ["Hello! Can you help me plan a walk?", "Use get_weather for Lisbon please"]) {
    yield* Console.log(`\nuser> ${prompt}`)
    const { toolCalls } = yield* turn(chat, prompt)
    // After a tool turn the history ends with the tool results: one more turn lets the model answer from them.
    if (toolCalls > 0) yield* turn(chat, [])
  }
  const history = yield* chat.exportJson
  yield* Console.log(`\n[chat history: ${JSON.parse(history).content.length} messages]`)
}).pipe(
  // The library's typed errors are the AiErrors' causes: catch them by their own tags.
  BedrockAiError.unwrap,
  Effect.catchTags({
    ThrottlingError: (e) => Console.error(`still throttled after every retry (request ${e.requestId})`),
    CircuitOpenError: (e) => Console.error(`breaker open, retry in ${e.retryAfterMs} ms`)
  })
)

NodeRuntime.runMain(program.pipe(Effect.provide(Layer.mergeAll(LanguageModelLive, ToolsLive))))
