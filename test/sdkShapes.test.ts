import * as Sdk from "@aws-sdk/client-bedrock-runtime"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Schema, SchemaAST } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { Readable } from "node:stream"
import type * as Conversation from "../src/Conversation.js"
import * as Shapes from "../src/internal/sdkShapes.js"
import * as Message from "../src/Message.js"
import * as Response from "../src/Response.js"
import { everyBlock, png } from "./support/blocks.js"

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------

const tagsOf = (union: { readonly members: ReadonlyArray<Schema.Schema.Any> }): ReadonlyArray<string> =>
  union.members.map((member) => {
    const tag = SchemaAST.getPropertySignatures(member.ast).find((signature) => signature.name === "_tag")
    return String((tag!.type as SchemaAST.Literal).literal)
  })

const assertCovers = (
  union: { readonly members: ReadonlyArray<Schema.Schema.Any> },
  values: ReadonlyArray<{ _tag: string }>
) => assert.deepStrictEqual(new Set(values.map((value) => value._tag)), new Set(tagsOf(union)))

interface Recording {
  readonly operation: string
  readonly modelId: string
  readonly request: {
    readonly body: {
      readonly messages?: Array<Sdk.Message>
      readonly system?: Array<Sdk.SystemContentBlock>
      readonly toolConfig?: Sdk.ToolConfiguration
    }
  }
  readonly response: {
    readonly status: number
    readonly headers: Record<string, string>
    readonly body?: {
      readonly output?: { readonly message?: { readonly content: ReadonlyArray<unknown> } }
      readonly stopReason?: string
      readonly usage?: Record<string, number>
      readonly metrics?: { readonly latencyMs: number }
      readonly trace?: unknown
    }
    readonly bodyBase64?: string
  }
  readonly frames?: ReadonlyArray<{ readonly ":event-type"?: string; readonly payload?: Record<string, any> }>
}

const recordingsDir = path.join(import.meta.dirname, "fixtures", "recordings")
const recording = (name: string): Recording => JSON.parse(fs.readFileSync(path.join(recordingsDir, name), "utf8"))
const recordingsOf = (operation: string) =>
  fs.readdirSync(recordingsDir).filter((name) => name.endsWith(".json")).map((name) => [name, recording(name)] as const)
    .filter(([, r]) => r.operation === operation && r.response.status === 200)

/** An SDK client whose every request is answered with the recorded response (no network). */
const replayClient = (r: Recording, requestId = "req-replay-1") =>
  new Sdk.BedrockRuntimeClient({
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDREPLAY", secretAccessKey: "replay-secret" },
    maxAttempts: 1,
    requestHandler: {
      handle: async () => ({
        response: {
          statusCode: r.response.status,
          reason: "OK",
          headers: { ...r.response.headers, "x-amzn-requestid": requestId },
          body: Readable.from([
            r.response.bodyBase64 !== undefined
              ? Buffer.from(r.response.bodyBase64, "base64")
              : Buffer.from(JSON.stringify(r.response.body))
          ])
        }
      })
    } as never
  })

const replayConverse = (r: Recording) =>
  Effect.promise(() => replayClient(r).send(new Sdk.ConverseCommand({ modelId: r.modelId, messages: [] })))

const replayStream = (r: Recording) =>
  Effect.promise(async () => {
    const output = await replayClient(r).send(new Sdk.ConverseStreamCommand({ modelId: r.modelId, messages: [] }))
    const members: Array<Sdk.ConverseStreamOutput> = []
    for await (const member of output.stream!) members.push(member)
    return { members, requestId: output.$metadata.requestId }
  })

const foldRecording = (name: string) =>
  Effect.gen(function*() {
    const { members, requestId } = yield* replayStream(recording(name))
    const events = members.map(Shapes.streamEventFromSdk)
    assert.isFalse(events.some(Shapes.isStreamException))
    return yield* Response.fromEvents(events as ReadonlyArray<Response.StreamEvent>, requestId)
  })

const converseRecording = (name: string) =>
  Effect.gen(function*() {
    const output = yield* replayConverse(recording(name))
    return { output, response: yield* Shapes.responseFromSdk(output) }
  })

const withoutToolUseIds = (content: ReadonlyArray<Message.ContentBlock>) =>
  content.map((block) => block._tag === "ToolUse" ? { ...block, toolUseId: "<id>" } : block)

