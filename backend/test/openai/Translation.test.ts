import { assert, describe, it } from "@effect/vitest"
import { BedrockError, ModelCatalog, type Response } from "bedrock-llm"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ChatRequest from "../../src/apis/openai/ChatRequest.js"
import * as ChatResponse from "../../src/apis/openai/ChatResponse.js"
import * as ChatStream from "../../src/apis/openai/ChatStream.js"
import * as DataUrl from "../../src/apis/openai/DataUrl.js"
import * as Embeddings from "../../src/apis/openai/Embeddings.js"
import { decodeValue, fromError, type OpenAiFailure } from "../../src/apis/openai/OpenAiError.js"
import { ChatCompletionRequest } from "../../src/apis/openai/OpenAiSchemas.js"
import * as RequestBody from "../../src/RequestBody.js"
import { chatModel, novaModel, pngDataUrl, reasoningModel } from "./support.js"

const infoOf = (id: string) =>
  Effect.runSync(
    Effect.flatMap(ModelCatalog.ModelCatalog, (catalog) => catalog.get(id)).pipe(
      Effect.provide(ModelCatalog.layer)
    )
  )

const decode = decodeValue(ChatCompletionRequest)

const translate = (
  body: Record<string, unknown>,
  model = chatModel
): Either.Either<ChatRequest.ChatPlan, OpenAiFailure> =>
  Either.flatMap(
    decode({ model, ...body }),
    (decoded) => ChatRequest.translate(decoded, [infoOf(model)], { defaultMaxTokens: 1000 })
  )

const planOf = (body: Record<string, unknown>, model?: string) => {
  const result = translate(body, model)
  if (Either.isLeft(result)) assert.fail(`refused: ${JSON.stringify(result.left)}`)
  return result.right
}

const refusalOf = (body: Record<string, unknown>, model?: string): OpenAiFailure => {
  const result = translate(body, model)
  if (Either.isRight(result)) assert.fail("expected a refusal")
  return result.left
}

const call = (id: string, name: string, args: string) => ({ id, type: "function", function: { name, arguments: args } })
const tool = (name: string) => ({ type: "function", function: { name, parameters: { type: "object" } } })

