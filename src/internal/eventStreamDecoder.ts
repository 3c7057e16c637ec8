/**
 * The SDK client's event-stream marshaller, with the decoding of a response's frames done here.
 *
 * The SDK decodes each event through four nested async generators, copies every frame out of its network chunk, and
 * walks the event's schema to read a few JSON members. For a streamed answer that is most of the client's CPU per
 * event. This marshaller splits and decodes the frames of each network chunk in one loop (the codec still checks both
 * CRCs), and reads the events that make up a stream's bulk directly from their JSON: `messageStart`,
 * `contentBlockDelta` with a text, tool-input or reasoning-text delta, `contentBlockStop`, and the `chunk` of
 * `InvokeModelWithResponseStream`. Each is produced in exactly the shape the SDK's deserializer gives, and only when
 * the JSON holds nothing else (the service's `p` padding aside), and once the SDK's deserializer has read the stream's
 * first event (which tells the operation's union of events). Every other message (other events, exceptions,
 * errors, unknown members, malformed JSON) goes to the SDK's own deserializer unchanged, so its shapes and errors are
 * the SDK's. `test/eventStreamDecoder.test.ts` checks both paths against the SDK on every recorded stream.
 *
 * Serializing (the input stream of a bidirectional operation) is the SDK's marshaller's.
 *
 * @internal
 */
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

/** The prelude (total and headers length, prelude CRC) plus the message CRC. */
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

/** The total length a frame's prelude gives, at `offset`. */
const frameLength = (bytes: Uint8Array, offset: number): number =>
  ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0

const joined = (pieces: ReadonlyArray<Uint8Array>, length: number): Uint8Array => {
  const bytes = new Uint8Array(length)
  let offset = 0
  for (const piece of pieces) {
    bytes.set(piece, offset)
    offset += piece.length
  }
  return bytes
}

/**
 * The events of one response body. `next` decodes every complete frame of the next network chunk into a queue and then
 * hands them out one by one; a failing frame ends the stream after the events before it.
 */
class DecodedEvents<T> implements AsyncIterator<T> {
  private readonly source: AsyncIterator<Uint8Array>
  private readonly unmarshal: (message: Message) => Promise<T | undefined>
  private queue: Array<T> = []
  private head = 0
  /** The pieces of the frame that the last chunk ended inside of. */
  private partial: Array<Uint8Array> = []
  private partialLength = 0
  private failure: { readonly error: unknown } | undefined
  private ended = false
  /** The event types read here, once the SDK has read the stream's first event. */
  private simpleTypes: ReadonlySet<string> | undefined

  constructor(source: AsyncIterable<Uint8Array>, unmarshal: (message: Message) => Promise<T | undefined>) {
    this.source = source[Symbol.asyncIterator]()
    this.unmarshal = unmarshal
  }

  async next(): Promise<IteratorResult<T>> {
    while (this.head === this.queue.length) {
      this.queue = []
      this.head = 0
      if (this.failure !== undefined) throw this.failure.error
      if (this.ended) return { done: true, value: undefined }
      const read = await this.source.next()
      if (read.done === true) {
        this.ended = true
        if (this.partial.length > 0) this.failure = { error: new Error("Truncated event message received.") }
        continue
      }
      try {
        await this.decode(read.value)
      } catch (error) {
        this.failure = { error }
      }
    }
    const value = this.queue[this.head]!
    this.queue[this.head++] = undefined as T
    return { done: false, value }
  }

  async return(): Promise<IteratorResult<T>> {
    this.ended = true
    this.queue = []
    this.head = 0
    await this.source.return?.()
    return { done: true, value: undefined }
  }

  /**
   * Decodes the complete frames of `chunk` (after the start of a frame that earlier chunks left) into the queue. The
   * pieces of a frame that spans chunks are joined once, when the last one arrives.
   */
  private async decode(chunk: Uint8Array): Promise<void> {
    let bytes = chunk
    if (this.partial.length > 0) {
      this.partial.push(chunk)
      this.partialLength += chunk.length
      // Its length is known once its first four bytes are in one piece.
      if (this.partial[0]!.length < 4) this.partial = [joined(this.partial, this.partialLength)]
      const first = this.partial[0]!
      if (first.length >= 4 && this.partialLength < frameLength(first, 0)) return
      bytes = joined(this.partial, this.partialLength)
      this.partial = []
      this.partialLength = 0
    }
    let offset = 0
    while (bytes.length - offset >= 4) {
      const length = frameLength(bytes, offset)
      if (length < minimumFrameLength) {
        throw new Error("Provided message too short to accommodate event stream message overhead")
      }
      if (bytes.length - offset < length) break
      const message = codec.decode(bytes.subarray(offset, offset + length))
      offset += length
      const event = this.simple(message)
      if (event !== undefined) {
        this.queue.push(event)
        continue
      }
      const unmarshalled = await this.unmarshal(message)
      if (unmarshalled === undefined) continue
      this.queue.push(unmarshalled)
      if (this.simpleTypes === undefined) {
        for (const member in unmarshalled) {
          this.simpleTypes = simpleTypesByMember[member]
          break
        }
      }
    }
    if (offset < bytes.length) {
      this.partial = [bytes.slice(offset)]
      this.partialLength = bytes.length - offset
    }
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