const deltasOf = (r: Recording, key: string): Array<any> =>
  (r.frames ?? []).filter((frame) => frame[":event-type"] === "contentBlockDelta")
    .map((frame) => frame.payload!.delta).filter((d) => d[key] !== undefined).map((d) => d[key])

// ---------------------------------------------------------------------------
// library -> SDK -> library
// ---------------------------------------------------------------------------

const everySystemBlock: ReadonlyArray<Message.SystemContentBlock> = [
  Message.text("You are terse."),
  Message.cachePoint("5m"),
  { _tag: "GuardContent", content: { _tag: "Text", text: "guard", qualifiers: ["guard_content"] } },
  { _tag: "Unknown", type: "futureSystemBlock", value: { a: 1 } }
]

const everyToolConfig: Conversation.ToolConfiguration = {
  tools: [
    {
      _tag: "ToolSpec",
      name: "get_weather",
      description: "Weather",
      inputSchema: { type: "object", properties: { city: { type: "string" } } },
      strict: true
    },
    { _tag: "ToolSpec", name: "bare", inputSchema: {} },
    { _tag: "SystemTool", name: "nova_grounding" },
    Message.cachePoint(),
    { _tag: "Unknown", type: "mcpServer", value: { url: "https://mcp.example" } }
  ],
  toolChoice: { _tag: "Tool", name: "get_weather" }
}

const citation: Message.Citation = {
  title: "t",
  source: "s",
  sourceContent: [Message.text("src")],
  location: { _tag: "DocumentPage", documentIndex: 0, start: 1, end: 2 }
}

const everyStreamEvent: ReadonlyArray<Response.StreamEvent> = [
  { _tag: "MessageStart", role: "assistant" },
  { _tag: "ContentBlockStart", index: 0, start: { _tag: "ToolUseStart", toolUseId: "t", name: "f", type: "tool_use" } },
  {
    _tag: "ContentBlockStart",
    index: 1,
    start: { _tag: "ToolResultStart", toolUseId: "t", status: "success", type: "r" }
  },
  { _tag: "ContentBlockStart", index: 2, start: { _tag: "ImageStart", format: "png" } },
  { _tag: "ContentBlockStart", index: 3, start: { _tag: "UnknownStart", type: "hologram", value: { d: 3 } } },
  { _tag: "ContentBlockDelta", index: 0, delta: { _tag: "TextDelta", text: "hi" } },
  { _tag: "ContentBlockDelta", index: 0, delta: { _tag: "ToolUseInputDelta", input: "{\"a\":" } },
  { _tag: "ContentBlockDelta", index: 0, delta: { _tag: "ReasoningTextDelta", text: "hmm" } },
  { _tag: "ContentBlockDelta", index: 0, delta: { _tag: "ReasoningSignatureDelta", signature: "sig" } },
  { _tag: "ContentBlockDelta", index: 0, delta: { _tag: "RedactedReasoningDelta", data: new Uint8Array([1]) } },
  { _tag: "ContentBlockDelta", index: 0, delta: { _tag: "CitationDelta", citation } },
  {
    _tag: "ContentBlockDelta",
    index: 1,
    delta: { _tag: "ToolResultDelta", content: [Message.json({ out: 1 }), Message.text("x")] }
  },
  {
    _tag: "ContentBlockDelta",
    index: 2,
    delta: { _tag: "ImageDelta", source: { _tag: "Bytes", bytes: png }, error: "partial" }
  },
  { _tag: "ContentBlockDelta", index: 3, delta: { _tag: "UnknownDelta", type: "hologram", value: [1] } },
  { _tag: "ContentBlockStop", index: 0 },
  { _tag: "MessageStop", stopReason: "future_reason", additionalModelResponseFields: { x: [1] } },
  {
    _tag: "Metadata",
    usage: {
      inputTokens: 1,
      outputTokens: 2,
      totalTokens: 3,
      cacheReadInputTokens: 4,
      cacheWriteInputTokens: 5,
      cacheDetails: [{ ttl: "5m", inputTokens: 5 }]
    },
    metrics: { latencyMs: 10 },
    trace: { promptRouter: { invokedModelId: "m" } },
    performanceConfig: { latency: "optimized" },
    serviceTier: { type: "flex" }
  },
  { _tag: "UnknownEvent", type: "heartbeat", value: { n: 1 } }
]

