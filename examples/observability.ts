/**
 * Observability, offline: an agent run with a tool exported with `@effect/opentelemetry` to the console (its
 * `invoke_agent`, `chat` and `execute_tool` spans), the library's log lines as JSON (retries at Info, failures at
 * Warning), and progress bars for 10,000 embeddings and a 500-item batch.
 *
 *   npx tsx examples/observability.ts
 */
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { ConsoleSpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Agent, BedrockClient, EmbeddingsClient, Tool, Toolkit } from "bedrock-llm"
import * as Telemetry from "bedrock-llm/Telemetry"
import { Effect, Layer, Logger, Schema } from "effect"
import { ClientLive, runMain, RuntimeLive } from "./live.js"

const GetWeather = Tool.make("get_weather", {
  description: "Current weather for a city",
  parameters: { city: Schema.String },
  success: Schema.Struct({ city: Schema.String, celsius: Schema.Number }),
  failure: Schema.Struct({ reason: Schema.String })
})
const toolkit = Toolkit.make(GetWeather)

/** Spans to the console: every finished span is printed as the OpenTelemetry SDK sees it. */
const TracingLive = NodeSdk.layer(() => ({
  resource: { serviceName: "observability-example" },
  spanProcessor: new SimpleSpanProcessor(new ConsoleSpanExporter())
}))

const agentRun = Effect.gen(function*() {
  const agent = Agent.make({ toolkit, name: "forecaster" })
  const result = yield* agent.run("Use get_weather for Lisbon.").pipe(
    Effect.provide(toolkit.toLayer({ get_weather: ({ city }) => Effect.succeed({ city, celsius: 19 }) }))
  )
  console.log(`agent answered in ${result.steps.length} steps: ${result.text}`)
}).pipe(Effect.provide(TracingLive))

/** A retried call logged as JSON lines: the retry at Info, then the answer. */
const retriedCall = BedrockClient.generate("What is the capital of Portugal?").pipe(
  Effect.provide(Logger.replace(Logger.defaultLogger, Logger.jsonLogger))
)

const progress = Effect.gen(function*() {
  const embeddings = yield* EmbeddingsClient.EmbeddingsClient
  const texts = Array.from({ length: 10_000 }, (_, i) => `document ${i}`)
  yield* embeddings.embedMany(texts, { onProgress: Telemetry.terminalBar({ label: "embeddings" }) })
  const client = yield* BedrockClient.BedrockClient
  const items = Array.from({ length: 500 }, (_, i) => `Question ${i}: what is ${i} + 1?`)
  const results = yield* client.batch(items, {
    concurrency: 32,
    onProgress: Telemetry.terminalBar({ label: "batch" })
  })
  console.log(`batch: ${results.filter((result) => result._tag === "Right").length} of 500 answered`)
}).pipe(
  Effect.provide(EmbeddingsClient.layer({ model: "cohere.embed-english-v3" }).pipe(Layer.provide(RuntimeLive)))
)

runMain(
  Effect.all([agentRun, retriedCall, progress], { discard: true }).pipe(Effect.provide(ClientLive))
)