describe("ChatRequest.translate", () => {
  it("joins system and developer messages into the system prompt and tool messages into one user turn", () => {
    const plan = planOf({
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Weather and time in Rome?" },
        { role: "developer", content: [{ type: "text", text: "Use metric units." }] },
        {
          role: "assistant",
          content: "",
          tool_calls: [call("c1", "weather", "{\"city\":\"Rome\"}"), call("c2", "time", "")]
        },
        { role: "tool", tool_call_id: "c1", content: "20C" },
        { role: "tool", tool_call_id: "c2", content: [{ type: "text", text: "noon" }] },
        { role: "user", content: "Thanks, and tomorrow?" }
      ],
      tools: [tool("weather"), tool("time")]
    })
    assert.deepStrictEqual(plan.request.system, [
      { _tag: "Text", text: "Be brief." },
      { _tag: "Text", text: "Use metric units." }
    ])
    const [user, assistant, results] = plan.request.messages
    assert.strictEqual(plan.request.messages.length, 3)
    assert.deepStrictEqual(user!.content, [{ _tag: "Text", text: "Weather and time in Rome?" }])
    assert.deepStrictEqual(assistant!.content, [
      { _tag: "ToolUse", toolUseId: "c1", name: "weather", input: { city: "Rome" } },
      { _tag: "ToolUse", toolUseId: "c2", name: "time", input: {} }
    ])
    assert.deepStrictEqual(results!.content, [
      { _tag: "ToolResult", toolUseId: "c1", content: [{ _tag: "Text", text: "20C" }] },
      { _tag: "ToolResult", toolUseId: "c2", content: [{ _tag: "Text", text: "noon" }] },
      { _tag: "Text", text: "Thanks, and tomorrow?" }
    ])
    assert.deepStrictEqual(plan.request.toolConfig?.toolChoice, { _tag: "Auto" })
  })

  it("sends signed reasoning back to the model, and unsigned reasoning not", () => {
    const plan = planOf({
      messages: [
        { role: "user", content: "a" },
        {
          role: "assistant",
          content: "b",
          reasoning_content: "unsigned",
          thinking_blocks: [
            { type: "thinking", thinking: "signed", signature: "c2ln" },
            { type: "thinking", thinking: "no signature" },
            { type: "redacted_thinking", data: "AQID" }
          ]
        },
        { role: "user", content: "c" },
        { role: "assistant", content: "d", reasoning_content: "unsigned only" },
        { role: "user", content: "e" }
      ]
    })
    assert.deepStrictEqual(plan.request.messages[1]!.content, [
      { _tag: "Reasoning", text: "signed", signature: "c2ln" },
      { _tag: "RedactedReasoning", data: new Uint8Array([1, 2, 3]) },
      { _tag: "Text", text: "b" }
    ])
    assert.deepStrictEqual(plan.request.messages[3]!.content, [{ _tag: "Text", text: "d" }])
  })

  it("refuses, on Nova, a tool result and text in one turn, naming the message", () => {
    const body = {
      messages: [
        { role: "user", content: "Weather?" },
        { role: "assistant", tool_calls: [call("c1", "weather", "{}")] },
        { role: "tool", tool_call_id: "c1", content: "sunny" },
        { role: "user", content: "And now?" }
      ],
      tools: [tool("weather")]
    }
    assert.deepInclude(refusalOf(body, novaModel), { status: 400, param: "messages[3]", code: "unsupported_value" })
    assert.strictEqual(planOf(body).request.messages.length, 3, "Claude takes them in one turn")
  })

  it("names the OpenAI message of a conversation Bedrock would refuse", () => {
    assert.deepInclude(
      refusalOf({ messages: [{ role: "system", content: "x" }, { role: "assistant", content: "Hi" }] }),
      {
        param: "messages[1]"
      }
    )
    assert.deepInclude(
      refusalOf({
        messages: [{ role: "user", content: "a" }, { role: "assistant", tool_calls: [call("c1", "f", "{}")] }, {
          role: "user",
          content: "b"
        }],
        tools: [tool("f")]
      }),
      { param: "messages[1]" }
    )
    assert.deepInclude(
      refusalOf({
        messages: [{ role: "user", content: "a" }, { role: "assistant", tool_calls: [call("c1", "f", "{}")] }]
      }),
      { param: "tools" }
    )
    assert.deepInclude(
      refusalOf({
        messages: [{ role: "user", content: "a" }, { role: "assistant", tool_calls: [call("c1", "f", "{oops")] }],
        tools: [tool("f")]
      }),
      { param: "messages[1].tool_calls[0].function.arguments" }
    )
    assert.deepInclude(refusalOf({ messages: [{ role: "user", content: "   " }] }), { param: "messages[0]" })
  })

  it("images and files are data URLs; cache_control becomes a cache point after its part", () => {
    const plan = planOf({
      messages: [{
        role: "user",
        content: [
          { type: "text", text: "Compare", cache_control: { type: "ephemeral", ttl: "1h" } },
          { type: "image_url", image_url: { url: pngDataUrl } },
          {
            type: "file",
            file: { filename: "Q3 report (final).pdf", file_data: "data:application/pdf;base64,JVBERi0=" }
          }
        ]
      }]
    })
    const [text, point, image, document] = plan.request.messages[0]!.content
    assert.deepStrictEqual(text, { _tag: "Text", text: "Compare" })
    assert.deepStrictEqual(point, { _tag: "CachePoint", type: "default", ttl: "1h" })
    assert.strictEqual(image?._tag === "Image" && image.format, "png")
    assert.deepInclude(document, { _tag: "Document", name: "Q3 report (final)", format: "pdf" })
    assert.deepInclude(
      refusalOf({ messages: [{ role: "user", content: [{ type: "file", file: { file_id: "file-abc" } }] }] }),
      { param: "messages[0].content[0].file.file_id", code: "unsupported_parameter" }
    )
  })

  it("response_format: the answer tool is forced alone, one of the tools with tools, or offered with tool_choice none", () => {
    const format = { type: "json_schema", json_schema: { name: "answer", schema: { type: "object" } } }
    const alone = planOf({ messages: [{ role: "user", content: "x" }], response_format: format })
    assert.strictEqual(alone.answerTool, "answer")
    assert.deepStrictEqual(alone.request.toolConfig?.toolChoice, { _tag: "Tool", name: "answer" })
    const withTools = planOf({
      messages: [{ role: "user", content: "x" }],
      response_format: format,
      tools: [tool("f")]
    })
    assert.deepStrictEqual(withTools.request.toolConfig?.toolChoice, { _tag: "Any" })
    assert.deepStrictEqual(
      withTools.request.toolConfig?.tools.map((spec: { readonly _tag: string; readonly name?: string }) =>
        spec._tag === "ToolSpec" && spec.name
      ),
      ["f", "answer"]
    )
    const none = planOf({
      messages: [{ role: "user", content: "x" }],
      response_format: format,
      tools: [tool("f")],
      tool_choice: "none"
    })
    assert.deepStrictEqual(none.request.toolConfig?.toolChoice, { _tag: "Tool", name: "answer" })
    const required = planOf({
      messages: [{ role: "user", content: "x" }],
      response_format: format,
      tools: [tool("f")],
      tool_choice: "required"
    })
    assert.isUndefined(required.answerTool)
    assert.deepInclude(
      refusalOf({
        messages: [{ role: "user", content: "x" }],
        response_format: { type: "json_schema", json_schema: { name: "f" } },
        tools: [tool("f")]
      }),
      { param: "response_format.json_schema.name" }
    )
    assert.deepInclude(
      refusalOf({
        messages: [{ role: "user", content: "x" }],
        response_format: { type: "json_schema", json_schema: { name: "list", schema: { type: "array" } } }
      }),
      { param: "response_format.json_schema.schema" }
    )
  })

  it("reasoning_effort: Claude's thinking budget and an output bound above it, Nova's reasoningConfig", () => {
    const claude = planOf({ messages: [{ role: "user", content: "x" }], reasoning_effort: "medium" }, reasoningModel)
    assert.deepStrictEqual(claude.request.model?.additionalModelRequestFields, {
      thinking: { type: "enabled", budget_tokens: 2048 }
    })
    assert.strictEqual(claude.maxTokens, 2048 + 1000)
    assert.deepInclude(
      refusalOf(
        { messages: [{ role: "user", content: "x" }], reasoning_effort: "high", max_tokens: 4096 },
        reasoningModel
      ),
      { param: "max_tokens" }
    )
    assert.deepInclude(
      refusalOf(
        { messages: [{ role: "user", content: "x" }], reasoning_effort: "low", temperature: 0.5 },
        reasoningModel
      ),
      { param: "temperature" }
    )
    assert.deepInclude(
      refusalOf(
        {
          messages: [{ role: "user", content: "x" }],
          reasoning_effort: "low",
          response_format: { type: "json_object" }
        },
        reasoningModel
      ),
      { param: "response_format" }
    )
    const nova = planOf(
      { messages: [{ role: "user", content: "x" }], reasoning_effort: "minimal" },
      "amazon.nova-2-lite-v1:0"
    )
    assert.deepStrictEqual(nova.request.model?.additionalModelRequestFields, {
      reasoningConfig: { type: "enabled", maxReasoningEffort: "low" }
    })
    assert.strictEqual(
      planOf({ messages: [{ role: "user", content: "x" }], reasoning_effort: "none" }, novaModel).request.model,
      undefined
    )
  })

  it("user, safety_identifier and metadata become Bedrock's request metadata; service_tier its tier", () => {
    const plan = planOf({
      messages: [{ role: "user", content: "x" }],
      user: "user-42",
      metadata: { team: "search" },
      service_tier: "flex",
      stop: "END"
    })
    assert.deepStrictEqual(plan.request.model, {
      stopSequences: ["END"],
      requestMetadata: { team: "search", user: "user-42" },
      serviceTier: "flex"
    })
    assert.deepInclude(refusalOf({ messages: [{ role: "user", content: "x" }], user: "a;b" }), { param: "user" })
  })
})

