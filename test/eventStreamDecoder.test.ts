// The library's event-stream marshaller against the SDK's own: every recorded stream, and frames made to probe each
// way out of the fast path, are decoded by two real SDK clients (one with the SDK's marshaller, one with ours), fed
// the same bytes in the same network chunks. The events, and how each stream ends, must be identical.
import * as Sdk from "@aws-sdk/client-bedrock-runtime"
import { Crc32 } from "@smithy/core/checksum"
import { EventStreamCodec } from "@smithy/eventstream-codec"
import type { EventStreamMarshaller, EventStreamSerdeProvider, MessageHeaders } from "@smithy/types"
import { fromUtf8, toUtf8 } from "@smithy/util-utf8"
import * as fc from "fast-check"
import * as fs from "node:fs"
import * as path from "node:path"
import { Readable } from "node:stream"
import { isDeepStrictEqual } from "node:util"
import { assert, describe, it } from "vitest"
import { eventStreamSerdeProvider } from "../src/internal/transport/eventStreamDecoder.js"

const codec = new EventStreamCodec(toUtf8, fromUtf8)

type Chunking = "whole" | "per frame" | "7 bytes"

const frameLengths = (body: Uint8Array): Array<number> => {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength)
  const lengths: Array<number> = []
  for (let offset = 0; offset + 4 <= body.length;) {
    const length = view.getUint32(offset, false)
    if (length === 0) break
    lengths.push(length)
    offset += length
  }
  return lengths
}

const chunksOf = (body: Uint8Array, chunking: Chunking): Array<Buffer> => {
  const buffer = Buffer.from(body)
  if (chunking === "whole") return [buffer]
  const chunks: Array<Buffer> = []
  if (chunking === "7 bytes") {
    for (let offset = 0; offset < buffer.length; offset += 7) chunks.push(buffer.subarray(offset, offset + 7))
    return chunks
  }
  let offset = 0
  for (const length of frameLengths(body)) {
    chunks.push(buffer.subarray(offset, offset + length))
    offset += length
  }
  if (offset < buffer.length) chunks.push(buffer.subarray(offset))
  return chunks
}

interface Decoded {
  readonly events: Array<unknown>
  readonly error: { readonly constructor: string; readonly name: string; readonly message: string } | undefined
  /** Messages our marshaller handed to the SDK's deserializer (always 0 for the SDK's marshaller). */
  readonly delegated: number
}

/** Decodes `body` (sent in `chunking`) through a real SDK client's ConverseStream or InvokeModelWithResponseStream. */
const decode = async (
  operation: "ConverseStream" | "InvokeModelWithResponseStream",
  body: Uint8Array,
  chunking: Chunking,
  marshaller: "sdk" | "library"
): Promise<Decoded> => {
  let delegated = 0
  const counting: EventStreamSerdeProvider = (context) => {
    const inner = eventStreamSerdeProvider(context)
    const counted: EventStreamMarshaller = {
      serialize: inner.serialize,
      deserialize: (stream, deserializer) =>
        inner.deserialize(stream, (message) => {
          delegated++
          return deserializer(message)
        })
    }
    return counted
  }
  const client = new Sdk.BedrockRuntimeClient({
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDDECODE", secretAccessKey: "decode-secret" },
    maxAttempts: 1,
    ...(marshaller === "library" ? { eventStreamSerdeProvider: counting } : {}),
    requestHandler: {
      handle: async () => ({
        response: {
          statusCode: 200,
          reason: "OK",
          headers: { "content-type": "application/vnd.amazon.eventstream", "x-amzn-requestid": "req-decode" },
          body: Readable.from(chunksOf(body, chunking))
        }
      })
    } as never
  })
  const events: Array<unknown> = []
  let error: Decoded["error"]
  try {
    const stream = operation === "ConverseStream"
      ? (await client.send(
        new Sdk.ConverseStreamCommand({ modelId: "model", messages: [{ role: "user", content: [{ text: "hi" }] }] })
      )).stream
      : (await client.send(new Sdk.InvokeModelWithResponseStreamCommand({ modelId: "model", body: "{}" }))).body
    for await (const event of stream!) events.push(event)
  } catch (cause) {
    const failure = cause as Error
    error = { constructor: failure.constructor.name, name: failure.name, message: failure.message }
  } finally {
    client.destroy()
  }
  return { events, error, delegated }
}

