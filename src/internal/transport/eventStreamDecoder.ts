/**
 * The SDK client's event-stream marshaller, with the decoding of a response's frames done here.
 *
 * The SDK decodes each event through four nested async generators, copies every frame out of its network chunk, and
 * walks the event's schema to read a few JSON members: about half of a streamed event's client CPU. This marshaller
 * decodes the frames where they lie, one per `next` (the codec still checks both CRCs), and reads the events that make
 * up a stream's bulk straight from their JSON: `messageStart`, `contentBlockDelta` with a text, tool-input or
 * reasoning-text delta, `contentBlockStop`, and the `chunk` of `InvokeModelWithResponseStream`. Each is produced in
 * exactly the shape the SDK's deserializer gives, only when the JSON holds nothing else (the service's `p` padding
 * aside), and only once the SDK's deserializer has read the stream's first event (which tells the operation's union
 * of events). Every other message (other events, exceptions, errors, unknown members, malformed JSON) goes to the
 * SDK's own deserializer unchanged, so its shapes and errors are the SDK's. `test/eventStreamDecoder.test.ts` checks
 * both paths against the SDK on every recorded stream.
 *
 * Serializing (the input stream of a bidirectional operation) is the SDK's marshaller's.
 *
 * @internal
 */
import { Crc32 } from "@smithy/core/checksum"
import {
  eventStreamSerdeProvider as sdkEventStreamSerdeProvider,
  getMessageUnmarshaller
} from "@smithy/core/event-streams"
import { fromBase64 } from "@smithy/core/serde"
import { EventStreamCodec } from "@smithy/eventstream-codec"
import type { EventStreamMarshaller, EventStreamSerdeProvider, Message } from "@smithy/types"
import { fromUtf8, toUtf8 } from "@smithy/util-utf8"

type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value)

/** A frame's prelude: its total length, its headers' length, and the CRC32 of those eight bytes. */
const preludeLength = 12

/** The prelude plus the message CRC. */
const minimumFrameLength = 16

/** `json` has no members but `first`, `second` and the service's padding `p`. */
const hasOnly = (json: Json, first: string, second?: string): boolean => {
  for (const key in json) if (key !== first && key !== second && key !== "p") return false
  return true
}

/** The single member of a union's JSON object, or `undefined` when it has none or several. */
const onlyMember = (json: Json): string | undefined => {
  let only: string | undefined
  for (const key in json) {
    if (only !== undefined) return undefined
    only = key
  }
  return only
}

/** A `ContentBlockDelta` that is one string: a text, a tool's input, or a reasoning text or signature. */
const stringDelta = (delta: Json): Json | undefined => {
  const member = onlyMember(delta)
  const value = member === undefined ? undefined : delta[member]
  if (member === "text") return typeof value === "string" ? { text: value } : undefined
  if (!isObject(value)) return undefined
  const inner = onlyMember(value)
  const text = inner === undefined ? undefined : value[inner]
  if (typeof text !== "string") return undefined
  if (member === "toolUse" && inner === "input") return { toolUse: { input: text } }
  if (member === "reasoningContent" && (inner === "text" || inner === "signature")) {
    return { reasoningContent: { [inner]: text } }
  }
  return undefined
}

/**
 * The SDK's shape of an event read straight from its JSON body, or `undefined` when the event is not one of the simple
 * ones (the SDK's deserializer then reads it).
 */
const simpleEvent = (type: string, json: unknown): Json | undefined => {
  if (!isObject(json)) return undefined
  switch (type) {
    case "contentBlockDelta": {
      const { contentBlockIndex, delta } = json
      if (!hasOnly(json, "delta", "contentBlockIndex") || typeof contentBlockIndex !== "number") return undefined
      const read = isObject(delta) ? stringDelta(delta) : undefined
      return read === undefined ? undefined : { contentBlockDelta: { delta: read, contentBlockIndex } }
    }
    case "contentBlockStop": {
      const { contentBlockIndex } = json
      return hasOnly(json, "contentBlockIndex") && typeof contentBlockIndex === "number"
        ? { contentBlockStop: { contentBlockIndex } }
        : undefined
    }
    case "messageStart": {
      const { role } = json
      return hasOnly(json, "role") && typeof role === "string" ? { messageStart: { role } } : undefined
    }
    case "chunk": {
      const { bytes } = json
      return hasOnly(json, "bytes") && typeof bytes === "string" ? { chunk: { bytes: fromBase64(bytes) } } : undefined
    }
  }
  return undefined
}

