/**
 * AWS event-stream frames (`application/vnd.amazon.eventstream`) as the passthrough handles them: a splitter that cuts
 * a byte stream into whole frames as the bytes arrive (each frame is forwarded as soon as it is whole, never the
 * stream collected), the reading of one frame's type and payload (to find the usage Bedrock reports), and the
 * encoding of an exception frame for a failure the gateway itself has to report inside a stream.
 *
 * @since 0.1.0
 */
import { EventStreamCodec } from "@smithy/eventstream-codec"
import { fromUtf8, toUtf8 } from "@smithy/util-utf8"

const codec = new EventStreamCodec(toUtf8, fromUtf8)

/** The prelude: total length (4 bytes), headers length (4), prelude CRC (4). */
const preludeLength = 12
/** A frame larger than this is not Bedrock's (its frames are a few KiB): the stream is corrupt. */
const maxFrameLength = 16 * 1024 * 1024

/**
 * The bytes were not event-stream frames.
 *
 * @since 0.1.0
 * @category errors
 */
export class FrameError extends Error {
  override readonly name = "FrameError"
}

/**
 * Cuts bytes into frames: `push` returns the frames completed by a chunk (their exact bytes), keeping the rest.
 *
 * @since 0.1.0
 * @category models
 */
export class Splitter {
  private buffered: Uint8Array = new Uint8Array(0)

  push(chunk: Uint8Array): Array<Uint8Array> {
    const data = this.buffered.length === 0 ? chunk : concat(this.buffered, chunk)
    const frames: Array<Uint8Array> = []
    let offset = 0
    while (data.length - offset >= preludeLength) {
      const view = new DataView(data.buffer, data.byteOffset + offset, preludeLength)
      const length = view.getUint32(0)
      if (length < preludeLength + 4 || length > maxFrameLength) {
        throw new FrameError(`an event-stream frame of ${length} bytes`)
      }
      if (data.length - offset < length) break
      frames.push(data.slice(offset, offset + length))
      offset += length
    }
    this.buffered = data.slice(offset)
    return frames
  }

  /** Bytes of an unfinished frame. */
  get pending(): number {
    return this.buffered.length
  }
}

const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}

/**
 * What a frame says: its message type (`event`, `exception`, `error`), its event or exception type, and its payload.
 *
 * @since 0.1.0
 * @category models
 */
export interface Frame {
  readonly messageType: string
  readonly type: string
  readonly payload: Uint8Array
}

const stringHeader = (headers: Record<string, { type: string; value: unknown }>, name: string): string => {
  const header = headers[name]
  return header !== undefined && header.type === "string" ? String(header.value) : ""
}

/**
 * Decodes one whole frame (checksums verified).
 *
 * @since 0.1.0
 * @category utils
 */
export const decode = (frame: Uint8Array): Frame => {
  const message = codec.decode(frame)
  const messageType = stringHeader(message.headers, ":message-type")
  return {
    messageType,
    type: stringHeader(message.headers, messageType === "exception" ? ":exception-type" : ":event-type"),
    payload: message.body
  }
}

/**
 * An exception frame, as Bedrock sends one inside a stream (`:exception-type` in the stream's member spelling, e.g.
 * `internalServerException`), with a `{"message"}` payload.
 *
 * @since 0.1.0
 * @category constructors
 */
export const exception = (exceptionType: string, message: string): Uint8Array =>
  codec.encode({
    headers: {
      ":message-type": { type: "string", value: "exception" },
      ":exception-type": { type: "string", value: exceptionType },
      ":content-type": { type: "string", value: "application/json" }
    },
    body: fromUtf8(JSON.stringify({ message }))
  })
