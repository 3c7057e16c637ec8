import { assert, describe, it } from "@effect/vitest"
import { Arbitrary, Chunk, Effect, Either, FastCheck, Schema, Stream } from "effect"
import * as Message from "../src/Message.js"
import * as Response from "../src/Response.js"

const usage = (inputTokens: number, outputTokens: number): Response.Usage => ({
  inputTokens,
  outputTokens,
  totalTokens: inputTokens + outputTokens
})

const response: Response.Response = {
  message: {
    role: "assistant",
    content: [
      { _tag: "Reasoning", text: "Think", signature: "sig" },
      { _tag: "RedactedReasoning", data: new Uint8Array([1, 2, 3]) },
      Message.text("Hello "),
      { _tag: "CitationsContent", content: [Message.text("cited")], citations: [{ title: "doc" }] },
      Message.toolUse("tu-1", "lookup", { q: "x" })
    ]
  },
  stopReason: "tool_use",
  usage: { ...usage(10, 5), cacheReadInputTokens: 3, cacheWriteInputTokens: 0 },
  latencyMs: 123,
  requestId: "req-1",
  additionalModelResponseFields: { stop_sequence: null },
  trace: { guardrail: { actionReason: "No action." } },
  performanceConfig: { latency: "optimized" },
  serviceTier: { type: "priority" }
}

const start = (index: number, toolUseId: string, name: string): Response.StreamEvent => ({
  _tag: "ContentBlockStart",
  index,
  start: { _tag: "ToolUseStart", toolUseId, name }
})
const delta = (index: number, d: Response.Delta): Response.StreamEvent => ({
  _tag: "ContentBlockDelta",
  index,
  delta: d
})
const text = (index: number, value: string) => delta(index, { _tag: "TextDelta", text: value })
const input = (index: number, value: string) => delta(index, { _tag: "ToolUseInputDelta", input: value })
const stop = (index: number): Response.StreamEvent => ({ _tag: "ContentBlockStop", index })
const messageStart: Response.StreamEvent = { _tag: "MessageStart", role: "assistant" }
const messageStop = (stopReason: Response.StopReason): Response.StreamEvent => ({ _tag: "MessageStop", stopReason })
const metadata: Response.StreamEvent = { _tag: "Metadata", usage: usage(7, 3), metrics: { latencyMs: 42 } }

const foldRight = (events: ReadonlyArray<Response.StreamEvent>, requestId?: string): Response.Response => {
  const result = Response.fromEvents(events, requestId)
  if (Either.isLeft(result)) assert.fail(result.left.message)
  return (result as Either.Right<never, Response.Response>).right
}

const foldLeft = (events: ReadonlyArray<Response.StreamEvent>): Response.MalformedResponse => {
  const result = Response.fromEvents(events, "req-9")
  if (Either.isRight(result)) assert.fail("expected a MalformedResponse")
  return (result as Either.Left<Response.MalformedResponse, never>).left
}

describe("StopReason", () => {
  it("decodes the 9 known values and keeps an unknown one as it came", () => {
    assert.strictEqual(Response.StopReason.known.length, 9)
    for (const reason of Response.StopReason.known) {
      assert.strictEqual(Schema.decodeUnknownSync(Response.StopReason)(reason), reason)
      assert.isTrue(Response.StopReason.isKnown(reason))
    }
    const future = Schema.decodeUnknownSync(Response.StopReason)("compaction_requested")
    assert.strictEqual(future, "compaction_requested")
    assert.isFalse(Response.StopReason.isKnown(future))
    assert.isTrue(Either.isLeft(Schema.decodeUnknownEither(Response.StopReason)(42)))
  })

  it("an unknown stop reason survives a Response's JSON round trip", () => {
    const r = { ...response, stopReason: "brand_new_reason" }
    const decoded = Schema.decodeSync(Response.ResponseFromJson)(Schema.encodeSync(Response.ResponseFromJson)(r))
    assert.strictEqual(decoded.stopReason, "brand_new_reason")
  })
})

describe("Usage", () => {
  it("add sums tokens, cache tokens only when present; empty is the identity", () => {
    assert.deepStrictEqual(Response.Usage.add(usage(1, 2), usage(3, 4)), usage(4, 6))
    assert.deepStrictEqual(
      Response.Usage.add({ ...usage(1, 2), cacheReadInputTokens: 5 }, { ...usage(1, 1), cacheWriteInputTokens: 7 }),
      { ...usage(2, 3), cacheReadInputTokens: 5, cacheWriteInputTokens: 7 }
    )
    assert.deepStrictEqual(Response.Usage.add(Response.Usage.empty)(usage(1, 2)), usage(1, 2))
    assert.deepStrictEqual(
      Response.Usage.add(
        { ...usage(0, 0), cacheDetails: [{ ttl: "5m", inputTokens: 1 }] },
        { ...usage(0, 0), cacheDetails: [{ ttl: "1h", inputTokens: 2 }] }
      ).cacheDetails,
      [{ ttl: "5m", inputTokens: 1 }, { ttl: "1h", inputTokens: 2 }]
    )
  })
})