describe("sdkShapes: library -> SDK -> library", () => {
  it("every content block variant round-trips", () => {
    assertCovers(Message.ContentBlock, everyBlock)
    for (const block of everyBlock) {
      assert.deepStrictEqual(Shapes.contentBlockFromSdk(Shapes.contentBlockToSdk(block)), block, block._tag)
    }
  })

  it("every tool-result content, document source, media source, guard content and citation location is covered", () => {
    const toolResults = everyBlock.filter(Message.isToolResult)
    assertCovers(Message.ToolResultContent, toolResults.flatMap((block) => block.content))
    const documents = everyBlock.flatMap((block) => block._tag === "Document" ? [block] : [])
    assertCovers(Message.DocumentSource, documents.map((document) => document.source))
    const images = everyBlock.flatMap((block) => block._tag === "Image" ? [block] : [])
    assertCovers(Message.MediaSource, images.map((image) => image.source))
    const guards = everyBlock.flatMap((block) => block._tag === "GuardContent" ? [block.content] : [])
    assert.deepStrictEqual(new Set(guards.map((g) => g._tag)), new Set(["Text", "Image"]))
    const locations = everyBlock.flatMap((block) =>
      block._tag === "CitationsContent" ? block.citations.flatMap((c) => c.location ? [c.location] : []) : []
    )
    assertCovers(Message.CitationLocation, locations)
  })

  it("messages, system blocks and tool configurations round-trip", () => {
    const message = Message.user(everyBlock as [Message.ContentBlock, ...Array<Message.ContentBlock>])
    assert.deepStrictEqual(Shapes.messageFromSdk(Shapes.messageToSdk(message)), message)
    assertCovers(Message.SystemContentBlock, everySystemBlock)
    for (const block of everySystemBlock) {
      assert.deepStrictEqual(Shapes.systemBlockFromSdk(Shapes.systemBlockToSdk(block)), block)
    }
    for (
      const toolChoice of [{ _tag: "Auto" }, { _tag: "Any" }, { _tag: "Tool", name: "x" }, {
        _tag: "Unknown",
        type: "none",
        value: {}
      }] as const
    ) {
      const config = { ...everyToolConfig, toolChoice }
      assert.deepStrictEqual(Shapes.toolConfigFromSdk(Shapes.toolConfigToSdk(config)), config)
    }
    assert.deepStrictEqual(Shapes.toolConfigFromSdk(Shapes.toolConfigToSdk({ tools: [] })), { tools: [] })
  })

  it("the SDK shapes are the SDK's (spot checks)", () => {
    assert.deepStrictEqual(Shapes.contentBlockToSdk(Message.image(png, "png")), {
      image: { format: "png", source: { bytes: png } }
    })
    assert.deepStrictEqual(Shapes.contentBlockToSdk(Message.document("x", { name: "n", citations: true })), {
      document: { format: "txt", name: "n", source: { text: "x" }, citations: { enabled: true } }
    })
    assert.deepStrictEqual(Shapes.contentBlockToSdk({ _tag: "RedactedReasoning", data: png }), {
      reasoningContent: { redactedContent: png }
    })
    assert.deepStrictEqual(Shapes.contentBlockToSdk(Message.cachePoint("1h")), {
      cachePoint: { type: "default", ttl: "1h" }
    })
    assert.deepStrictEqual(Shapes.toolConfigToSdk({ tools: [], toolChoice: { _tag: "Any" } }), {
      tools: [],
      toolChoice: { any: {} }
    })
  })

  it("a Response round-trips through the SDK's Converse output (request id in $metadata)", () => {
    const response: Response.Response = {
      message: { role: "assistant", content: everyBlock },
      stopReason: "model_context_window_exceeded",
      usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3, cacheReadInputTokens: 4 },
      latencyMs: 5,
      requestId: "req-42",
      additionalModelResponseFields: { a: 1 },
      trace: { guardrail: { actionReason: "x" } },
      performanceConfig: { latency: "standard" },
      serviceTier: { type: "default" }
    }
    const sdk = Shapes.responseToSdk(response)
    assert.strictEqual(sdk.$metadata.requestId, "req-42")
    assert.deepStrictEqual(Either.getOrThrow(Shapes.responseFromSdk(sdk)), response)
  })

  it("every stream event, start and delta variant round-trips", () => {
    assertCovers(Response.StreamEvent, everyStreamEvent)
    const starts = everyStreamEvent.flatMap((e) => e._tag === "ContentBlockStart" ? [e.start] : [])
    assertCovers(Response.BlockStart, starts)
    const deltas = everyStreamEvent.flatMap((e) => e._tag === "ContentBlockDelta" ? [e.delta] : [])
    assertCovers(Response.Delta, deltas)
    for (const event of everyStreamEvent) {
      assert.deepStrictEqual(Shapes.streamEventFromSdk(Shapes.streamEventToSdk(event)), event, event._tag)
    }
  })
})

