/**
 * The README's tour, as one program that runs: layers, a call, a stream, structured output, typed errors, hooks.
 * Each `#region` is quoted in the README (a test keeps the two identical).
 *
 *   npx tsx examples/tour.ts
 */
process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true"

// Outside the quoted regions: Ctrl-C makes the tour exit with 130, as an interrupted process does.
import { exitCodes } from "./live.js"

// #region layers
import { NodeRuntime } from "@effect/platform-node"
import { BedrockClient, BedrockConfig, BedrockRuntime, LocalBedrock, Message, Response } from "bedrock-llm"
import { Duration, Effect, Layer, Schema } from "effect"

// The raw runtime: one AWS SDK client in a scoped Layer. `BedrockRuntime.layerConfig()` reads AWS_REGION,
// AWS_PROFILE, BEDROCK_ENDPOINT ...; `LocalBedrock.layer()` does the same when AWS is configured and otherwise starts
// the embedded emulator on a loopback port.
const RuntimeLive: Layer.Layer<BedrockRuntime.BedrockRuntime, unknown> = LocalBedrock.layer()

// The high-level client: model settings, retry policy and circuit breaker.
const ClientLive = BedrockClient.layer({
  model: { modelId: "anthropic.claude-3-haiku-20240307-v1:0", maxTokens: 512, temperature: 0.2 },
  retry: new BedrockConfig.RetryConfig({ maxAttempts: 5, baseDelay: Duration.millis(250) }),
  circuitBreaker: { failureThreshold: 5, resetTimeout: Duration.seconds(30) },
  hooks: [BedrockClient.loggingHooks]
}).pipe(Layer.provide(RuntimeLive))
// #endregion layers

// #region generate
const hello = Effect.gen(function*() {
  const client = yield* BedrockClient.BedrockClient
  const response = yield* client.generate([
    Message.user("What is the capital of Portugal?"),
    Message.assistant("Lisbon."),
    Message.user("And its population, roughly?")
  ])
  console.log(Response.text(response), response.usage)
})
// #endregion generate

// #region stream
const story = BedrockClient.stream("Tell me a short story about a lighthouse.").pipe(
  BedrockClient.tapText((text) => Effect.sync(() => process.stdout.write(text))),
  BedrockClient.collect // the folded Response: the same value `generate` returns
)
// #endregion stream

// #region object
const City = Schema.Struct({ name: Schema.String, country: Schema.String, population: Schema.Number })
const city = BedrockClient.generateObject(City, "Describe Porto as a city record.")
// #endregion object

// #region errors
const careful = BedrockClient.generate("Hello").pipe(
  Effect.map(Response.text),
  Effect.catchTags({
    InvalidConversation: (e) => Effect.succeed(`fix the conversation: ${e.message}`),
    ThrottlingError: (e) => Effect.succeed(`still throttled after every retry (request ${e.requestId})`),
    CircuitOpenError: (e) => Effect.succeed(`breaker open, retry in ${e.retryAfterMs} ms`)
  })
)
// #endregion errors

const program = Effect.gen(function*() {
  yield* hello
  const response = yield* story
  console.log(`\n[${response.stopReason}]`)
  console.log(yield* city)
  console.log(yield* careful)
})

NodeRuntime.runMain(program.pipe(Effect.provide(ClientLive)), exitCodes())
