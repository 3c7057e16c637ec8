import { assert, describe, it } from "@effect/vitest"
import { ModelCatalog, type Response } from "bedrock-llm"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as AnthropicRequest from "../../src/apis/anthropic/AnthropicRequest.js"
import type { MessagesRequest } from "../../src/apis/anthropic/AnthropicSchema.js"
import * as AnthropicStream from "../../src/apis/anthropic/AnthropicStream.js"

const info = (id: string) =>
  Effect.flatMap(ModelCatalog.ModelCatalog, (catalog) => catalog.get(id)).pipe(Effect.provide(ModelCatalog.layer))

const request = (body: Partial<MessagesRequest>): MessagesRequest => ({
  model: "m",
  max_tokens: 100,
  messages: [{ role: "user", content: "Hi" }],
  ...body
})

describe("AnthropicRequest", () => {
  it.effect("merges consecutive turns of one role, as Anthropic's API does", () =>
    Effect.gen(function*() {
      const sonnet = yield* info("anthropic.claude-sonnet-4-20250514-v1:0")
      const translated = AnthropicRequest.fromMessages(
        request({
          messages: [
            { role: "user", content: "One" },
            { role: "user", content: [{ type: "text", text: "Two" }] },
            { role: "assistant", content: "Three" }
          ]
        }),
        sonnet
      )
      assert.isTrue(Either.isRight(translated))
      const messages = Either.getOrThrow(translated).request.messages
      assert.deepStrictEqual(messages.map((message) => [message.role, message.content.length]), [["user", 2], [
        "assistant",
        1
      ]])
    }))

  it.effect("a breakpoint inside a tool result caches to the end of the result; document names are unique", () =>
    Effect.gen(function*() {
      const sonnet = yield* info("anthropic.claude-sonnet-4-20250514-v1:0")
      const translated = Either.getOrThrow(AnthropicRequest.fromMessages(
        request({
          tools: [{ name: "t", input_schema: { type: "object" } }],
          messages: [
            { role: "user", content: "Hi" },
            { role: "assistant", content: [{ type: "tool_use", id: "a", name: "t", input: {} }] },
            {
              role: "user",
              content: [
                {
                  type: "tool_result",
                  tool_use_id: "a",
                  content: [{ type: "text", text: "ok", cache_control: { type: "ephemeral" } }]
                },
                { type: "document", source: { type: "text", media_type: "text/plain", data: "x" }, title: "a/b" },
                { type: "document", source: { type: "text", media_type: "text/plain", data: "y" }, title: "a b" }
              ]
            }
          ]
        }),
        sonnet
      ))
      const last = translated.request.messages[2]!.content
      assert.deepStrictEqual(last.map((block) => block._tag), ["ToolResult", "CachePoint", "Document", "Document"])
      assert.deepStrictEqual(last.flatMap((block) => block._tag === "Document" ? [block.name] : []), ["a b", "a b (2)"])
    }))

  it.effect("Anthropic model names are tried as Bedrock ids; other names as they are", () =>
    Effect.sync(() => {
      assert.deepStrictEqual(AnthropicRequest.modelCandidates("claude-3-5-haiku-20241022"), [
        "claude-3-5-haiku-20241022",
        "anthropic.claude-3-5-haiku-20241022-v1:0",
        "anthropic.claude-3-5-haiku-20241022"
      ])
      assert.deepStrictEqual(AnthropicRequest.modelCandidates("fast"), ["fast"])
    }))
})

const usage: Response.Usage = { inputTokens: 5, outputTokens: 7, totalTokens: 12, cacheReadInputTokens: 3 }

const run = (events: ReadonlyArray<Response.StreamEvent>, withEnd = true) => {
  const translator = new AnthropicStream.Translator({ id: "msg_1", model: "m" })
  return [
    ...translator.start(),
    ...events.flatMap((event) => translator.next(event)),
    ...(withEnd ? translator.end() : [])
  ].map((event) => event.data)
}

describe("AnthropicStream", () => {
  it("holds the stop reason until the usage, renumbers blocks, and turns redacted reasoning into one block", () => {
    const out = run([
      { _tag: "MessageStart", role: "assistant" },
      { _tag: "ContentBlockDelta", index: 0, delta: { _tag: "RedactedReasoningDelta", data: new Uint8Array([1, 2]) } },
      { _tag: "ContentBlockStop", index: 0 },
      { _tag: "ContentBlockStart", index: 1, start: { _tag: "ToolResultStart", toolUseId: "x" } },
      { _tag: "ContentBlockStop", index: 1 },
      { _tag: "ContentBlockDelta", index: 2, delta: { _tag: "TextDelta", text: "Hi" } },
      { _tag: "ContentBlockStop", index: 2 },
      { _tag: "MessageStop", stopReason: "stop_sequence", additionalModelResponseFields: { stop_sequence: "END" } },
      { _tag: "Metadata", usage, metrics: {} }
    ])
    assert.deepStrictEqual(out.slice(2), [
      { type: "content_block_start", index: 0, content_block: { type: "redacted_thinking", data: "AQI=" } },
      { type: "content_block_stop", index: 0 },
      { type: "content_block_start", index: 1, content_block: { type: "text", text: "", citations: null } },
      { type: "content_block_delta", index: 1, delta: { type: "text_delta", text: "Hi" } },
      { type: "content_block_stop", index: 1 },
      {
        type: "message_delta",
        delta: { stop_reason: "stop_sequence", stop_sequence: "END" },
        usage: { input_tokens: 5, output_tokens: 7, cache_creation_input_tokens: 0, cache_read_input_tokens: 3 }
      },
      { type: "message_stop" }
    ])
  })

  it("a stream that ends without usage still closes its blocks and the message", () => {
    const out = run([{ _tag: "ContentBlockDelta", index: 0, delta: { _tag: "ReasoningTextDelta", text: "hm" } }])
    assert.deepStrictEqual(out.slice(2).map((event) => event["type"]), [
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop"
    ])
    assert.deepStrictEqual(out[2], {
      type: "content_block_start",
      index: 0,
      content_block: { type: "thinking", thinking: "", signature: "" }
    })
  })

  it("guardrail interventions are refusals; malformed model output ends the turn", () => {
    const stop = (reason: string) =>
      run([{ _tag: "MessageStop", stopReason: reason }, { _tag: "Metadata", usage, metrics: {} }]).find((event) =>
        event["type"] === "message_delta"
      )!["delta"]
    assert.deepStrictEqual(stop("guardrail_intervened"), { stop_reason: "refusal", stop_sequence: null })
    assert.deepStrictEqual(stop("malformed_tool_use"), { stop_reason: "end_turn", stop_sequence: null })
  })
})
