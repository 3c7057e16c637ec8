import Anthropic from "@anthropic-ai/sdk"
import { assert, describe, it } from "@effect/vitest"
import * as Emulator from "bedrock-llm/emulator"
import * as Effect from "effect/Effect"
import { startRecorder } from "../support/recorder.js"
import { startService } from "../support/service.js"
import { readSse } from "../support/sse.js"

const sonnet = "anthropic.claude-sonnet-4-20250514-v1:0"
/** A 1x1 PNG. */
const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
const pdf = Buffer.from("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n").toString(
  "base64"
)

const weatherTool: Anthropic.Tool = {
  name: "get_weather",
  description: "Current weather for a city",
  input_schema: {
    type: "object",
    properties: { city: { type: "string" } },
    required: ["city"]
  }
}

const promise = <A>(run: () => Promise<A>) => Effect.promise(run)

/** The service with a recording proxy between it and the emulator, and a client with a fresh key. */
const setup = Effect.gen(function*() {
  const emulator = yield* Emulator.make()
  const recorder = yield* startRecorder(emulator)
  const service = yield* startService({ sharedEmulator: recorder.emulator })
  const key = yield* service.createKey()
  const client = new Anthropic({ baseURL: service.url, apiKey: key.secret, maxRetries: 0 })
  /** The Converse bodies the gateway sent, newest last. */
  const sent = () => recorder.requests.map((request) => request.body as Record<string, any>)
  return { service, key, client, sent }
})