/**
 * The event types read here, by the operation's union: the marshaller serves every operation of the client, so the
 * first event the SDK's deserializer reads tells which union a stream's events belong to (a `chunk` in a
 * ConverseStream is an unknown member, which the SDK drops).
 */
const simpleTypesByMember: Record<string, ReadonlySet<string>> = (() => {
  const converseStream = new Set(["messageStart", "contentBlockDelta", "contentBlockStop"])
  const responseStream = new Set(["chunk"])
  return {
    messageStart: converseStream,
    contentBlockStart: converseStream,
    contentBlockDelta: converseStream,
    contentBlockStop: converseStream,
    messageStop: converseStream,
    metadata: converseStream,
    chunk: responseStream
  }
})()

const isAsyncIterable = (body: unknown): body is AsyncIterable<Uint8Array> =>
  typeof body === "object" && body !== null && Symbol.asyncIterator in body

const codec = new EventStreamCodec(toUtf8, fromUtf8)

/** The big-endian 32-bit number at `offset`: at a frame's start, its total length. */
const uint32At = (bytes: Uint8Array, offset: number): number =>
  ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0

/**
 * Fails unless the prelude at `offset` carries its own checksum. Checked as soon as the prelude is in, before the
 * frame's length is trusted: a corrupted length would otherwise have the stream wait for bytes that never come.
 * The message is the codec's, which checks it again when the frame is complete.
 */
const checkPrelude = (bytes: Uint8Array, offset: number): void => {
  const checksum = new Crc32()
  checksum.update(bytes.subarray(offset, offset + 8))
  const calculated = checksum.digestSync()
  const expected = uint32At(bytes, offset + 8)
  if (calculated !== expected) {
    throw new Error(
      `The prelude checksum specified in the message (${expected}) does not match the calculated CRC32 checksum (${calculated})`
    )
  }
}

/**
 * The events of one response body. `next` decodes the next complete frame of the bytes received so far, and reads
 * more of the body only when they hold none: the first event of a network chunk is handed over as soon as it is
 * decoded, whatever follows it in the chunk. A failing frame ends the stream after the events before it.
 */
class DecodedEvents<T> implements AsyncIterator<T> {
  private readonly source: AsyncIterator<Uint8Array>
  private readonly unmarshal: (message: Message) => Promise<T | undefined>
  /** The bytes received and not yet decoded: `bytes` from `offset`, then the pieces of `partial`. */
  private bytes: Uint8Array = new Uint8Array(0)
  private offset = 0
  private partial: Array<Uint8Array> = []
  private partialLength = 0
  private ended = false
  /** Like an async generator, the iterator is done once it has thrown. */
  private failed = false
  /** The event types read here, once the SDK has read the stream's first event. */
  private simpleTypes: ReadonlySet<string> | undefined

  constructor(source: AsyncIterable<Uint8Array>, unmarshal: (message: Message) => Promise<T | undefined>) {
    this.source = source[Symbol.asyncIterator]()
    this.unmarshal = unmarshal
  }

  async next(): Promise<IteratorResult<T>> {
    if (this.failed) return { done: true, value: undefined }
    try {
      return await this.decodeNext()
    } catch (error) {
      this.failed = true
      throw error
    }
  }