/** Decodes with both marshallers in every chunking and asserts the results are identical; returns ours (whole). */
const assertSameAsSdk = async (
  operation: "ConverseStream" | "InvokeModelWithResponseStream",
  body: Uint8Array
): Promise<Decoded> => {
  let whole: Decoded | undefined
  for (const chunking of ["whole", "per frame", "7 bytes"] as const) {
    const sdk = await decode(operation, body, chunking, "sdk")
    const ours = await decode(operation, body, chunking, "library")
    assert.deepStrictEqual(ours.events, sdk.events, chunking)
    // Prototypes too (a `Uint8Array` is not a `Buffer`), which chai's deep equality does not compare.
    assert.isTrue(isDeepStrictEqual(ours.events, sdk.events), chunking)
    assert.deepStrictEqual(ours.error, sdk.error, chunking)
    whole ??= ours
  }
  return whole!
}

const headers = (messageType: string, type: string): MessageHeaders =>
  messageType === "event"
    ? {
      ":message-type": { type: "string", value: "event" },
      ":event-type": { type: "string", value: type },
      ":content-type": { type: "string", value: "application/json" }
    }
    : {
      ":message-type": { type: "string", value: "exception" },
      ":exception-type": { type: "string", value: type },
      ":content-type": { type: "string", value: "application/json" }
    }

const frame = (type: string, body: string | object, messageType = "event"): Uint8Array =>
  codec.encode({
    headers: headers(messageType, type),
    body: fromUtf8(typeof body === "string" ? body : JSON.stringify(body))
  })

const errorFrame = (code: string, message: string): Uint8Array =>
  codec.encode({
    headers: {
      ":message-type": { type: "string", value: "error" },
      ":error-code": { type: "string", value: code },
      ":error-message": { type: "string", value: message }
    },
    body: new Uint8Array(0)
  })

const concat = (...frames: Array<Uint8Array>): Uint8Array => Buffer.concat(frames)

const padding = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"
const textDelta = (text: string, index = 0) =>
  frame("contentBlockDelta", { contentBlockIndex: index, delta: { text }, p: padding })
const start = frame("messageStart", { role: "assistant", p: padding })

// ---------------------------------------------------------------------------

interface Recording {
  readonly operation: string
  readonly response: { readonly status: number; readonly bodyBase64?: string }
}

const recordingsDir = path.join(import.meta.dirname, "fixtures", "recordings")
const recordedStreams = fs.readdirSync(recordingsDir).filter((name) => name.endsWith(".json")).flatMap((name) => {
  const recording: Recording = JSON.parse(fs.readFileSync(path.join(recordingsDir, name), "utf8"))
  const operation = recording.operation
  if (recording.response.status !== 200 || recording.response.bodyBase64 === undefined) return []
  if (operation !== "ConverseStream" && operation !== "InvokeModelWithResponseStream") return []
  return [{ name, operation, body: Buffer.from(recording.response.bodyBase64, "base64") }]
})

