import { assert, describe, it, layer } from "@effect/vitest"
import { Effect, Either } from "effect"
import * as Conversation from "../../src/Conversation.js"
import { Anthropic } from "../../src/families/Anthropic.js"
import * as NativeBody from "../../src/families/NativeBody.js"
import * as Message from "../../src/Message.js"
import * as Response from "../../src/Response.js"
import { emulatorLayer, headerMetrics, invoke, invokeStream, recordedChunks, recording, request } from "./helpers.js"

const haiku = "anthropic.claude-3-haiku-20240307-v1:0"
const sonnet37 = "us.anthropic.claude-3-7-sonnet-20250219-v1:0"

const weather = Conversation.toolSpec({
  name: "get_weather",
  description: "Current weather for a city",
  inputSchema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
})

const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

describe("Anthropic encodeRequest", () => {
  it.effect("renders the Messages body exactly", () =>
    Effect.gen(function*() {
      const body = yield* Anthropic.encodeRequest(request(sonnet37, [
        Message.user([Message.image(png, "png"), "What is <b>&\"' this?", Message.cachePoint()]),
        Message.assistant([
          { _tag: "Reasoning", text: "Let me look.", signature: "sig-1" },
          Message.toolUse("toolu_1", "get_weather", { city: "Paris" })
        ]),
        Message.user([
          Message.toolResult("toolu_1", [Message.json({ temp: 21 })]),
          Message.document("Some notes", { name: "notes", citations: true })
        ])
      ], {
        maxTokens: 512,
        temperature: 0.5,
        topK: 40,
        stopSequences: ["END"],
        system: [Message.text("Be terse."), Message.cachePoint("1h")],
        toolConfig: Conversation.toolConfig([weather, Message.cachePoint()], Conversation.toolChoiceAuto),
        additionalModelRequestFields: { thinking: { type: "enabled", budget_tokens: 256 } }
      }))
      assert.deepStrictEqual(body, {
        anthropic_version: "bedrock-2023-05-31",
        max_tokens: 512,
        system: [{ type: "text", text: "Be terse.", cache_control: { type: "ephemeral", ttl: "1h" } }],
        messages: [
          {
            role: "user",
            content: [
              { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
              { type: "text", text: "What is <b>&\"' this?", cache_control: { type: "ephemeral" } }
            ]
          },
          {
            role: "assistant",
            content: [
              { type: "thinking", thinking: "Let me look.", signature: "sig-1" },
              { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } }
            ]
          },
          {
            role: "user",
            content: [
              { type: "tool_result", tool_use_id: "toolu_1", content: [{ type: "text", text: "{\"temp\":21}" }] },
              {
                type: "document",
                source: { type: "text", media_type: "text/plain", data: "Some notes" },
                title: "notes",
                citations: { enabled: true }
              }
            ]
          }
        ],
        temperature: 0.5,
        stop_sequences: ["END"],
        tools: [{
          name: "get_weather",
          description: "Current weather for a city",
          input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
          cache_control: { type: "ephemeral" }
        }],
        tool_choice: { type: "auto" },
        top_k: 40,
        thinking: { type: "enabled", budget_tokens: 256 }
      })
    }))

  it.effect("defaults max_tokens to 4096 (or the model's lower limit) and maps every tool choice", () =>
    Effect.gen(function*() {
      const plain = yield* Anthropic.encodeRequest(request(haiku, [Message.user("hi")]))
      assert.strictEqual(plain["max_tokens"], 4096)
      assert.isUndefined(plain["system"])
      for (
        const [choice, expected] of [
          [Conversation.toolChoiceAny, { type: "any" }],
          [Conversation.toolChoiceTool("get_weather"), { type: "tool", name: "get_weather" }]
        ] as const
      ) {
        const body = yield* Anthropic.encodeRequest(
          request(haiku, [Message.user("hi")], { toolConfig: Conversation.toolConfig([weather], choice) })
        )
        assert.deepStrictEqual(body["tool_choice"], expected)
      }
    }))

  it.effect("refuses what the Messages API cannot carry, naming family and feature", () =>
    Effect.gen(function*() {
      const s3 = yield* Effect.flip(
        Anthropic.encodeRequest(request(haiku, [Message.user([Message.image({ uri: "s3://b/k.png" }, "png"), "hi"])]))
      )
      assert.strictEqual(s3._tag, "UnsupportedFeature")
      assert.strictEqual(s3.family, "Anthropic Claude")
      assert.strictEqual(s3.feature, "images from S3")
      const video = yield* Effect.flip(
        Anthropic.encodeRequest(request(haiku, [Message.user([Message.video(png, "mp4"), "hi"])]))
      )
      assert.strictEqual(video.feature, "video")
      const firstCache = yield* Effect.flip(
        Anthropic.encodeRequest(request(haiku, [Message.user([Message.cachePoint(), "hi"])]))
      )
      assert.strictEqual(firstCache.feature, "a cachePoint with nothing before it")
    }))
})

