/**
 * A multi-turn chat: the conversation grows turn by turn and every answer streams to the terminal. Interactive on a
 * terminal (an empty line or Ctrl-D ends it, Ctrl-C interrupts it); otherwise it plays a short scripted conversation.
 *
 *   npm start
 */
import { BedrockClient, Message, Response } from "bedrock-llm"
import { Console, Effect, Option, Ref } from "effect"
import * as Readline from "node:readline/promises"
import { run } from "./live.js"
import { plural } from "./plural.js"

const scripted = [
  "Hello! I am planning a trip to Lisbon in May.",
  "What should I pack for the weather there?",
  "Thanks. Summarise our conversation in one sentence."
]

/** The user's next line: from the terminal when there is one, else from the script. */
const userTurns = (): Effect.Effect<() => Effect.Effect<Option.Option<string>>> => {
  if (!process.stdin.isTTY) {
    let next = 0
    return Effect.succeed(() =>
      Effect.sync(() => {
        const line = scripted[next++]
        if (line !== undefined) console.log(`\nyou> ${line}`)
        return Option.fromNullable(line)
      })
    )
  }
  const rl = Readline.createInterface({ input: process.stdin, output: process.stdout })
  // On a terminal readline reads Ctrl-C itself (and would only close the prompt): it interrupts the program instead,
  // also while an answer streams, which then exits with 130.
  rl.on("SIGINT", () => process.kill(process.pid, "SIGINT"))
  return Effect.succeed(() =>
    Effect.promise(() => rl.question("\nyou> ").catch(() => "")).pipe(
      Effect.map((line) => line.trim() === "" ? Option.none() : Option.some(line)),
      Effect.tap((line) => Option.isNone(line) ? Effect.sync(() => rl.close()) : Effect.void)
    )
  )
}

const program = Effect.gen(function*() {
  const client = yield* BedrockClient.BedrockClient
  const history = yield* Ref.make<ReadonlyArray<Message.Message>>([])
  const nextLine = yield* userTurns()
  yield* Console.log(
    process.stdin.isTTY
      ? `Chatting with ${client.model.modelId}. An empty line or Ctrl-D ends the chat; Ctrl-C interrupts it.`
      : `Chatting with ${client.model.modelId}.`
  )
  while (true) {
    const line = yield* nextLine()
    if (Option.isNone(line)) break
    const messages = [...(yield* Ref.get(history)), Message.user(line.value)]
    process.stdout.write("model> ")
    const response = yield* client.stream({
      messages,
      system: [Message.text("You are a concise, friendly travel assistant.")]
    }).pipe(
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
    } in, ${totals.usage.outputTokens} out, $${totals.cost.toFixed(6)}]`
  )
})

run(program)
