/**
 * `@effect/ai-amazon-bedrock` (with `@effect/ai` and `@effect/platform`'s `FetchHttpClient`): it signs requests itself
 * (aws4fetch) and speaks HTTP/1.1 through Node's fetch. `LanguageModel.generateText` / `streamText`; the agent step is
 * a `Chat` (the tool calls are resolved by the toolkit, then a second turn answers from the results): `@effect/ai` has
 * no loop of its own. No embeddings model for Bedrock.
 */
import * as AmazonBedrockClient from "@effect/ai-amazon-bedrock/AmazonBedrockClient"
import * as AmazonBedrockLanguageModel from "@effect/ai-amazon-bedrock/AmazonBedrockLanguageModel"
import * as Chat from "@effect/ai/Chat"
import * as LanguageModel from "@effect/ai/LanguageModel"
import * as Tool from "@effect/ai/Tool"
import * as Toolkit from "@effect/ai/Toolkit"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { Effect, Layer, ManagedRuntime, Redacted, Schema, Stream } from "effect"
import {
  type Adapter,
  agentPrompt,
  credentials,
  modelId,
  region,
  shortMaxTokens,
  shortPrompt,
  time,
  weather
} from "./Adapter.js"

const range = (n: number) => Array.from({ length: n }, (_, i) => i)

const GetWeather = Tool.make("get_weather", {
  description: "Current weather for a city",
  parameters: { city: Schema.String.annotations({ description: "The city" }) },
  success: Schema.Unknown
})
const GetTime = Tool.make("get_time", {
  description: "Current local time in a city",
  parameters: { city: Schema.String.annotations({ description: "The city" }) },
  success: Schema.Unknown
})
const Tools = Toolkit.make(GetWeather, GetTime)
const ToolsLive = Tools.toLayer({
  get_weather: ({ city }) => Effect.succeed(weather(city)),
  get_time: ({ city }) => Effect.succeed(time(city))
})

export const make = async (endpoint: string): Promise<Adapter> => {
  const clientLayer = AmazonBedrockClient.layer({
    apiUrl: endpoint,
    accessKeyId: credentials.accessKeyId,
    secretAccessKey: Redacted.make(credentials.secretAccessKey),
    region
  }).pipe(Layer.provide(FetchHttpClient.layer))
  const model = AmazonBedrockLanguageModel.layer({
    model: modelId,
    config: { inferenceConfig: { maxTokens: shortMaxTokens } }
  })
  const runtime = ManagedRuntime.make(Layer.mergeAll(model, ToolsLive).pipe(Layer.provideMerge(clientLayer)))

  const agentRun = Effect.gen(function*() {
    const chat = yield* Chat.empty
    const first = yield* chat.generateText({ prompt: agentPrompt, toolkit: Tools })
    if (first.toolCalls.length === 0) return first.text.length
    const second = yield* chat.generateText({ prompt: [], toolkit: Tools })
    return second.text.length
  })

  return {
    name: "@effect/ai-amazon-bedrock",
    converse: (n, concurrency) =>
      runtime.runPromise(
        Effect.reduceEffect(
          range(n).map(() => Effect.map(LanguageModel.generateText({ prompt: shortPrompt }), (r) => r.text.length)),
          Effect.succeed(0),
          (a, b) => a + b,
          { concurrency }
        )
      ),
    stream: (n, concurrency, prompt, maxTokens) => {
      let events = 0
      const firstEventMs: Array<number> = []
      const one = Effect.suspend(() => {
        const started = performance.now()
        let first = true
        return LanguageModel.streamText({ prompt }).pipe(
          Stream.runForEach((part) =>
            Effect.sync(() => {
              events++
              if (first && part.type === "text-delta") {
                first = false
                firstEventMs.push(performance.now() - started)
              }
            })
          ),
          AmazonBedrockLanguageModel.withConfigOverride({ inferenceConfig: { maxTokens } })
        )
      })
      return runtime.runPromise(Effect.forEach(range(n), () => one, { concurrency, discard: true })).then(() => ({
        events,
        firstEventMs
      }))
    },
    agent: (n, concurrency) =>
      runtime.runPromise(
        Effect.reduceEffect(range(n).map(() => agentRun), Effect.succeed(0), (a, b) => a + b, { concurrency })
      ),
    close: () => runtime.dispose()
  }
}