describe("Anthropic decodeResponse", () => {
  it.effect("reads text, tool use, thinking, redacted thinking, citations and cache usage", () =>
    Effect.gen(function*() {
      const response = yield* Anthropic.decodeResponse({
        id: "msg_1",
        type: "message",
        role: "assistant",
        content: [
          { type: "thinking", thinking: "hmm", signature: "sig" },
          { type: "redacted_thinking", data: "AQID" },
          {
            type: "text",
            text: "Paris",
            citations: [{
              type: "char_location",
              cited_text: "Paris is",
              document_index: 0,
              document_title: "notes",
              start_char_index: 0,
              end_char_index: 8
            }]
          },
          { type: "tool_use", id: "toolu_9", name: "get_weather", input: { city: "Paris" } }
        ],
        stop_reason: "tool_use",
        usage: { input_tokens: 10, cache_read_input_tokens: 5, cache_creation_input_tokens: 2, output_tokens: 7 }
      }, "req-1")
      assert.deepStrictEqual(response, {
        message: {
          role: "assistant",
          content: [
            { _tag: "Reasoning", text: "hmm", signature: "sig" },
            { _tag: "RedactedReasoning", data: new Uint8Array([1, 2, 3]) },
            {
              _tag: "CitationsContent",
              content: [{ _tag: "Text", text: "Paris" }],
              citations: [{
                title: "notes",
                sourceContent: [{ _tag: "Text", text: "Paris is" }],
                location: { _tag: "DocumentChar", documentIndex: 0, start: 0, end: 8 }
              }]
            },
            { _tag: "ToolUse", toolUseId: "toolu_9", name: "get_weather", input: { city: "Paris" } }
          ]
        },
        stopReason: "tool_use",
        usage: { inputTokens: 10, outputTokens: 7, totalTokens: 24, cacheReadInputTokens: 5, cacheWriteInputTokens: 2 },
        requestId: "req-1"
      })
    }))

  it.effect("a body without content is a MalformedResponse", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Anthropic.decodeResponse({ type: "message" }, "req-2"))
      assert.strictEqual(error._tag, "MalformedResponseError")
      assert.strictEqual(error.requestId, "req-2")
    }))

  it.effect("stream: thinking and signature deltas, tool input pieces, metrics at the end", () =>
    Effect.gen(function*() {
      const response = yield* NativeBody.foldChunks(Anthropic, [
        { type: "message_start", message: { role: "assistant", usage: { input_tokens: 12, output_tokens: 1 } } },
        { type: "content_block_start", index: 0, content_block: { type: "thinking", thinking: "" } },
        { type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: "Let me " } },
        { type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: "think." } },
        { type: "content_block_delta", index: 0, delta: { type: "signature_delta", signature: "EqQB" } },
        { type: "content_block_stop", index: 0 },
        { type: "content_block_start", index: 1, content_block: { type: "tool_use", id: "toolu_2", name: "f" } },
        { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: "" } },
        { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: "{\"a\":" } },
        { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: "1}" } },
        { type: "content_block_stop", index: 1 },
        { type: "message_delta", delta: { stop_reason: "tool_use" }, usage: { output_tokens: 30 } },
        {
          type: "message_stop",
          "amazon-bedrock-invocationMetrics": {
            inputTokenCount: 12,
            outputTokenCount: 30,
            invocationLatency: 900,
            firstByteLatency: 100
          }
        }
      ])
      assert.deepStrictEqual(response.message.content, [
        { _tag: "Reasoning", text: "Let me think.", signature: "EqQB" },
        { _tag: "ToolUse", toolUseId: "toolu_2", name: "f", input: { a: 1 } }
      ])
      assert.strictEqual(response.stopReason, "tool_use")
      assert.deepStrictEqual(response.usage, { inputTokens: 12, outputTokens: 30, totalTokens: 42 })
      assert.strictEqual(response.latencyMs, 900)
    }))

  it.effect("stream: an error chunk or a cut stream is a MalformedResponse", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(NativeBody.foldChunks(Anthropic, [
        { type: "message_start", message: { role: "assistant", usage: { input_tokens: 1 } } },
        { type: "error", error: { type: "overloaded_error", message: "Overloaded" } }
      ]))
      assert.include(error.message, "Overloaded")
      const cut = yield* Effect.flip(NativeBody.foldChunks(Anthropic, [
        { type: "message_start", message: { role: "assistant", usage: { input_tokens: 1 } } },
        { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hi" } }
      ]))
      assert.include(cut.message, "messageStop")
      const notJson = yield* Effect.flip(NativeBody.foldChunks(Anthropic, [new Uint8Array([0x7b])]))
      assert.include(notJson.message, "not a JSON object")
    }))
})

