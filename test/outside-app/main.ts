/**
 * A program as an app outside this repository writes it, against the installed package: the root module (the Effect
 * API, with `LocalBedrock` starting the embedded emulator), the Promise facade over the emulator subpath, and the
 * DynamoDB store on the DynamoDB endpoint in `DYNAMODB_ENDPOINT`. `test/Package.test.ts` installs the packed tarball
 * next to it, type-checks it with `tsconfig.json` (strict, `nodenext`, library types checked too) and runs it.
 */
import { BedrockClient, BedrockLlm, ConversationMemory, LocalBedrock, Message, Response } from "bedrock-llm"
import * as DynamoDBMemoryStore from "bedrock-llm/DynamoDBMemoryStore"
import * as Emulator from "bedrock-llm/emulator"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

const modelId = "anthropic.claude-3-haiku-20240307-v1:0"
const local = {
  region: "us-east-1",
  credentials: { accessKeyId: "AKIDOUTSIDEAPP", secretAccessKey: "outside-app-secret" }
}
const endpoint = process.env["DYNAMODB_ENDPOINT"]
if (endpoint === undefined) throw new Error("DYNAMODB_ENDPOINT: the DynamoDB endpoint to store the conversation in")
const dynamoDB = { tableName: "conversations", clientConfig: { ...local, endpoint } }

const ClientLive = BedrockClient.layer({ model: { modelId, maxTokens: 200 } }).pipe(Layer.provide(LocalBedrock.layer()))
const MemoryLive = ConversationMemory.layer().pipe(Layer.provide(DynamoDBMemoryStore.layer(dynamoDB)))

const effectTurn = Effect.gen(function*() {
  yield* DynamoDBMemoryStore.createTable(dynamoDB)
  const chat = (yield* ConversationMemory.ConversationMemory).conversation("outside-app")
  const history = yield* chat.append(Message.user("Hello from an app outside the repository"))
  const response = yield* BedrockClient.generate(history)
  yield* chat.append(Response.toMessage(response))
  const stored = yield* chat.snapshot
  return `effect: ${Response.text(response)} [${stored.messages.length} messages, version ${stored.version}]`
}).pipe(Effect.provide(Layer.merge(ClientLive, MemoryLive)))

console.log(await Effect.runPromise(effectTurn))

const emulator = await Emulator.start()
const client = BedrockLlm.createClient({ modelId, ...local, endpoint: emulator.url })
try {
  const response = await client.generate("Hello from the Promise facade")
  console.log(`promise: ${Response.text(response)} [${response.stopReason}]`)
} finally {
  await client.close()
  await emulator.close()
}
