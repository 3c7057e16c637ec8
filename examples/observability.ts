/**
 * Observability, offline: an agent run with a tool exported with `@effect/opentelemetry` to the console (its
 * `invoke_agent`, `chat` and `execute_tool` spans), a call throttled once on the emulator (its retry as a JSON log
 * line at Info and as a `bedrock_llm.retry` event of its `chat` span), and progress bars for 10,000 embeddings and a
 * 500-item batch.
 *
 *   npx tsx examples/observability.ts
 */
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { ConsoleSpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Agent, BedrockClient, EmbeddingsClient, LocalBedrock, Response, Tool, Toolkit } from "bedrock-llm"
import * as Telemetry from "bedrock-llm/Telemetry"
import { Effect, FiberRef, HashSet, Layer, Logger, Schema } from "effect"
import { defaultModelId, runMain } from "./live.js"

/** Where the runtime went: on the emulator, its URL, to ask it for a throttle over its control endpoint. */
let emulatorUrl: string | undefined
const RuntimeLive = LocalBedrock.layer({
  onBackend: (backend) => {
    if (backend._tag === "Emulator") emulatorUrl = backend.url
  }
})
const ClientLive = BedrockClient.layerConfig({ defaultModelId }).pipe(Layer.provideMerge(RuntimeLive))

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

/** Runs `effect` with its log lines as JSON on the console, in place of the default (or `runMain`'s pretty) logger. */
const jsonLines = Logger.withConsoleLog(Logger.jsonLogger)
const withJsonLogs = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.locallyWith(effect, FiberRef.currentLoggers, (loggers) =>
    loggers.pipe(
      HashSet.remove(Logger.defaultLogger),
      HashSet.remove(Logger.prettyLoggerDefault),
      HashSet.add(jsonLines)
    ))

/** On the emulator, the next model request is throttled (`POST /__emulator/faults`, see docs/EMULATOR.md). */
const throttleNextRequest = Effect.suspend(() =>
  emulatorUrl === undefined ? Effect.void : Effect.promise(() =>
    fetch(`${emulatorUrl}/__emulator/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ enqueue: ["throttle"] })
    }).then((response) => response.body?.cancel())
  )
)

/** A call throttled once, then retried: the retry as a JSON log line at Info and as its chat span's event. */
const retriedCall = throttleNextRequest.pipe(
  Effect.zipRight(BedrockClient.generate("What is the capital of Portugal?")),
  Effect.tap((response) => Effect.log(`answer: ${Response.text(response).slice(0, 60)}`)),
  withJsonLogs,
  Effect.provide(TracingLive)
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
