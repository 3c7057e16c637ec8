/**
 * A small multi-turn chat written with Effect: the conversation is a `Ref` of messages, every answer streams to the
 * terminal and is folded back into the history. `examples/chat-promise.ts` is the same program on the Promise facade.
 * Runs against the embedded emulator unless AWS credentials and a region are configured.
 *
 *   npx tsx examples/chat-effect.ts ["first question" "second question" ...]
 */
import { BedrockClient, Message, Response } from "bedrock-llm"
import { Console, Effect, Ref } from "effect"
import { run } from "./live.js"
import { plural } from "./plural.js"

const turns = process.argv.length > 2 ? process.argv.slice(2) : [
  "Hello! I am planning a trip to Lisbon in May.",
  "What should I pack for the weather there?",
  "Thanks. Summarise our conversation in one sentence."
]

const system = [Message.text("You are a concise, friendly travel assistant.")]

const program = Effect.gen(function*() {
  const client = yield* BedrockClient.BedrockClient
  const history = yield* Ref.make<ReadonlyArray<Message.Message>>([])
  yield* Console.log(`Chatting with ${client.model.modelId}.`)
  for (const line of turns) {
    yield* Console.log(`\nyou> ${line}`)
    const messages = [...(yield* Ref.get(history)), Message.user(line)]
    process.stdout.write("model> ")
    const response = yield* client.stream({ messages, system }).pipe(
      BedrockClient.tapText((text) => Effect.sync(() => process.stdout.write(text))),
      BedrockClient.collect
    )
    yield* Ref.set(history, [...messages, Response.toMessage(response)])
    process.stdout.write("\n")
  }
  const totals = yield* client.usage
  yield* Console.log(
    `\n[${plural(totals.calls, "turn")}, ${
      plural(totals.usage.inputTokens, "token")
    } in, ${totals.usage.outputTokens} out]`
  )
})

run(program)
