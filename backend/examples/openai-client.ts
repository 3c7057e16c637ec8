/**
 * The official `openai` client against the gateway's OpenAI-compatible API: models, a chat completion, a stream with
 * usage, a tool round trip, structured output and embeddings. Start the gateway with `npm run serve` (it prints a
 * user key), then, at the repository root:
 *
 *   OPENAI_BASE_URL=http://127.0.0.1:8080/v1 OPENAI_API_KEY=sk-bllm-... node --import tsx backend/examples/openai-client.ts
 *
 * With the embedded emulator behind the gateway the answers are the emulator's deterministic ones; with real Bedrock
 * they are the model's.
 */
import { pathToFileURL } from "node:url"
import OpenAI from "openai"

/** A Bedrock model with tools, streamed tool use and vision (any model the key may use will do). */
export const model = process.env["EXAMPLE_MODEL"] ?? "anthropic.claude-sonnet-4-20250514-v1:0"
/** An embeddings model. */
export const embeddingModel = "amazon.titan-embed-text-v2:0"

const weather: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "The current weather of a city.",
    parameters: { type: "object", properties: { location: { type: "string" } }, required: ["location"] }
  }
}

/** Runs every step with the client, writing what it sees with `log`. */
export const run = async (client: OpenAI, log: (line: string) => void = console.log): Promise<void> => {
  // The models this key may use.
  const models = await client.models.list()
  log(`models: ${models.data.length}, e.g. ${models.data.slice(0, 3).map((entry) => entry.id).join(", ")}`)

  // A chat completion.
  const completion = await client.chat.completions.create({
    model,
    messages: [
      { role: "system", content: "You are terse." },
      { role: "user", content: "Say hello to the gateway." }
    ],
    max_completion_tokens: 200
  })
  log(`chat: ${completion.choices[0]?.message.content}`)
  log(`usage: ${JSON.stringify(completion.usage)}`)

  // A stream: each chunk is written as Bedrock sends it; the last one carries the usage.
  const stream = await client.chat.completions.create({
    model,
    messages: [{ role: "user", content: "Write 20 words about rivers." }],
    stream: true,
    stream_options: { include_usage: true }
  })
  let streamed = ""
  for await (const chunk of stream) {
    streamed += chunk.choices[0]?.delta.content ?? ""
    if (chunk.usage) log(`stream usage: ${chunk.usage.completion_tokens} completion tokens`)
  }
  log(`stream: ${streamed}`)

  // A tool round trip: the model asks for the tool, the client runs it and sends the result back.
  const messages: Array<OpenAI.Chat.Completions.ChatCompletionMessageParam> = [
    { role: "user", content: "What is the weather in Paris?" }
  ]
  const asked = await client.chat.completions.create({ model, messages, tools: [weather] })
  const message = asked.choices[0]!.message
  messages.push(message)
  for (const call of message.tool_calls ?? []) {
    if (call.type !== "function") continue
    log(`tool call: ${call.function.name}(${call.function.arguments})`)
    messages.push({ role: "tool", tool_call_id: call.id, content: JSON.stringify({ temperature: 21, sky: "clear" }) })
  }
  const answered = await client.chat.completions.create({ model, messages, tools: [weather] })
  log(`after the tool: ${answered.choices[0]?.message.content}`)

  // Structured output: JSON that follows a schema.
  const structured = await client.chat.completions.create({
    model,
    messages: [{ role: "user", content: "Paris has 2100000 inhabitants." }],
    response_format: {
      type: "json_schema",
      json_schema: {
        name: "city",
        schema: {
          type: "object",
          properties: { name: { type: "string" }, population: { type: "integer" } },
          required: ["name", "population"]
        }
      }
    }
  })
  log(`structured: ${JSON.stringify(JSON.parse(structured.choices[0]?.message.content ?? "{}"))}`)

  // Embeddings (the client asks for base64 and decodes it to numbers).
  const embeddings = await client.embeddings.create({
    model: embeddingModel,
    input: ["The cat sat on the mat.", "A gateway in front of Bedrock."],
    dimensions: 256
  })
  log(`embeddings: ${embeddings.data.length} vectors of ${embeddings.data[0]?.embedding.length} dimensions`)

  // A refusal is the client's typed error, with OpenAI's fields.
  try {
    await client.chat.completions.create({ model, messages: [{ role: "user", content: "Hi" }], n: 2 })
  } catch (error) {
    if (error instanceof OpenAI.BadRequestError) log(`refused: ${error.status} ${error.param}: ${error.message}`)
    else throw error
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // OPENAI_API_KEY and OPENAI_BASE_URL come from the environment.
  await run(new OpenAI())
}
