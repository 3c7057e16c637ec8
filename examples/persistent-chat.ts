/**
 * A chatbot whose memory survives a restart: every turn is written through to files (one per conversation), so each
 * run of the program continues the same conversation. Older turns are pruned to a window before each request.
 *
 *   npx tsx examples/persistent-chat.ts "My name is Ada."
 *   npx tsx examples/persistent-chat.ts "What is my name?"      # a new process, the same conversation
 *   npx tsx examples/persistent-chat.ts --forget                # clears it
 *
 * `CHAT_DIR` (default `.conversations`) is where the files go; `CHAT_ID` (default `default`) names the conversation.
 */
import { NodeKeyValueStore } from "@effect/platform-node"
import { BedrockClient, ConversationMemory, MemoryStore, Message, Pruning, Response } from "bedrock-llm"
import { Effect, Layer } from "effect"
import { run } from "./live.js"
import { plural } from "./plural.js"

const directory = process.env["CHAT_DIR"] ?? ".conversations"
const conversationId = process.env["CHAT_ID"] ?? "default"
const said = process.argv.slice(2).join(" ").trim()

const MemoryLive = ConversationMemory.layer().pipe(
  Layer.provide(MemoryStore.layerKeyValueStore()),
  Layer.provide(NodeKeyValueStore.layerFileSystem(directory))
)

const program = Effect.gen(function*() {
  const memory = yield* ConversationMemory.ConversationMemory
  const chat = memory.conversation(conversationId)
  if (said === "--forget") {
    yield* chat.clear
    return console.log(`Forgot conversation "${conversationId}".`)
  }
  const before = yield* chat.messages
  console.log(`Conversation "${conversationId}" in ${directory}: ${plural(before.length, "message")} so far.`)
  const history = yield* chat.append(Message.user(said === "" ? "Hello! Who are you?" : said))
  const client = yield* BedrockClient.BedrockClient
  const response = yield* client.generate({
    messages: Pruning.slidingWindow(history, { maxMessages: 20 }),
    system: [Message.text("You are a helpful assistant that remembers what the user told you.")]
  })
  yield* chat.append(Response.toMessage(response))
  console.log(`\nyou> ${said === "" ? "Hello! Who are you?" : said}\nmodel> ${Response.text(response)}`)
  console.log(`\n(${plural(before.length + 2, "message")} stored; run again to continue)`)
}).pipe(Effect.provide(MemoryLive))

run(program)
