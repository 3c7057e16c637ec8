/**
 * The multi-turn chat of `examples/chat-effect.ts`, written without Effect on the Promise facade: `createClient`,
 * `for await` over the stream, `close()` at the end. The facade picks the backend as `LocalBedrock` does: Amazon
 * Bedrock when an AWS region is configured, the embedded emulator otherwise (or with `BEDROCK_EMULATOR=1`).
 *
 *   npx tsx examples/chat-promise.ts ["first question" "second question" ...]
 */
process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true"

import { type Message, PromiseClient } from "bedrock-llm"
import { plural } from "./plural.js"

const turns = process.argv.length > 2 ? process.argv.slice(2) : [
  "Hello! I am planning a trip to Lisbon in May.",
  "What should I pack for the weather there?",
  "Thanks. Summarise our conversation in one sentence."
]

const main = async (): Promise<void> => {
  const client = PromiseClient.createClient({
    modelId: process.env["BEDROCK_MODEL_ID"] ?? "anthropic.claude-3-haiku-20240307-v1:0",
    model: { maxTokens: 400 }
  })
  // Ctrl-C aborts the call in flight (and its HTTP request); the program then exits as an interrupted process does.
  const interrupted = new AbortController()
  process.once("SIGINT", () => interrupted.abort())
  const history: Array<Message.Message> = []
  try {
    for (const line of turns) {
      console.log(`\nyou> ${line}`)
      history.push({ role: "user", content: [{ _tag: "Text", text: line }] })
      process.stdout.write("model> ")
      let answer = ""
      for await (
        const event of client.stream({
          messages: history,
          system: [{ _tag: "Text", text: "You are a concise, friendly travel assistant." }]
        }, { signal: interrupted.signal })
      ) {
        if (event._tag === "ContentBlockDelta" && event.delta._tag === "TextDelta") {
          process.stdout.write(event.delta.text)
          answer += event.delta.text
        }
      }
      history.push({ role: "assistant", content: [{ _tag: "Text", text: answer }] })
      process.stdout.write("\n")
    }
    const totals = await client.usage()
    console.log(
      `\n[${plural(totals.calls, "turn")}, ${
        plural(totals.usage.inputTokens, "token")
      } in, ${totals.usage.outputTokens} out]`
    )
  } catch (error) {
    if (PromiseClient.isBedrockLlmError(error) && error.tag === "Aborted") {
      process.exitCode = 130
    } else if (PromiseClient.isBedrockLlmError(error)) {
      console.error(`\n${error.tag}: ${error.message}${error.retryable ? " (retryable)" : ""}`)
      process.exitCode = 1
    } else {
      throw error
    }
  } finally {
    await client.close()
  }
}

void main()