// ---------------------------------------------------------------------------
// SDK -> library -> SDK
// ---------------------------------------------------------------------------

describe("sdkShapes: SDK -> library -> SDK", () => {
  it("unmodelled and unknown SDK members are preserved", () => {
    const sdkBlocks: ReadonlyArray<Sdk.ContentBlock> = [
      { audio: { format: "mp3", source: { bytes: new Uint8Array([1, 2]) } } },
      { toolAddition: { tool: { name: "x" } } },
      { $unknown: ["hologram", { depth: 3 }] },
      { image: { format: "tiff" as Sdk.ImageFormat, source: { bytes: png } } },
      { image: { format: "png", source: { $unknown: ["url", "https://x"] } } },
      { reasoningContent: { $unknown: ["summary", "short"] } },
      { cachePoint: { type: "ephemeral" as Sdk.CachePointType } },
      { toolResult: { toolUseId: "t", content: [{ $unknown: ["table", [[1]]] }, { json: { a: 1 } }] } },
      {
        citationsContent: {
          content: [{ text: "x" }],
          citations: [{ location: { $unknown: ["map", { lat: 1 }] } }, { location: { web: { url: "u" } } }]
        }
      }
    ]
    for (const block of sdkBlocks) {
      assert.deepStrictEqual(Shapes.contentBlockToSdk(Shapes.contentBlockFromSdk(block)), block)
    }
    assert.deepStrictEqual(Shapes.contentBlockFromSdk({ $unknown: ["hologram", { depth: 3 }] }), {
      _tag: "Unknown",
      type: "hologram",
      value: { depth: 3 }
    })
    const system: Sdk.SystemContentBlock = { $unknown: ["persona", { name: "x" }] }
    assert.deepStrictEqual(Shapes.systemBlockToSdk(Shapes.systemBlockFromSdk(system)), system)
    const tools: Sdk.ToolConfiguration = {
      tools: [{ $unknown: ["mcp", { url: "u" }] }, {
        toolSpec: { name: "n", inputSchema: { $unknown: ["yaml", "a: 1"] } }
      }],
      toolChoice: { $unknown: ["none", {}] }
    }
    assert.deepStrictEqual(Shapes.toolConfigToSdk(Shapes.toolConfigFromSdk(tools)), tools)
  })

  it("every Converse recording's request (messages, system, tools) maps back to itself", () => {
    const recordings = [...recordingsOf("Converse"), ...recordingsOf("ConverseStream")]
    assert.isAtLeast(recordings.length, 10)
    for (const [name, r] of recordings) {
      const body = r.request.body
      for (const message of body.messages ?? []) {
        assert.deepStrictEqual(Shapes.messageToSdk(Shapes.messageFromSdk(message)), message, name)
      }
      for (const block of body.system ?? []) {
        assert.deepStrictEqual(Shapes.systemBlockToSdk(Shapes.systemBlockFromSdk(block)), block, name)
      }
      if (body.toolConfig !== undefined) {
        assert.deepStrictEqual(Shapes.toolConfigToSdk(Shapes.toolConfigFromSdk(body.toolConfig)), body.toolConfig)
      }
    }
    const cited = recording("langchain-aws__converse-citations-claude-sonnet5.json").request.body.messages!
    const mapped = cited.map(Shapes.messageFromSdk)
    assert.isTrue(mapped.some((m) => m.content.some((b) => b._tag === "CitationsContent")))
    assert.isTrue(mapped.some((m) => m.content.some((b) => b._tag === "Document")))
  })

  it("stream exceptions are handed over, unknown members preserved", () => {
    const throttled = Shapes.streamEventFromSdk({
      throttlingException: new Sdk.ThrottlingException({ message: "Too many tokens", $metadata: {} })
    })
    assert.deepStrictEqual(Shapes.isStreamException(throttled), true)
    if (Shapes.isStreamException(throttled)) {
      assert.strictEqual(throttled.member, "throttlingException")
      assert.strictEqual(throttled.name, "ThrottlingException")
      assert.strictEqual(throttled.message, "Too many tokens")
    }
    const plain = Shapes.streamEventFromSdk({ modelStreamErrorException: { message: "boom" } } as never)
    assert.deepStrictEqual(
      Shapes.isStreamException(plain) ? [plain.name, plain.message] : [],
      ["ModelStreamErrorException", "boom"]
    )
    const unknown = Shapes.streamEventFromSdk({ $unknown: ["heartbeat", { n: 1 }] })
    assert.deepStrictEqual(unknown, { _tag: "UnknownEvent", type: "heartbeat", value: { n: 1 } })
    assert.deepStrictEqual(Shapes.streamEventToSdk(unknown as Response.StreamEvent), {
      $unknown: ["heartbeat", { n: 1 }]
    })
  })

  it("a Converse output without a message is a MalformedResponse with the request id", () => {
    const result = Shapes.responseFromSdk({
      output: { $unknown: ["video", {}] },
      stopReason: "end_turn",
      usage: undefined,
      metrics: undefined,
      $metadata: { requestId: "r-1" }
    })
    assert.isTrue(Either.isLeft(result))
    if (Either.isLeft(result)) {
      assert.strictEqual(result.left._tag, "MalformedResponseError")
      assert.strictEqual(result.left.requestId, "r-1")
      assert.include(result.left.message, "video")
    }
  })
})

