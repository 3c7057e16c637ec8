/**
 * `@effect/ai` over bedrock-llm: the same `@effect/ai` programs as the `@effect/ai-amazon-bedrock` adapter
 * (`LanguageModel.generateText` / `streamText`; the agent step a `Chat` whose tool calls the toolkit resolves, then a
 * second turn) with `bedrock-llm/ai`'s `BedrockLanguageModel` as the provider, over `BedrockClient` with its defaults
 * (retry policy, circuit breaker, deadlines, accounting) and `BedrockRuntime` on HTTP/2. Embeddings through
 * `BedrockEmbeddingModel` over `EmbeddingsClient`. It lives here, not in `bench/compare/clients/`, because it uses the
 * repository's `@effect/ai` 0.37 (the peers' folder has the 0.35 that `@effect/ai-amazon-bedrock` needs).
 */
import * as Chat from "@effect/ai/Chat"
import * as EmbeddingModel from "@effect/ai/EmbeddingModel"
import * as LanguageModel from "@effect/ai/LanguageModel"
import * as Tool from "@effect/ai/Tool"
import * as Toolkit from "@effect/ai/Toolkit"
import { Effect, Layer, ManagedRuntime, Redacted, Schema, Stream } from "effect"
import { BedrockEmbeddingModel, BedrockLanguageModel } from "../../dist/ai/index.js"
import * as BedrockClient from "../../dist/BedrockClient.js"
import * as BedrockRuntime from "../../dist/BedrockRuntime.js"
import { ClientConfig, StaticCredentials } from "../../dist/Config.js"
import * as EmbeddingsClient from "../../dist/EmbeddingsClient.js"
import {
  type Adapter,
  agentPrompt,
  credentials,
  embedConcurrency,
  embeddingModelId,
  modelId,
  region,
  shortMaxTokens,
  shortPrompt,
  time,
  weather
} from "../compare/clients/Adapter.js"

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
  const runtimeLayer = BedrockRuntime.layer(
    new ClientConfig({
      region,
      endpoint,
      credentials: new StaticCredentials({
        accessKeyId: credentials.accessKeyId,
        secretAccessKey: Redacted.make(credentials.secretAccessKey)
      })
    })
  )
  const clientLayer = BedrockClient.layer({ model: { modelId, maxTokens: shortMaxTokens } })
  const embeddingsLayer = BedrockEmbeddingModel.layer().pipe(
    Layer.provide(EmbeddingsClient.layer({
      model: embeddingModelId,
      defaults: { dimensions: 256, normalize: true },
      cache: false,
      concurrency: embedConcurrency
    }))
  )
  const runtime = ManagedRuntime.make(
    Layer.mergeAll(BedrockLanguageModel.layer(), embeddingsLayer, ToolsLive).pipe(
      Layer.provideMerge(clientLayer),
      Layer.provideMerge(runtimeLayer)
    )
  )

  const agentRun = Effect.gen(function*() {
    const chat = yield* Chat.empty
    const first = yield* chat.generateText({ prompt: agentPrompt, toolkit: Tools })
    if (first.toolCalls.length === 0) return first.text.length
    const second = yield* chat.generateText({ prompt: [], toolkit: Tools })
    return second.text.length
  })

  return {
    name: "@effect/ai over bedrock-llm",
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
          BedrockLanguageModel.withConfigOverride({ maxTokens })
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
    embed: (texts) =>
      runtime.runPromise(
        Effect.flatMap(EmbeddingModel.EmbeddingModel, (model) =>
          Effect.map(model.embedMany(texts), (vectors) => vectors.length))
      ),
    close: () => runtime.dispose()
  }
}
