/**
 * The official Anthropic SDK against the gateway: a message, a stream, a tool round trip and a token count.
 *
 *   npm run serve                        # prints a user key
 *   BACKEND_KEY=sk-bllm-... npm run example backend/examples/anthropic-client.ts
 *
 * BACKEND_URL defaults to http://127.0.0.1:8080. Claude Code takes the same two settings:
 * ANTHROPIC_BASE_URL=$BACKEND_URL ANTHROPIC_AUTH_TOKEN=$BACKEND_KEY claude
 */
import Anthropic from "@anthropic-ai/sdk"

const baseURL = process.env["BACKEND_URL"] ?? "http://127.0.0.1:8080"
const apiKey = process.env["BACKEND_KEY"]
if (apiKey === undefined) throw new Error("Set BACKEND_KEY to a gateway key (npm run serve prints one).")

const client = new Anthropic({ baseURL, apiKey })
// An Anthropic model name; the gateway serves it as anthropic.<name>-v1:0 unless an alias of that name is configured.
const model = "claude-sonnet-4-20250514"

const message = await client.messages.create({
  model,
  max_tokens: 300,
  system: [{ type: "text", text: "You answer in one sentence.", cache_control: { type: "ephemeral" } }],
  messages: [{ role: "user", content: "What is Amazon Bedrock?" }]
})
console.log("message:", message.content, message.usage)

const stream = client.messages.stream({
  model,
  max_tokens: 300,
  messages: [{ role: "user", content: "Write 30 words about rivers" }]
})
stream.on("text", (text) => process.stdout.write(text))
await stream.finalMessage()
console.log()

const weather: Anthropic.Tool = {
  name: "get_weather",
  description: "Current weather for a city",
  input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
}
const question: Anthropic.MessageParam = { role: "user", content: "What is the weather in Lisbon?" }
const first = await client.messages.create({ model, max_tokens: 400, tools: [weather], messages: [question] })
const call = first.content.find((block): block is Anthropic.ToolUseBlock => block.type === "tool_use")
if (call !== undefined) {
  console.log("tool call:", call.name, call.input)
  const answer = await client.messages.create({
    model,
    max_tokens: 400,
    tools: [weather],
    messages: [
      question,
      { role: "assistant", content: first.content },
      { role: "user", content: [{ type: "tool_result", tool_use_id: call.id, content: "21 C and sunny" }] }
    ]
  })
  console.log("answer:", answer.content)
}

const counted = await client.messages.countTokens({ model, messages: [question], tools: [weather] })
console.log("input tokens:", counted.input_tokens)