// ---------------------------------------------------------------------------
// recorded Bedrock traffic through the real SDK
// ---------------------------------------------------------------------------

describe("sdkShapes: recorded Converse responses", () => {
  it.effect("every recorded Converse response maps to a Response and back to the SDK's content", () =>
    Effect.gen(function*() {
      const recordings = recordingsOf("Converse")
      assert.isAtLeast(recordings.length, 8)
      for (const [name, r] of recordings) {
        const { output, response } = yield* converseRecording(name)
        assert.strictEqual(response.requestId, "req-replay-1", name)
        assert.strictEqual(response.stopReason, r.response.body!.stopReason, name)
        assert.strictEqual(response.latencyMs, r.response.body!.metrics!.latencyMs, name)
        assert.strictEqual(response.usage.inputTokens, r.response.body!.usage!.inputTokens, name)
        assert.strictEqual(response.usage.totalTokens, r.response.body!.usage!.totalTokens, name)
        assert.deepStrictEqual(
          Shapes.responseToSdk(response).output?.message?.content,
          output.output?.message?.content,
          name
        )
        assert.isFalse(response.message.content.some((block) => block._tag === "Unknown"), name)
        const json = Schema.encodeSync(Response.ResponseFromJson)(response)
        assert.deepStrictEqual(Schema.decodeSync(Response.ResponseFromJson)(json), response, name)
      }
    }))

  it.effect("fields: cache tokens, reasoning signature, redacted bytes, citations, guardrail trace", () =>
    Effect.gen(function*() {
      const cacheWrite = (yield* converseRecording("dd-trace-py__converse-prompt-cache-write-claude37.json")).response
      assert.strictEqual(cacheWrite.usage.cacheWriteInputTokens, 1028)
      assert.strictEqual(cacheWrite.usage.cacheReadInputTokens, 0)

      const reasoning = (yield* converseRecording("pydantic-ai__converse-reasoning-signature-claude-sonnet4.json"))
        .response
      const [thought, answer] = reasoning.message.content
      assert.strictEqual(thought?._tag, "Reasoning")
      assert.isTrue(thought?._tag === "Reasoning" && thought.signature!.startsWith("Eu4CCkgIBxAB"))
      assert.isTrue(answer?._tag === "Text" && answer.text.startsWith("Here are the basic steps"))
      assert.strictEqual(Response.reasoning(reasoning), (thought as Message.Reasoning).text)

      const redactedRecording = recording("pydantic-ai__converse-redacted-reasoning-claude37.json")
      const redacted = (yield* converseRecording("pydantic-ai__converse-redacted-reasoning-claude37.json")).response
      const first = redacted.message.content[0]!
      assert.strictEqual(first._tag, "RedactedReasoning")
      const expectedBytes = Buffer.from(
        (redactedRecording.response.body!.output!.message!.content[0] as any).reasoningContent.redactedContent,
        "base64"
      )
      assert.deepStrictEqual(
        Buffer.from((first as Message.RedactedReasoning).data),
        expectedBytes
      )

      const cited = (yield* converseRecording("langchain-aws__converse-citations-claude-sonnet5.json")).response
      assert.deepStrictEqual(cited.message.content, [
        Message.text("Employees should "),
        {
          _tag: "CitationsContent",
          content: [Message.text("consult with your manager for details.")],
          citations: [{
            title: "company_policy",
            sourceContent: [Message.text("Consult with your manager for details.")],
            location: { _tag: "DocumentChar", documentIndex: 0, start: 58, end: 96 }
          }]
        }
      ])
      assert.strictEqual(Response.text(cited), "Employees should consult with your manager for details.")

      const guarded = (yield* converseRecording("pydantic-ai__converse-guardrail-trace-nova-micro.json")).response
      assert.strictEqual((guarded.trace as any).guardrail.actionReason, "No action.")

      const toolOnly = (yield* converseRecording("langchain-aws__converse-tool-use-only-claude-sonnet5.json")).response
      assert.deepStrictEqual(Response.toolUses(toolOnly), [{
        _tag: "ToolUse",
        toolUseId: "tooluse_hi2yncmb3TRabw7kPLFJX3",
        name: "get_weather",
        input: { location: "San Francisco, CA" },
        type: "tool_use"
      }])
    }))
})