  private async decodeNext(): Promise<IteratorResult<T>> {
    while (true) {
      const frame = this.nextFrame()
      if (frame === undefined) {
        if (this.ended) {
          if (this.offset < this.bytes.length) throw new Error("Truncated event message received.")
          return { done: true, value: undefined }
        }
        const read = await this.source.next()
        if (read.done === true) this.ended = true
        else this.receive(read.value)
        continue
      }
      const message = codec.decode(frame)
      const event = this.simple(message)
      if (event !== undefined) return { done: false, value: event }
      // The SDK may keep a payload it reads (a blob member is the body itself): give it a copy of its own, so that no
      // event it makes holds on to the whole network chunk.
      const unmarshalled = await this.unmarshal({ headers: message.headers, body: message.body.slice() })
      if (unmarshalled === undefined) continue
      if (this.simpleTypes === undefined) {
        for (const member in unmarshalled) {
          this.simpleTypes = simpleTypesByMember[member]
          break
        }
      }
      return { done: false, value: unmarshalled }
    }
  }

  async return(): Promise<IteratorResult<T>> {
    this.ended = true
    this.bytes = new Uint8Array(0)
    this.offset = 0
    this.partial = []
    await this.source.return?.()
    return { done: true, value: undefined }
  }

  /**
   * Adds a chunk of the body. While the bytes held end inside a frame, the pieces are kept apart and joined once, when
   * the frame's last piece arrives.
   */
  private receive(chunk: Uint8Array): void {
    const held = this.bytes.length - this.offset
    if (held === 0) {
      this.bytes = chunk
      this.offset = 0
      return
    }
    this.partial.push(chunk)
    this.partialLength += chunk.length
    const pending = held + this.partialLength
    // Once its prelude is in one piece (and checked, by `nextFrame`), the frame's length is known.
    if (held >= preludeLength && pending < uint32At(this.bytes, this.offset)) return
    const joined = new Uint8Array(pending)
    joined.set(this.bytes.subarray(this.offset))
    let at = held
    for (const piece of this.partial) {
      joined.set(piece, at)
      at += piece.length
    }
    this.bytes = joined
    this.offset = 0
    this.partial = []
    this.partialLength = 0
  }

  /** The next complete frame of the bytes held, or `undefined` when they hold none (yet). */
  private nextFrame(): Uint8Array | undefined {
    const available = this.bytes.length - this.offset
    if (available < preludeLength) return undefined
    checkPrelude(this.bytes, this.offset)
    if (this.partial.length > 0) return undefined
    const length = uint32At(this.bytes, this.offset)
    if (length < minimumFrameLength) {
      throw new Error("Provided message too short to accommodate event stream message overhead")
    }
    if (available < length) return undefined
    const frame = this.bytes.subarray(this.offset, this.offset + length)
    this.offset += length
    return frame
  }

  private simple(message: Message): T | undefined {
    const headers = message.headers
    if (headers[":message-type"]?.value !== "event") return undefined
    const type = headers[":event-type"]?.value
    if (typeof type !== "string" || this.simpleTypes?.has(type) !== true) return undefined
    try {
      return simpleEvent(type, JSON.parse(toUtf8(message.body))) as T | undefined
    } catch {
      // Malformed JSON or base64: the SDK's deserializer reads the event and reports it its own way.
      return undefined
    }
  }
}

/**
 * An `eventStreamSerdeProvider` for the SDK client's configuration.
 */
export const eventStreamSerdeProvider: EventStreamSerdeProvider = (context): EventStreamMarshaller => {
  const sdk = sdkEventStreamSerdeProvider(context)
  return {
    serialize: (input, serializer) => sdk.serialize(input, serializer),
    deserialize: <T>(body: unknown, deserializer: (input: Record<string, Message>) => Promise<T>) => {
      const unmarshal = getMessageUnmarshaller(
        deserializer as (input: Record<string, Message>) => Promise<T & Record<string, unknown>>,
        context.utf8Encoder
      )
      // Node's response bodies are async iterables; anything else is left to the SDK.
      if (!isAsyncIterable(body)) return sdk.deserialize(body, deserializer)
      return { [Symbol.asyncIterator]: () => new DecodedEvents(body, unmarshal) }
    }
  }
}