describe("Anthropic recorded traffic", () => {
  it.effect("Claude 3 Sonnet InvokeModel", () =>
    Effect.gen(function*() {
      const rec = recording("dd-trace-py__invoke-claude3-messages.json")
      const response = yield* Anthropic.decodeResponse(rec.response.body, "rec", headerMetrics(rec))
      assert.strictEqual(
        Response.text(response),
        "Hobbits embark on epic quest to destroy powerful ring, battling dark forces."
      )
      assert.strictEqual(response.stopReason, "end_turn")
      assert.deepStrictEqual(response.usage, { inputTokens: 21, outputTokens: 22, totalTokens: 43 })
      assert.strictEqual(response.latencyMs, 886)
    }))

  it.effect("Claude 3 Sonnet InvokeModelWithResponseStream folds to the same answer", () =>
    Effect.gen(function*() {
      const rec = recording("dd-trace-py__invoke-stream-claude3-messages.json")
      const response = yield* NativeBody.foldChunks(Anthropic, recordedChunks(rec), "rec")
      assert.strictEqual(
        Response.text(response),
        "Hobbits embark on epic quest to destroy powerful ring, battling dark forces."
      )
      assert.strictEqual(response.stopReason, "end_turn")
      assert.deepStrictEqual(response.usage, { inputTokens: 21, outputTokens: 22, totalTokens: 43 })
      assert.strictEqual(response.latencyMs, 2033)
    }))

  it.effect("recent Claude Opus response fields (cache counts, stop_details)", () =>
    Effect.gen(function*() {
      const rec = recording("pydantic-ai__invoke-claude-opus-messages-recent.json")
      const response = yield* Anthropic.decodeResponse(rec.response.body)
      assert.isTrue(Response.text(response).startsWith("I'll set aside that instruction"))
      assert.strictEqual(response.stopReason, "end_turn")
      assert.deepStrictEqual(response.usage, {
        inputTokens: 68,
        outputTokens: 508,
        totalTokens: 576,
        cacheReadInputTokens: 0,
        cacheWriteInputTokens: 0
      })
    }))
})

for (const protocol of ["http2", "http1.1"] as const) {
  layer(emulatorLayer(protocol), { excludeTestServices: true })(
    `Anthropic through the emulator (${protocol})`,
    (it) => {
      it.effect("InvokeModel and the stream's fold give the same text, stop reason and usage", () =>
        Effect.gen(function*() {
          const req = request(haiku, [Message.user("Reply with exactly: <b>&\"' ok")], { maxTokens: 100 })
          const { response } = yield* invoke(Anthropic, req)
          const streamed = yield* invokeStream(Anthropic, req)
          assert.strictEqual(Response.text(response), "<b>&\"' ok")
          assert.deepStrictEqual(streamed.response.message, response.message)
          assert.strictEqual(streamed.response.stopReason, response.stopReason)
          assert.deepStrictEqual(streamed.response.usage, response.usage)
          assert.deepStrictEqual(
            streamed.events.map((event) => event._tag).filter((tag, i, all) => all[i - 1] !== tag),
            ["MessageStart", "ContentBlockDelta", "ContentBlockStop", "MessageStop", "Metadata"]
          )
        }))

      it.effect("tool use, then the tool result answered", () =>
        Effect.gen(function*() {
          const toolConfig = Conversation.toolConfig([weather])
          const first = request(haiku, [Message.user("What is the weather in Paris? Use get_weather.")], {
            maxTokens: 200,
            toolConfig
          })
          const { response } = yield* invoke(Anthropic, first)
          const streamed = yield* invokeStream(Anthropic, first)
          assert.strictEqual(response.stopReason, "tool_use")
          assert.deepStrictEqual(streamed.response.message, response.message)
          const use = Response.toolUses(response)[0]!
          assert.deepStrictEqual(use.input, { city: "Paris" })
          const second = yield* invoke(
            Anthropic,
            request(haiku, [
              ...first.messages,
              response.message,
              Message.user([Message.toolResult(use.toolUseId, "18 degrees and sunny")])
            ], { maxTokens: 200, toolConfig })
          )
          assert.strictEqual(second.response.stopReason, "end_turn")
          assert.include(Response.text(second.response), "18 degrees and sunny")
        }))

      it.effect("thinking: reasoning with its signature, in both forms", () =>
        Effect.gen(function*() {
          const req = request("anthropic.claude-sonnet-4-20250514-v1:0", [Message.user("Why is the sky blue?")], {
            maxTokens: 2000,
            additionalModelRequestFields: { thinking: { type: "enabled", budget_tokens: 1024 } }
          })
          const { response } = yield* invoke(Anthropic, req)
          const streamed = yield* invokeStream(Anthropic, req)
          const reasoning = response.message.content[0]!
          assert.strictEqual(reasoning._tag, "Reasoning")
          assert.isTrue(reasoning._tag === "Reasoning" && (reasoning.signature ?? "").length > 0)
          assert.deepStrictEqual(streamed.response.message, response.message)
          assert.isTrue(Either.isRight(Response.fromEvents(streamed.events)))
        }))
    }
  )
}