describe("RequestBody", () => {
  it("names the parameter of a decoding problem as OpenAI writes it", () => {
    const problem = (value: unknown) =>
      Either.getLeft(decode(value)).pipe((left) => left._tag === "Some" ? left.value : undefined)
    assert.deepInclude(problem({ model: "m" }), { param: "messages", code: "missing_required_parameter" })
    assert.deepInclude(problem({ model: "m", messages: [], top_k: 3 }), {
      param: "top_k",
      code: "unknown_parameter",
      message: "Unrecognized request argument supplied: top_k"
    })
    assert.deepInclude(problem({ model: "m", messages: [{ role: "user", content: [{ type: "text", text: 1 }] }] }), {
      param: "messages[0].content[0].text"
    })
    assert.deepInclude(problem([]), { param: null })
    assert.strictEqual(RequestBody.parameterOf(["messages", 2, "tool_calls", 0, "id"]), "messages[2].tool_calls[0].id")
  })
})

describe("ChatStream", () => {
  const identity = { id: "chatcmpl-1", created: 7, model: "m", answerTool: undefined }
  const events: ReadonlyArray<Response.StreamEvent> = [
    { _tag: "MessageStart", role: "assistant" },
    { _tag: "ContentBlockDelta", index: 0, delta: { _tag: "ReasoningTextDelta", text: "Hmm." } },
    { _tag: "ContentBlockDelta", index: 0, delta: { _tag: "ReasoningSignatureDelta", signature: "sig" } },
    { _tag: "ContentBlockStop", index: 0 },
    { _tag: "ContentBlockDelta", index: 1, delta: { _tag: "TextDelta", text: "Let me look." } },
    { _tag: "ContentBlockStart", index: 2, start: { _tag: "ToolUseStart", toolUseId: "t1", name: "weather" } },
    { _tag: "ContentBlockDelta", index: 2, delta: { _tag: "ToolUseInputDelta", input: "" } },
    { _tag: "ContentBlockDelta", index: 2, delta: { _tag: "ToolUseInputDelta", input: "{\"city\":" } },
    { _tag: "ContentBlockDelta", index: 2, delta: { _tag: "ToolUseInputDelta", input: "\"Rome\"}" } },
    { _tag: "ContentBlockStop", index: 2 },
    { _tag: "MessageStop", stopReason: "tool_use" },
    {
      _tag: "Metadata",
      usage: { inputTokens: 10, outputTokens: 20, totalTokens: 30, cacheReadInputTokens: 5, cacheWriteInputTokens: 2 },
      metrics: {}
    }
  ]

  it("gives OpenAI's chunks in OpenAI's order, then the usage chunk", () => {
    const translator = ChatStream.make({ ...identity, includeUsage: true })
    const chunks = [...events.flatMap(translator.push), ...translator.end()]
    assert.deepStrictEqual(chunks.map((chunk): unknown => chunk.choices[0]?.delta ?? "usage"), [
      { role: "assistant", content: "", refusal: null },
      { reasoning_content: "Hmm." },
      { thinking_blocks: [{ type: "thinking", thinking: "Hmm.", signature: "sig" }] },
      { content: "Let me look." },
      { tool_calls: [{ index: 0, id: "t1", type: "function", function: { name: "weather", arguments: "" } }] },
      { tool_calls: [{ index: 0, function: { arguments: "{\"city\":" } }] },
      { tool_calls: [{ index: 0, function: { arguments: "\"Rome\"}" } }] },
      {},
      "usage"
    ])
    assert.strictEqual(chunks[7]!.choices[0]!.finish_reason, "tool_calls")
    assert.deepStrictEqual(chunks[8]!.usage, {
      prompt_tokens: 17,
      completion_tokens: 20,
      total_tokens: 37,
      prompt_tokens_details: { cached_tokens: 5 },
      completion_tokens_details: { reasoning_tokens: ModelCatalog.estimateTokens("Hmm.") }
    })
    assert.isTrue(chunks.slice(0, -1).every((chunk) => chunk.usage === null))
  })

  it("streams the answer tool's input as content, and then finishes with stop", () => {
    const translator = ChatStream.make({ ...identity, answerTool: "weather", includeUsage: false })
    const chunks = events.flatMap(translator.push)
    const deltas = chunks.map((chunk) => chunk.choices[0]!.delta)
    assert.strictEqual(deltas.map((delta) => delta.content ?? "").join(""), "{\"city\":\"Rome\"}")
    assert.isTrue(deltas.every((delta) => delta.tool_calls === undefined))
    assert.strictEqual(chunks[chunks.length - 1]!.choices[0]!.finish_reason, "stop")
    assert.isTrue(chunks.every((chunk) => !("usage" in chunk)))
    assert.deepStrictEqual(translator.end(), [])
  })

  it("folds to what the whole response gives", () => {
    const response: Response.Response = {
      message: {
        role: "assistant",
        content: [{ _tag: "Text", text: "Let me look." }, {
          _tag: "ToolUse",
          toolUseId: "t1",
          name: "weather",
          input: { city: "Rome" }
        }]
      },
      stopReason: "tool_use",
      usage: { inputTokens: 10, outputTokens: 20, totalTokens: 30 }
    }
    const completion = ChatResponse.completion(response, identity)
    assert.deepStrictEqual(completion.choices[0]!.message, {
      role: "assistant",
      content: "Let me look.",
      refusal: null,
      annotations: [],
      tool_calls: [{ id: "t1", type: "function", function: { name: "weather", arguments: "{\"city\":\"Rome\"}" } }]
    })
    assert.strictEqual(completion.choices[0]!.finish_reason, "tool_calls")
    assert.strictEqual(ChatResponse.finishReasonOf("max_tokens", false), "length")
    assert.strictEqual(ChatResponse.finishReasonOf("guardrail_intervened", false), "content_filter")
  })
})