describe("event-stream decoding", () => {
  it("covers the recorded streams of both streaming operations", () => {
    const operations = new Set(recordedStreams.map((stream) => stream.operation))
    assert.deepStrictEqual(operations, new Set(["ConverseStream", "InvokeModelWithResponseStream"]))
    assert.isAtLeast(recordedStreams.length, 12)
  })

  for (const { body, name, operation } of recordedStreams) {
    it(`decodes ${name} as the SDK does, reading most events itself`, async () => {
      const ours = await assertSameAsSdk(operation as "ConverseStream", body)
      assert.isUndefined(ours.error)
      assert.isAbove(ours.events.length, 0)
      // The recordings' deltas are text, tool input or reasoning text; the SDK reads the block starts, the stop,
      // the metadata, and the odd delta (a redacted reasoning blob, a citation).
      assert.isBelow(ours.delegated, ours.events.length / 2 + 3)
    })
  }

  it("reads a text stream's deltas, block stops and message start itself, with the padding dropped", async () => {
    const body = concat(
      start,
      ...Array.from({ length: 20 }, (_, i) => textDelta(`word${i} `)),
      frame("contentBlockStop", { contentBlockIndex: 0, p: padding }),
      frame("messageStop", { stopReason: "end_turn", p: padding }),
      frame("metadata", { usage: { inputTokens: 3, outputTokens: 20, totalTokens: 23 }, metrics: { latencyMs: 9 } })
    )
    const ours = await assertSameAsSdk("ConverseStream", body)
    assert.strictEqual(ours.events.length, 24)
    // The first event (which tells the operation's events), the message stop and the metadata
    assert.strictEqual(ours.delegated, 3)
    assert.deepStrictEqual(ours.events[1], { contentBlockDelta: { delta: { text: "word0 " }, contentBlockIndex: 0 } })
  })

  it("reads tool input, reasoning text and signature deltas itself, and leaves a redacted reasoning blob to the SDK", async () => {
    const body = concat(
      start,
      frame("contentBlockDelta", { contentBlockIndex: 0, delta: { reasoningContent: { text: "Think" } }, p: padding }),
      frame("contentBlockDelta", { contentBlockIndex: 0, delta: { reasoningContent: { signature: "c2ln" } } }),
      frame("contentBlockDelta", { contentBlockIndex: 1, delta: { reasoningContent: { redactedContent: "AAEC" } } }),
      frame("contentBlockDelta", { contentBlockIndex: 2, delta: { toolUse: { input: "{\"city\":" } }, p: padding })
    )
    const ours = await assertSameAsSdk("ConverseStream", body)
    assert.strictEqual(ours.events.length, 5)
    assert.strictEqual(ours.delegated, 2)
  })

  it("hands over the first event of a network chunk before decoding the rest of it", async () => {
    let deserialized = 0
    const marshaller = eventStreamSerdeProvider({ utf8Encoder: toUtf8, utf8Decoder: fromUtf8 })
    const body = {
      async *[Symbol.asyncIterator]() {
        yield concat(start, textDelta("a"), frame("metadata", { usage: {} }), textDelta("b"))
      }
    }
    const events = marshaller.deserialize(body, async (event: Record<string, unknown>) => {
      deserialized++
      return { [Object.keys(event)[0]!]: { read: "by the SDK" } }
    })[Symbol.asyncIterator]()
    assert.deepStrictEqual((await events.next()).value, { messageStart: { read: "by the SDK" } })
    assert.deepStrictEqual((await events.next()).value, {
      contentBlockDelta: { delta: { text: "a" }, contentBlockIndex: 0 }
    })
    assert.strictEqual(deserialized, 1)
    assert.deepStrictEqual((await events.next()).value, { metadata: { read: "by the SDK" } })
    assert.strictEqual(deserialized, 2)
    assert.strictEqual((await events.next()).done, false)
    assert.strictEqual((await events.next()).done, true)
  })

  it("joins a frame that spans many network chunks", async () => {
    const long = "x".repeat(40_000)
    const ours = await assertSameAsSdk("ConverseStream", concat(start, textDelta(long), textDelta("after")))
    assert.strictEqual(ours.events.length, 3)
    assert.strictEqual(ours.delegated, 1)
  })

  it("leaves every event with anything unexpected to the SDK", async () => {
    const unexpected = [
      frame("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "x" }, extra: 1 }),
      frame("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "x", toolUse: { input: "{}" } } }),
      frame("contentBlockDelta", { contentBlockIndex: 0, delta: { somethingNew: { value: 1 } } }),
      frame("contentBlockDelta", { contentBlockIndex: 0, delta: { text: null } }),
      frame("contentBlockDelta", { contentBlockIndex: 0, delta: { toolUse: { input: "{}", name: "x" } } }),
      frame("contentBlockDelta", { contentBlockIndex: "0", delta: { text: "x" } }),
      frame("contentBlockDelta", { delta: { text: "no index" } }),
      frame("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "x" }, __type: "Typed" }),
      frame("contentBlockDelta", [1, 2]),
      frame("contentBlockStop", ""),
      frame("contentBlockStop", { contentBlockIndex: 0, more: true }),
      frame("messageStart", { role: 7 }),
      frame("aBrandNewEvent", { anything: true })
    ]
    const ours = await assertSameAsSdk("ConverseStream", concat(start, ...unexpected, textDelta("end")))
    assert.strictEqual(ours.delegated, 1 + unexpected.length)
  })

  it("decodes generated events, near and far from the simple shapes, as the SDK does", async () => {
    const scalar = fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.integer({ min: -2, max: 3 }),
      fc.constant(null),
      fc.boolean()
    )
    const value = fc.oneof(
      scalar,
      fc.array(scalar, { maxLength: 2 }),
      fc.dictionary(fc.string({ maxLength: 3 }), scalar)
    )
    const member = (names: ReadonlyArray<string>) =>
      fc.dictionary(fc.constantFrom(...names), fc.oneof(value, fc.string({ maxLength: 8 })), { maxKeys: 3 })
    const delta = fc.oneof(
      fc.record({ text: fc.oneof(fc.string({ maxLength: 8 }), value) }),
      fc.record({ toolUse: fc.oneof(member(["input", "name"]), value) }),
      fc.record({ reasoningContent: fc.oneof(member(["text", "signature", "redactedContent"]), value) }),
      member(["text", "toolUse", "citation", "somethingNew"]),
      value
    )
    const event = fc.oneof(
      fc.record({
        type: fc.constant("contentBlockDelta"),
        json: fc.record(
          { contentBlockIndex: fc.oneof(fc.nat(3), value), delta, p: fc.constant(padding), extra: value },
          { requiredKeys: [] }
        )
      }),
      fc.record({ type: fc.constant("contentBlockStop"), json: member(["contentBlockIndex", "p", "extra"]) }),
      fc.record({ type: fc.constant("messageStart"), json: member(["role", "p", "extra"]) }),
      fc.record({ type: fc.constantFrom("messageStop", "aBrandNewEvent"), json: member(["stopReason", "p"]) })
    )
    await fc.assert(
      fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 6 }), async (events) => {
        const body = concat(start, ...events.map(({ json, type }) => frame(type, json as object)))
        await assertSameAsSdk("ConverseStream", body)
      }),
      { numRuns: 150, seed: 20261127 }
    )
  })

  it("reads InvokeModelWithResponseStream chunks itself, as the SDK's Uint8Array", async () => {
    const chunk = (json: object) =>
      frame("chunk", { bytes: Buffer.from(JSON.stringify(json)).toString("base64"), p: padding })
    const body = concat(chunk({ type: "message_start" }), chunk({ type: "content_block_delta", delta: { text: "Hi" } }))
    const ours = await assertSameAsSdk("InvokeModelWithResponseStream", body)
    assert.strictEqual(ours.delegated, 1)
    const bytes = (ours.events[1] as { chunk: { bytes: Uint8Array } }).chunk.bytes
    assert.strictEqual(Object.getPrototypeOf(bytes), Uint8Array.prototype)
    assert.strictEqual(toUtf8(bytes), "{\"type\":\"content_block_delta\",\"delta\":{\"text\":\"Hi\"}}")
  })

  it("drops, as the SDK does, the events of the other streaming operation", async () => {
    const chunk = frame("chunk", { bytes: "e30=" })
    const converse = await assertSameAsSdk("ConverseStream", concat(start, chunk, textDelta("a")))
    assert.strictEqual(converse.events.length, 2)
    const invoke = await assertSameAsSdk("InvokeModelWithResponseStream", concat(chunk, start, textDelta("a"), chunk))
    assert.strictEqual(invoke.events.length, 2)
  })

  it("ends with the SDK's error after the events before a bad one", async () => {
    const cases = [
      // malformed JSON, an exception, an error message
      concat(start, textDelta("a"), frame("contentBlockDelta", "{\"contentBlockIndex\":0,"), textDelta("never")),
      concat(
        start,
        textDelta("a"),
        textDelta("b"),
        frame("throttlingException", { message: "Too many tokens, please wait." }, "exception"),
        textDelta("never")
      ),
      concat(
        start,
        textDelta("a"),
        frame("modelStreamErrorException", { message: "boom", originalStatusCode: 500 }, "exception")
      ),
      concat(start, textDelta("a"), frame("somethingUnmodeled", { message: "who knows" }, "exception")),
      concat(start, textDelta("a"), errorFrame("InternalFailure", "the service failed")),
      // a truncated body
      concat(start, textDelta("a"), textDelta("cut short").subarray(0, 30))
    ]
    for (const body of cases) {
      const ours = await assertSameAsSdk("ConverseStream", body)
      assert.isDefined(ours.error)
      assert.isAtLeast(ours.events.length, 1)
    }
    const badBase64 = await assertSameAsSdk("InvokeModelWithResponseStream", frame("chunk", { bytes: "not base64!" }))
    assert.match(badBase64.error!.message, /base64/)
  })

  it("fails on a corrupted frame, after the events before it", async () => {
    const corrupted = Buffer.from(textDelta("flipped"))
    corrupted[corrupted.length - 10] ^= 0xff
    const ours = await assertSameAsSdk("ConverseStream", concat(start, textDelta("a"), corrupted, textDelta("never")))
    assert.strictEqual(ours.events.length, 2)
    assert.match(ours.error!.message, /checksum/i)
  })

  it("fails, without waiting for more bytes, on a frame length too short to be a frame", async () => {
    const bogus = Buffer.alloc(16)
    bogus.writeUInt32BE(8, 0)
    const checksum = new Crc32()
    checksum.update(bogus.subarray(0, 8))
    bogus.writeUInt32BE(checksum.digestSync(), 8)
    const ours = await decode("ConverseStream", concat(start, bogus, textDelta("never")), "whole", "library")
    assert.strictEqual(ours.events.length, 1)
    assert.match(ours.error!.message, /too short/)
  })

  it("fails as soon as a frame's prelude is in and does not match its checksum (a corrupted length)", async () => {
    const corrupted = Buffer.from(textDelta("lost"))
    corrupted.writeUInt32BE(50_000, 0)
    const marshaller = eventStreamSerdeProvider({ utf8Encoder: toUtf8, utf8Decoder: fromUtf8 })
    // The body never ends: a decoder that trusted the length would wait for 50,000 bytes forever.
    const body = {
      async *[Symbol.asyncIterator]() {
        yield concat(start, textDelta("a"))
        yield corrupted.subarray(0, 14)
        yield corrupted.subarray(14)
        await new Promise(() => {})
      }
    }
    const events = marshaller.deserialize(body, async (event: Record<string, unknown>) => event)[Symbol.asyncIterator]()
    assert.isFalse((await events.next()).done)
    assert.isFalse((await events.next()).done)
    const error = await events.next().then(() => undefined, (cause: Error) => cause)
    assert.match(error!.message, /prelude checksum/)
    assert.isTrue((await events.next()).done)
  })
})