describe("Response", () => {
  it("round-trips through JSON with every field", () => {
    const json = Schema.encodeSync(Response.ResponseFromJson)(response)
    assert.include(json, `"data":"AQID"`)
    assert.deepStrictEqual(Schema.decodeSync(Response.ResponseFromJson)(json), response)
  })

  it("property: the JSON round trip is the identity for arbitrary responses", () => {
    const encode = Schema.encodeSync(Response.ResponseFromJson)
    const decode = Schema.decodeSync(Response.ResponseFromJson)
    FastCheck.assert(
      FastCheck.property(Arbitrary.make(Response.Response), (r) => {
        const once = decode(encode(r))
        assert.deepStrictEqual(decode(encode(once)), once)
        assert.strictEqual(encode(once), encode(r))
      }),
      { seed: 7, numRuns: 100 }
    )
  })

  it("the message must be the assistant's", () => {
    const encoded = Schema.encodeSync(Response.Response)(response)
    const asUser = { ...encoded, message: { ...encoded.message, role: "user" } }
    assert.isTrue(Either.isLeft(Schema.decodeUnknownEither(Response.Response)(asUser)))
  })

  it("text, toolUses and reasoning read the message", () => {
    assert.strictEqual(Response.text(response), "Hello cited")
    assert.deepStrictEqual(Response.toolUses(response).map((u) => u.name), ["lookup"])
    assert.strictEqual(Response.reasoning(response), "Think")
    assert.strictEqual(Response.toMessage(response), response.message)
  })
})