describe("OpenAiError.fromError", () => {
  it("keeps the gateway's own credentials and network out of what the caller reads", () => {
    const denied = fromError(
      new BedrockError.AccessDeniedError({
        message: "User: arn:aws:iam::123456789012:role/gateway is not authorized to perform: bedrock:InvokeModel"
      })
    )
    assert.deepInclude(denied, { status: 502, type: "server_error", code: "upstream_error" })
    assert.notInclude(denied.message, "arn:aws")
    const network = fromError(new BedrockError.TransportError({ message: "connect ECONNREFUSED 10.0.3.7:443" }))
    assert.notInclude(network.message, "10.0.3.7")
    const timeout = fromError(new BedrockError.ModelTimeoutError({ message: "Model has timed out" }))
    assert.deepInclude(timeout, { status: 504, code: "timeout", message: "Model has timed out" })
  })
})

describe("Embeddings and data URLs", () => {
  it("base64 is each vector's little-endian float32 bytes", () => {
    const encoded = Embeddings.toBase64([1, -2.5, 0.1])
    const bytes = Buffer.from(encoded, "base64")
    assert.deepStrictEqual([bytes.readFloatLE(0), bytes.readFloatLE(4), bytes.readFloatLE(8)], [
      1,
      -2.5,
      Math.fround(0.1)
    ])
  })

  it("data URLs decode; anything else is remote or malformed", () => {
    const parsed = DataUrl.parse("data:Image/PNG;name=x;base64,aGk=")
    assert.deepStrictEqual(
      Either.map(parsed, (url) => [url.mediaType, [...url.bytes]]),
      Either.right(["image/png", [104, 105]])
    )
    assert.deepStrictEqual(DataUrl.parse("https://example.com/a.png"), Either.left("remote"))
    assert.deepStrictEqual(DataUrl.parse("data:image/png,raw"), Either.left("not-base64"))
    assert.deepStrictEqual(DataUrl.parse("data:image/png;base64,@@"), Either.left("malformed"))
  })
})
