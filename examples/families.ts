/**
 * Streams the same prompt through every model family (Claude, Nova, Llama, Titan, Mistral, Cohere, Jamba), once with
 * the family's native InvokeModel body (`api: "invoke"`) and once with Converse, printing the text as it arrives.
 *
 * Offline by default: the emulator starts on a loopback port. With `AWS_REGION` set, the same program talks to
 * Amazon Bedrock with the default credential chain (the models must be enabled in the account).
 *
 *   npx tsx examples/families.ts
 */
import { BedrockClient, BedrockConfig, BedrockRuntime, Message, NativeBodies, Response } from "bedrock-llm"
import { Emulator } from "bedrock-llm/emulator"
import { Console, Effect, Layer, Redacted, Stream } from "effect"

const models = [
  "anthropic.claude-3-haiku-20240307-v1:0",
  "amazon.nova-micro-v1:0",
  "meta.llama3-1-8b-instruct-v1:0",
  "amazon.titan-text-express-v1",
  "mistral.mistral-large-2407-v1:0",
  "cohere.command-r-v1:0",
  "ai21.jamba-1-5-mini-v1:0"
]

const prompt = "In one sentence: why do <b>cats</b> & dogs \"sleep\" so much?"

const streamOnce = (
  client: BedrockClient.BedrockClient.Service,
  modelId: string,
  api: BedrockClient.BedrockClient.Api
) =>
  Effect.gen(function*() {
    yield* Console.log(`\n${modelId} via ${api === "invoke" ? "InvokeModel (native body)" : "Converse"}:`)
    let accumulator = Response.Accumulator.empty
    yield* client.stream({
      messages: [Message.user(prompt)],
      model: { modelId, maxTokens: 120 },
      api
    }).pipe(
      Stream.tap((event) => Effect.sync(() => (accumulator = accumulator.add(event)))),
      BedrockClient.textDeltas,
      Stream.runForEach((text) => Effect.sync(() => process.stdout.write(text)))
    )
    const response = yield* accumulator.toResponse()
    yield* Console.log(
      `\n  [${response.stopReason}, ${response.usage.inputTokens} in / ${response.usage.outputTokens} out]`
    )
  }).pipe(
    Effect.catchAll((error) => Console.log(`\n  failed: ${error._tag}: ${error.message}`))
  )

const program = Effect.gen(function*() {
  const client = yield* BedrockClient.BedrockClient
  for (const modelId of models) {
    const family = NativeBodies.forModel(modelId)
    yield* Console.log(`\n=== ${family._tag === "Some" ? family.value.name : "no native body"} ===`)
    yield* streamOnce(client, modelId, "invoke")
    yield* streamOnce(client, modelId, "converse")
  }
})

const runtime: Layer.Layer<BedrockRuntime.BedrockRuntime, unknown> = process.env["AWS_REGION"] !== undefined
  ? BedrockRuntime.layerConfig()
  : Layer.unwrapEffect(Effect.map(Emulator, (emulator) =>
    BedrockRuntime.layer(
      new BedrockConfig.ClientConfig({
        region: "us-east-1",
        endpoint: emulator.url,
        credentials: new BedrockConfig.StaticCredentials({
          accessKeyId: "AKIDEXAMPLE",
          secretAccessKey: Redacted.make("example")
        })
      })
    ))).pipe(Layer.provide(Emulator.layer()))

const live = BedrockClient.layer({ model: { modelId: models[0]! } }).pipe(Layer.provide(runtime))

Effect.runPromise(program.pipe(Effect.provide(live))).catch((error) => {
  console.error(error)
  process.exitCode = 1
})
