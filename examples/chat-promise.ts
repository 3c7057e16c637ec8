/**
 * The multi-turn chat of `examples/chat-effect.ts`, written without Effect on the Promise facade: `createClient`,
 * `for await` over the stream, `close()` at the end. Runs against an emulator it starts itself unless AWS
 * credentials and a region are configured.
 *
 *   npx tsx examples/chat-promise.ts ["first question" "second question" ...]
 */
process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true"

import { BedrockLlm, LocalBedrock, type Message } from "bedrock-llm"
import * as Emulator from "bedrock-llm/emulator"

const turns = process.argv.length > 2 ? process.argv.slice(2) : [
  "Hello! I am planning a trip to Lisbon in May.",
  "What should I pack for the weather there?",
  "Thanks. Summarise our conversation in one sentence."
]

const main = async (): Promise<void> => {
  const emulator = LocalBedrock.useRealBedrock() ? undefined : await Emulator.start()
  const client = BedrockLlm.createClient({
    modelId: process.env["BEDROCK_MODEL_ID"] ?? "anthropic.claude-3-haiku-20240307-v1:0",
    model: { maxTokens: 400 },
    ...(emulator === undefined ? {} : {
      region: "us-east-1",
      endpoint: emulator.url,
      credentials: { accessKeyId: "AKIDLOCALEMULATOR", secretAccessKey: "local-emulator-secret" }
    })
  })
  console.error(`[bedrock-llm] using ${emulator === undefined ? "Amazon Bedrock" : `the emulator at ${emulator.url}`}`)
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
        })
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
    console.log(`\n[${totals.calls} turns, ${totals.usage.inputTokens} tokens in, ${totals.usage.outputTokens} out]`)
  } catch (error) {
    if (BedrockLlm.isBedrockLlmError(error)) {
      console.error(`\n${error.tag}: ${error.message}${error.retryable ? " (retryable)" : ""}`)
      process.exitCode = 1
    } else {
      throw error
    }
  } finally {
    await client.close()
    await emulator?.close()
  }
}

void main()