describe("sdkShapes: recorded ConverseStream frames folded", () => {
  it.effect("every recorded stream folds; text equals the concatenated text deltas; usage from metadata", () =>
    Effect.gen(function*() {
      const recordings = recordingsOf("ConverseStream")
      assert.isAtLeast(recordings.length, 9)
      for (const [name, r] of recordings) {
        const response = yield* foldRecording(name)
        assert.strictEqual(response.requestId, "req-replay-1")
        const metadata = r.frames!.find((frame) => frame[":event-type"] === "metadata")!.payload!
        const stop = r.frames!.find((frame) => frame[":event-type"] === "messageStop")!.payload!
        assert.strictEqual(response.stopReason, stop.stopReason, name)
        assert.strictEqual(response.latencyMs, metadata.metrics.latencyMs, name)
        assert.strictEqual(response.usage.outputTokens, metadata.usage.outputTokens, name)
        assert.strictEqual(Response.text(response), deltasOf(r, "text").join(""), name)
        const blockCount = new Set(
          r.frames!.filter((f) => f[":event-type"]?.startsWith("contentBlock")).map((f) => f.payload!.contentBlockIndex)
        ).size
        assert.strictEqual(response.message.content.length, blockCount, name)
      }
    }))

  it.effect("reasoning with signature (claude sonnet 4)", () =>
    Effect.gen(function*() {
      const name = "pydantic-ai__converse-stream-reasoning-signature-claude-sonnet4.json"
      const response = yield* foldRecording(name)
      const reasoningDeltas = deltasOf(recording(name), "reasoningContent")
      const [thought, answer] = response.message.content
      assert.deepStrictEqual(thought, {
        _tag: "Reasoning",
        text: reasoningDeltas.flatMap((d) => d.text ?? []).join(""),
        signature: reasoningDeltas.find((d) => d.signature !== undefined).signature
      })
      assert.isTrue((thought as Message.Reasoning).text.startsWith("The user has greeted me"))
      assert.isTrue((thought as Message.Reasoning).signature!.startsWith("Eu0CCkgIBxAB"))
      assert.deepStrictEqual(answer, Message.text("Hello! It's nice to meet you. How can I help you today?"))
    }))

  it.effect("tool use (claude sonnet 5): the folded toolUse equals the Converse recording's", () =>
    Effect.gen(function*() {
      const response = yield* foldRecording("langchain-aws__converse-stream-tool-use-claude-sonnet5.json")
      assert.strictEqual(Response.text(response), "I'll check the current weather in San Francisco, CA for you.")
      const [toolUse] = Response.toolUses(response)
      assert.deepStrictEqual(toolUse, {
        _tag: "ToolUse",
        toolUseId: "tooluse_Zsi5nODkqYT50BEZ9GG8ud",
        name: "get_weather",
        input: { location: "San Francisco, CA" },
        type: "tool_use"
      })
      const converse = (yield* converseRecording("langchain-aws__converse-tool-use-only-claude-sonnet5.json")).response
      assert.deepStrictEqual(withoutToolUseIds([toolUse!]), withoutToolUseIds(Response.toolUses(converse)))
    }))

  it.effect("the same exchange streamed and not streamed gives the same message (claude 3 sonnet, text + tool)", () =>
    Effect.gen(function*() {
      const streamed = yield* foldRecording("dd-trace-py__converse-stream-text-then-tool-use-claude3-sonnet.json")
      const converse = (yield* converseRecording("dd-trace-py__converse-text-and-tool-use-claude3-sonnet.json"))
        .response
      assert.deepStrictEqual(withoutToolUseIds(streamed.message.content), withoutToolUseIds(converse.message.content))
      assert.strictEqual(streamed.stopReason, converse.stopReason)
    }))

  it.effect("citations: a cited stream block equals the Converse citationsContent block", () =>
    Effect.gen(function*() {
      const streamed = yield* foldRecording("langchain-aws__converse-stream-citations-claude-sonnet5.json")
      assert.deepStrictEqual(streamed.message.content.map((block) => block._tag), [
        "Text",
        "CitationsContent",
        "Text",
        "CitationsContent"
      ])
      const converse = (yield* converseRecording("langchain-aws__converse-citations-claude-sonnet5.json")).response
      assert.deepStrictEqual(streamed.message.content[3], converse.message.content[1])
      assert.strictEqual(
        Response.text(streamed),
        "According to the company policy manual, employees get 20 days annual leave. If you need more specific details, consult with your manager for details."
      )
    }))

  it.effect("redacted reasoning: two blocks of opaque bytes, then text", () =>
    Effect.gen(function*() {
      const name = "pydantic-ai__converse-stream-redacted-reasoning-claude37.json"
      const response = yield* foldRecording(name)
      const expected = deltasOf(recording(name), "reasoningContent").map((d) =>
        new Uint8Array(Buffer.from(d.redactedContent, "base64"))
      )
      assert.deepStrictEqual(response.message.content.slice(0, 2), [
        { _tag: "RedactedReasoning", data: expected[0]! },
        { _tag: "RedactedReasoning", data: expected[1]! }
      ])
      assert.strictEqual(response.message.content[2]?._tag, "Text")
    }))

  it.effect("server-side tool (nova 2 lite): server toolUse, its toolResult, then the client toolUse", () =>
    Effect.gen(function*() {
      const response = yield* foldRecording("pydantic-ai__converse-stream-server-tool-nova2-lite.json")
      assert.deepStrictEqual(response.message.content, [
        {
          _tag: "ToolUse",
          toolUseId: "tooluse_VQNZJRUFMoqZzszVsRd4og",
          name: "nova_code_interpreter",
          input: { snippet: "1234 * 5678" },
          type: "server_tool_use"
        },
        {
          _tag: "ToolResult",
          toolUseId: "tooluse_VQNZJRUFMoqZzszVsRd4og",
          status: "success",
          type: "nova_code_interpreter_result",
          content: [Message.json({ stdOut: "7006652", stdErr: "", exitCode: 0, isError: false })]
        },
        {
          _tag: "ToolUse",
          toolUseId: "tooluse_ptgCcZ0uQu-UUMz0abqoWw",
          name: "final_result",
          input: { result: 7006652 },
          type: "tool_use"
        }
      ])
    }))

  it.effect("an empty text delta opens a block; reasoning without signature (gpt-oss)", () =>
    Effect.gen(function*() {
      const response = yield* foldRecording("pydantic-ai__converse-stream-empty-text-delta-gpt-oss.json")
      assert.deepStrictEqual(response.message.content.map((block) => block._tag), ["Text", "Reasoning", "Text"])
      assert.deepStrictEqual(response.message.content[0], Message.text(""))
      assert.isUndefined((response.message.content[1] as Message.Reasoning).signature)
      assert.strictEqual(Response.text(response), "Hello! How can I help you today?")
    }))

  it.effect("prompt-cache read tokens from the metadata event", () =>
    Effect.gen(function*() {
      const response = yield* foldRecording("dd-trace-py__converse-stream-prompt-cache-read-claude37.json")
      assert.strictEqual(response.usage.cacheReadInputTokens, 1028)
      assert.strictEqual(response.usage.cacheWriteInputTokens, 0)
    }))
})