describe("Response fold", () => {
  it("concatenates text per block, parses tool input at block stop, orders blocks by index", () => {
    const r = foldRight([
      messageStart,
      text(0, "Hel"),
      text(0, "lo"),
      stop(0),
      start(1, "tu-1", "get_weather"),
      input(1, ""),
      input(1, "{\"city\": "),
      input(1, "\"Paris\"}"),
      stop(1),
      messageStop("tool_use"),
      metadata
    ], "req-1")
    assert.deepStrictEqual(r, {
      message: {
        role: "assistant",
        content: [Message.text("Hello"), Message.toolUse("tu-1", "get_weather", { city: "Paris" })]
      },
      stopReason: "tool_use",
      usage: usage(7, 3),
      latencyMs: 42,
      requestId: "req-1"
    })
  })

  it("interleaved blocks land in index order; no block is invented for an index never opened", () => {
    const r = foldRight([messageStart, text(2, "c"), text(0, "a"), text(2, "d"), messageStop("end_turn"), metadata])
    assert.deepStrictEqual(r.message.content, [Message.text("a"), Message.text("cd")])
  })

  it("a tool without arguments gets {} for an empty input", () => {
    const r = foldRight([messageStart, start(0, "t", "now"), stop(0), messageStop("tool_use"), metadata])
    assert.deepStrictEqual(r.message.content, [Message.toolUse("t", "now", {})])
  })

  it("reasoning text + signature, redacted reasoning bytes concatenated", () => {
    const r = foldRight([
      messageStart,
      delta(0, { _tag: "ReasoningTextDelta", text: "Let me " }),
      delta(0, { _tag: "ReasoningTextDelta", text: "think." }),
      delta(0, { _tag: "ReasoningSignatureDelta", signature: "SIG" }),
      stop(0),
      delta(1, { _tag: "RedactedReasoningDelta", data: new Uint8Array([1, 2]) }),
      delta(1, { _tag: "RedactedReasoningDelta", data: new Uint8Array([3]) }),
      stop(1),
      text(2, "Answer"),
      stop(2),
      messageStop("end_turn"),
      metadata
    ])
    assert.deepStrictEqual(r.message.content, [
      { _tag: "Reasoning", text: "Let me think.", signature: "SIG" },
      { _tag: "RedactedReasoning", data: new Uint8Array([1, 2, 3]) },
      Message.text("Answer")
    ])
    assert.strictEqual(Response.reasoning(r), "Let me think.")
  })

  it("citations turn a text block into citationsContent", () => {
    const citation: Message.Citation = {
      title: "policy",
      location: { _tag: "DocumentChar", documentIndex: 0, start: 0, end: 10 }
    }
    const r = foldRight([
      messageStart,
      text(0, "Per policy, "),
      stop(0),
      delta(1, { _tag: "CitationDelta", citation }),
      text(1, "20 days"),
      stop(1),
      messageStop("end_turn"),
      metadata
    ])
    assert.deepStrictEqual(r.message.content, [
      Message.text("Per policy, "),
      { _tag: "CitationsContent", content: [Message.text("20 days")], citations: [citation] }
    ])
  })

  it("server tool results and unknown blocks are kept", () => {
    const r = foldRight([
      messageStart,
      { _tag: "ContentBlockStart", index: 0, start: { _tag: "ToolResultStart", toolUseId: "s", status: "success" } },
      delta(0, { _tag: "ToolResultDelta", content: [Message.json({ out: 1 })] }),
      stop(0),
      delta(1, { _tag: "UnknownDelta", type: "hologram", value: { x: 1 } }),
      { _tag: "UnknownEvent", type: "somethingNew", value: {} },
      messageStop("end_turn"),
      metadata
    ])
    assert.deepStrictEqual(r.message.content, [
      { _tag: "ToolResult", toolUseId: "s", status: "success", content: [Message.json({ out: 1 })] },
      { _tag: "Unknown", type: "hologram", value: { x: 1 } }
    ])
  })

  it("MessageStop carries additional fields; metadata trace and tiers land in the response", () => {
    const r = foldRight([
      messageStart,
      text(0, "x"),
      { _tag: "MessageStop", stopReason: "future_reason", additionalModelResponseFields: { a: 1 } },
      {
        _tag: "Metadata",
        usage: { ...usage(1, 1), cacheReadInputTokens: 1028 },
        metrics: { latencyMs: 9 },
        trace: { guardrail: {} },
        performanceConfig: { latency: "standard" },
        serviceTier: { type: "flex" }
      }
    ])
    assert.strictEqual(r.stopReason, "future_reason")
    assert.deepStrictEqual(r.additionalModelResponseFields, { a: 1 })
    assert.deepStrictEqual(r.trace, { guardrail: {} })
    assert.strictEqual(r.usage.cacheReadInputTokens, 1028)
    assert.deepStrictEqual(r.serviceTier, { type: "flex" })
    assert.deepStrictEqual(r.performanceConfig, { latency: "standard" })
  })

  it("fails with MalformedResponse on bad tool JSON, a cut stream, or a misplaced delta", () => {
    const badJson = foldLeft([messageStart, start(0, "t", "f"), input(0, "{\"a\": "), stop(0), messageStop("tool_use")])
    assert.strictEqual(badJson._tag, "MalformedResponseError")
    assert.include(badJson.message, "not valid JSON")
    assert.strictEqual(badJson.requestId, "req-9")
    assert.isFalse(badJson.retryable)
    assert.include(foldLeft([messageStart, text(0, "partial")]).message, "messageStop")
    assert.include(foldLeft([messageStart, input(0, "{}"), messageStop("tool_use")]).message, "contentBlockStart")
    assert.include(
      foldLeft([messageStart, start(0, "t", "f"), text(0, "x"), messageStop("end_turn")]).message,
      "does not fit"
    )
  })

  it("the accumulator is immutable and reports progress", () => {
    const empty = Response.Accumulator.empty
    const one = empty.add(messageStart).add(text(0, "ab"))
    const two = one.add(text(0, "c"))
    assert.strictEqual(empty.events, 0)
    assert.strictEqual(one.partialText, "ab")
    assert.strictEqual(two.partialText, "abc")
    assert.strictEqual(two.events, 3)
    assert.isFalse(two.isComplete)
    assert.isTrue(two.add(messageStop("end_turn")).isComplete)
  })

  it.effect("works with Stream.runFold and equals fromEvents", () =>
    Effect.gen(function*() {
      const events: ReadonlyArray<Response.StreamEvent> = [
        messageStart,
        text(0, "Hi"),
        stop(0),
        messageStop("end_turn"),
        metadata
      ]
      const folded = yield* Stream.fromIterable(events).pipe(
        Stream.runFold(Response.Accumulator.empty, Response.accumulate)
      )
      const fromStream = yield* folded.toResponse("r")
      assert.deepStrictEqual(fromStream, foldRight(events, "r"))
      const chunked = yield* Stream.fromChunk(Chunk.fromIterable(events)).pipe(Stream.runCollect)
      assert.strictEqual(Chunk.size(chunked), events.length)
    }))

  it("StreamEvent values are valid for their schema and round-trip through JSON", () => {
    const events: ReadonlyArray<Response.StreamEvent> = [
      messageStart,
      start(1, "t", "f"),
      delta(0, { _tag: "RedactedReasoningDelta", data: new Uint8Array([5]) }),
      delta(0, { _tag: "ImageDelta", source: { _tag: "Bytes", bytes: new Uint8Array([1]) } }),
      stop(0),
      messageStop("end_turn"),
      metadata,
      { _tag: "UnknownEvent", type: "x", value: [1, "a"] }
    ]
    const codec = Schema.parseJson(Schema.Array(Response.StreamEvent))
    assert.deepStrictEqual(Schema.decodeSync(codec)(Schema.encodeSync(codec)(events)), events)
  })
})