describe("Anthropic Messages API through @anthropic-ai/sdk", () => {
  it.scoped("answers a message with Anthropic's shape, usage and the model the client named", () =>
    Effect.gen(function*() {
      const { client, sent, service } = yield* setup
      const { data: message, response } = yield* promise(() =>
        client.messages.create({
          model: "claude-sonnet-4-20250514",
          max_tokens: 300,
          system: "Answer briefly.",
          messages: [{ role: "user", content: "Reply with exactly: Hello from Bedrock" }],
          stop_sequences: ["STOP"],
          metadata: { user_id: "user-42" }
        }).withResponse()
      )
      assert.strictEqual(message.type, "message")
      assert.strictEqual(message.role, "assistant")
      assert.strictEqual(message.model, "claude-sonnet-4-20250514")
      assert.match(message.id, /^msg_[0-9a-f]{24}$/)
      assert.deepStrictEqual(message.content, [{ type: "text", text: "Hello from Bedrock", citations: null }] as any)
      assert.strictEqual(message.stop_reason, "end_turn")
      assert.isAbove(message.usage.input_tokens, 0)
      assert.isAbove(message.usage.output_tokens, 0)
      assert.match(response.headers.get("request-id") ?? "", /^req_/)
      const body = sent()[0]!
      assert.deepStrictEqual(body["system"], [{ text: "Answer briefly." }])
      assert.deepStrictEqual(body["inferenceConfig"], { maxTokens: 300, stopSequences: ["STOP"] })
      assert.deepStrictEqual(body["requestMetadata"], { user_id: "user-42" })
      assert.strictEqual(service.bedrockRequests(), 1)
      const line = service.logs.find((log) => log.path === "/v1/messages")!
      assert.strictEqual(line.modelId, sonnet)
      assert.strictEqual(line.api, "anthropic")
      assert.isAbove(line.costMicroUsd ?? 0, 0)
    }))

  it.scoped("streams Anthropic's events in order and they fold to the same message", () =>
    Effect.gen(function*() {
      const { client, key, service } = yield* setup
      const baseUrl = service.url
      const apiKey = key.secret
      const params = {
        model: sonnet,
        max_tokens: 300,
        messages: [{ role: "user" as const, content: "Write 20 words about streams" }]
      }
      const whole = yield* promise(() => client.messages.create(params))
      const wire = yield* promise(() =>
        fetch(`${baseUrl}/v1/messages`, {
          method: "POST",
          headers: { "x-api-key": apiKey, "anthropic-version": "2023-06-01", "content-type": "application/json" },
          body: JSON.stringify({ ...params, stream: true })
        })
      )
      assert.strictEqual(wire.headers.get("content-type"), "text/event-stream")
      const read = yield* promise(() => readSse(wire))
      const events = read.events.map((event) => {
        const data = JSON.parse(event.data) as Anthropic.RawMessageStreamEvent
        assert.strictEqual(event.event, data.type)
        return data
      })
      const types: Array<string> = events.map((event) => event.type)
      assert.deepStrictEqual(types.slice(0, 3), ["message_start", "ping", "content_block_start"])
      assert.deepStrictEqual(types.slice(-3), ["content_block_stop", "message_delta", "message_stop"])
      assert.isAbove(types.filter((type) => type === "content_block_delta").length, 3)
      const text = events.flatMap((event) =>
        event.type === "content_block_delta" && event.delta.type === "text_delta" ? [event.delta.text] : []
      ).join("")
      assert.strictEqual(text, (whole.content[0] as Anthropic.TextBlock).text)
      const delta = events.find((event) => event.type === "message_delta") as Anthropic.RawMessageDeltaEvent
      assert.strictEqual(delta.delta.stop_reason, "end_turn")
      assert.deepStrictEqual(
        { input: delta.usage.input_tokens, output: delta.usage.output_tokens },
        { input: whole.usage.input_tokens, output: whole.usage.output_tokens }
      )
      const final = yield* promise(() => client.messages.stream(params).finalMessage())
      assert.deepStrictEqual(final.content, whole.content)
      assert.deepStrictEqual(final.usage, whole.usage)
    }))

  it.scoped("round-trips a tool call: tool_use, then tool_result (string and blocks, is_error)", () =>
    Effect.gen(function*() {
      const { client, sent } = yield* setup
      const question: Anthropic.MessageParam = { role: "user", content: "What is the weather in Lisbon?" }
      const first = yield* promise(() =>
        client.messages.create({ model: sonnet, max_tokens: 400, tools: [weatherTool], messages: [question] })
      )
      assert.strictEqual(first.stop_reason, "tool_use")
      const call = first.content.find((block) => block.type === "tool_use") as Anthropic.ToolUseBlock
      assert.strictEqual(call.name, "get_weather")
      assert.deepStrictEqual(call.input, { city: "Lisbon" })
      const second = yield* promise(() =>
        client.messages.create({
          model: sonnet,
          max_tokens: 400,
          tools: [weatherTool],
          tool_choice: { type: "auto" },
          messages: [
            question,
            { role: "assistant", content: first.content },
            {
              role: "user",
              content: [{ type: "tool_result", tool_use_id: call.id, content: [{ type: "text", text: "21 C, sunny" }] }]
            }
          ]
        })
      )
      assert.strictEqual(second.stop_reason, "end_turn")
      assert.include((second.content[0] as Anthropic.TextBlock).text, "21 C, sunny")
      const toolTurn = sent()[1]!["messages"][2]["content"][0]["toolResult"]
      assert.deepStrictEqual(toolTurn, { toolUseId: call.id, content: [{ text: "21 C, sunny" }], status: "success" })
      assert.deepStrictEqual(sent()[1]!["toolConfig"]["toolChoice"], { auto: {} })
      const failed = yield* promise(() =>
        client.messages.create({
          model: sonnet,
          max_tokens: 400,
          tools: [weatherTool],
          messages: [
            question,
            { role: "assistant", content: first.content },
            {
              role: "user",
              content: [{ type: "tool_result", tool_use_id: call.id, content: "timeout", is_error: true }]
            }
          ]
        })
      )
      assert.include((failed.content[0] as Anthropic.TextBlock).text, "timeout")
      assert.strictEqual(sent()[2]!["messages"][2]["content"][0]["toolResult"]["status"], "error")
    }))

  it.scoped("streams a tool call as content_block_start tool_use and input_json_delta", () =>
    Effect.gen(function*() {
      const { client } = yield* setup
      const stream = client.messages.stream({
        model: sonnet,
        max_tokens: 400,
        tools: [weatherTool],
        tool_choice: { type: "tool", name: "get_weather" },
        messages: [{ role: "user", content: "Weather in Porto" }]
      })
      const events: Array<Anthropic.RawMessageStreamEvent> = []
      stream.on("streamEvent", (event) => void events.push(event))
      const final = yield* promise(() => stream.finalMessage())
      const start = events.find((event) =>
        event.type === "content_block_start" && event.content_block.type === "tool_use"
      ) as Anthropic.RawContentBlockStartEvent
      assert.deepStrictEqual(start.content_block, {
        type: "tool_use",
        id: (final.content.find((block) => block.type === "tool_use") as Anthropic.ToolUseBlock).id,
        name: "get_weather",
        input: {}
      } as any)
      assert.isTrue(
        events.some((event) => event.type === "content_block_delta" && event.delta.type === "input_json_delta")
      )
      assert.deepStrictEqual(
        (final.content.find((block) => block.type === "tool_use") as Anthropic.ToolUseBlock).input,
        {
          city: "Porto"
        }
      )
      assert.strictEqual(final.stop_reason, "tool_use")
    }))

  it.scoped("thinking: thinking and signature deltas, and the signature goes back to Bedrock across a tool turn", () =>
    Effect.gen(function*() {
      const { client, sent } = yield* setup
      const thinking = { type: "enabled" as const, budget_tokens: 1024 }
      const question: Anthropic.MessageParam = { role: "user", content: "What is the weather in Oslo?" }
      const stream = client.messages.stream({
        model: sonnet,
        max_tokens: 3000,
        thinking,
        tools: [weatherTool],
        messages: [question]
      })
      const deltas: Array<string> = []
      stream.on("streamEvent", (event) => {
        if (event.type === "content_block_delta") deltas.push(event.delta.type)
      })
      const first = yield* promise(() => stream.finalMessage())
      assert.includeMembers(deltas, ["thinking_delta", "signature_delta", "input_json_delta"])
      const thought = first.content[0] as Anthropic.ThinkingBlock
      assert.strictEqual(thought.type, "thinking")
      assert.isAbove(thought.thinking.length, 0)
      assert.match(thought.signature, /^Eu/)
      assert.deepStrictEqual(sent()[0]!["additionalModelRequestFields"], { thinking })
      const call = first.content.find((block) => block.type === "tool_use") as Anthropic.ToolUseBlock
      const second = yield* promise(() =>
        client.messages.create({
          model: sonnet,
          max_tokens: 3000,
          thinking,
          tools: [weatherTool],
          messages: [
            question,
            { role: "assistant", content: first.content },
            { role: "user", content: [{ type: "tool_result", tool_use_id: call.id, content: "cold" }] }
          ]
        })
      )
      assert.strictEqual(second.content[0]!.type, "thinking")
      const assistantTurn = sent()[1]!["messages"][1]["content"]
      assert.deepStrictEqual(assistantTurn[0], {
        reasoningContent: { reasoningText: { text: thought.thinking, signature: thought.signature } }
      })
      const redacted = yield* promise(() =>
        client.messages.create({
          model: sonnet,
          max_tokens: 3000,
          thinking,
          messages: [
            { role: "user", content: "Hi" },
            {
              role: "assistant",
              content: [{ type: "redacted_thinking", data: "c2VjcmV0" }, { type: "text", text: "Hello" }]
            },
            { role: "user", content: "And now?" }
          ]
        })
      )
      assert.strictEqual(redacted.content[0]!.type, "thinking")
      assert.deepStrictEqual(sent()[2]!["messages"][1]["content"][0], {
        reasoningContent: { redactedContent: "c2VjcmV0" }
      })
    }))

  it.scoped("counts tokens through Bedrock's CountTokens, the same count the answer reports", () =>
    Effect.gen(function*() {
      const { client, service } = yield* setup
      const params = {
        model: sonnet,
        system: "You are terse.",
        tools: [weatherTool],
        messages: [{ role: "user" as const, content: "Count the tokens of this sentence, please." }]
      }
      const counted = yield* promise(() => client.messages.countTokens(params))
      const answered = yield* promise(() => client.messages.create({ ...params, max_tokens: 100 }))
      assert.strictEqual(counted.input_tokens, answered.usage.input_tokens)
      assert.strictEqual(service.emulator.stats().requestsByOperation["CountTokens"], 1)
    }))

  it.scoped("sends base64 images and documents (PDF, plain text, chunks with citations)", () =>
    Effect.gen(function*() {
      const { client, sent } = yield* setup
      const answer = yield* promise(() =>
        client.messages.create({
          model: sonnet,
          max_tokens: 400,
          messages: [{
            role: "user",
            content: [
              { type: "image", source: { type: "base64", media_type: "image/png", data: png } },
              {
                type: "document",
                source: { type: "base64", media_type: "application/pdf", data: pdf },
                title: "Q3 report.pdf"
              },
              {
                type: "document",
                source: { type: "text", media_type: "text/plain", data: "The bridge opened in 1966. It is red." },
                title: "bridge",
                context: "A note",
                citations: { enabled: true }
              },
              { type: "text", text: "When did the bridge open?" }
            ]
          }]
        })
      )
      const content = sent()[0]!["messages"][0]["content"]
      assert.deepStrictEqual(content[0], { image: { format: "png", source: { bytes: png } } })
      assert.deepStrictEqual(content[1], { document: { format: "pdf", name: "Q3 report pdf", source: { bytes: pdf } } })
      assert.deepStrictEqual(content[2], {
        document: {
          format: "txt",
          name: "bridge",
          source: { text: "The bridge opened in 1966. It is red." },
          context: "A note",
          citations: { enabled: true }
        }
      })
      const cited = answer.content.find((block) => block.type === "text" && (block.citations ?? []).length > 0) as
        | Anthropic.TextBlock
        | undefined
      assert.isDefined(cited)
      assert.strictEqual(cited!.citations![0]!.type, "char_location")
      assert.include((cited!.citations![0] as Anthropic.CitationCharLocation).cited_text, "1966")
    }))

  it.scoped("cache_control becomes cache points; the second call reads what the first wrote", () =>
    Effect.gen(function*() {
      const { client, sent } = yield* setup
      const params: Anthropic.MessageCreateParamsNonStreaming = {
        model: sonnet,
        max_tokens: 100,
        system: [{
          type: "text",
          text: "A long and stable system prompt. ".repeat(40),
          cache_control: { type: "ephemeral" }
        }],
        tools: [{ ...weatherTool, cache_control: { type: "ephemeral", ttl: "1h" } }],
        messages: [{ role: "user", content: "Hello" }]
      }
      const first = yield* promise(() => client.messages.create(params))
      const second = yield* promise(() => client.messages.create(params))
      assert.isAbove(first.usage.cache_creation_input_tokens ?? 0, 0)
      assert.strictEqual(first.usage.cache_read_input_tokens, 0)
      assert.strictEqual(second.usage.cache_read_input_tokens, first.usage.cache_creation_input_tokens)
      assert.deepStrictEqual(sent()[0]!["system"][1], { cachePoint: { type: "default" } })
      assert.deepStrictEqual(sent()[0]!["toolConfig"]["tools"][1], { cachePoint: { type: "default", ttl: "1h" } })
    }))

  it.scoped("Claude Code's shape: bearer token, anthropic-beta, ?beta=true, metadata, cached system, stream", () =>
    Effect.gen(function*() {
      const { key, service } = yield* setup
      const client = new Anthropic({ baseURL: service.url, authToken: key.secret, apiKey: null, maxRetries: 0 })
      const stream = yield* promise(() =>
        client.beta.messages.create({
          model: "claude-sonnet-4-20250514",
          max_tokens: 2000,
          betas: ["claude-code-20250219", "interleaved-thinking-2025-05-14", "fine-grained-tool-streaming-2025-05-14"],
          metadata: { user_id: "user_abc_account__session_6c1f" },
          system: [
            { type: "text", text: "You are Claude Code." },
            { type: "text", text: "Project instructions.", cache_control: { type: "ephemeral" } }
          ],
          tools: [weatherTool],
          thinking: { type: "enabled", budget_tokens: 1024 },
          messages: [{
            role: "user",
            content: [{ type: "text", text: "Hello", cache_control: { type: "ephemeral" } }]
          }],
          stream: true
        })
      )
      const types: Array<string> = []
      yield* promise(async () => {
        for await (const event of stream) types.push(event.type)
      })
      assert.strictEqual(types[0], "message_start")
      assert.strictEqual(types[types.length - 1], "message_stop")
      const counted = yield* promise(() =>
        client.beta.messages.countTokens({
          model: "claude-sonnet-4-20250514",
          betas: ["claude-code-20250219"],
          messages: [{ role: "user", content: "Hello" }]
        })
      )
      assert.isAbove(counted.input_tokens, 0)
    }))
})
