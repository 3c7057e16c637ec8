/**
 * `application/vnd.amazon.eventstream` framing with `@smithy/eventstream-codec`, plus the real service's quirks
 * (sorted payload keys with a random `"p"` padding member) and deliberately broken frames for fault injection.
 */
import { EventStreamCodec } from "@smithy/eventstream-codec"
import { fromUtf8, toUtf8 } from "@smithy/util-utf8"

const codec = new EventStreamCodec(toUtf8, fromUtf8)

const paddingAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

/** A padding value as Bedrock sends it: a prefix of `a-zA-Z0-9` of random length. */
export const padding = (random: () => number = Math.random): string =>
  paddingAlphabet.slice(0, 1 + Math.floor(random() * (paddingAlphabet.length - 1)))

/** The payload with a `"p"` member added and its top-level keys sorted, as the service serialises them. */
export const padded = (payload: Record<string, unknown>, random?: () => number): Record<string, unknown> => {
  const withPadding: Record<string, unknown> = { ...payload, p: padding(random) }
  const sorted: Record<string, unknown> = {}
  for (const key of Object.keys(withPadding).sort()) sorted[key] = withPadding[key]
  return sorted
}

/** An `event` frame. */
export const eventFrame = (eventType: string, payload: unknown): Uint8Array =>
  codec.encode({
    headers: {
      ":event-type": { type: "string", value: eventType },
      ":content-type": { type: "string", value: "application/json" },
      ":message-type": { type: "string", value: "event" }
    },
    body: fromUtf8(JSON.stringify(payload))
  })

/** An `exception` frame, e.g. `throttlingException` with `{"message": ...}`. */
export const exceptionFrame = (exceptionType: string, payload: unknown): Uint8Array =>
  codec.encode({
    headers: {
      ":exception-type": { type: "string", value: exceptionType },
      ":content-type": { type: "string", value: "application/json" },
      ":message-type": { type: "string", value: "exception" }
    },
    body: fromUtf8(JSON.stringify(payload))
  })

/** The same frame with its message CRC corrupted. */
export const corruptCrc = (frame: Uint8Array): Uint8Array => {
  const copy = Uint8Array.from(frame)
  copy[copy.length - 1] = copy[copy.length - 1]! ^ 0xff
  return copy
}

/** The first half of a frame: a prelude that announces more bytes than will arrive. */
export const truncate = (frame: Uint8Array): Uint8Array => frame.subarray(0, Math.max(1, Math.floor(frame.length / 2)))

/** Splits a recorded event-stream body into its frames (by the total length in each prelude), bytes untouched. */
export const splitFrames = (bytes: Uint8Array): ReadonlyArray<Uint8Array> => {
  const frames: Array<Uint8Array> = []
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let offset = 0
  while (offset + 4 <= bytes.length) {
    const length = view.getUint32(offset)
    if (length < 16 || offset + length > bytes.length) break
    frames.push(bytes.subarray(offset, offset + length))
    offset += length
  }
  if (offset < bytes.length) frames.push(bytes.subarray(offset))
  return frames
}

/** Decodes one frame (for tests and tools): headers as plain strings and the JSON payload. */
export const decodeFrame = (
  frame: Uint8Array
): { readonly headers: Record<string, unknown>; readonly payload: unknown } => {
  const message = codec.decode(frame)
  const headers: Record<string, unknown> = {}
  for (const [name, header] of Object.entries(message.headers)) headers[name] = header.value
  return { headers, payload: JSON.parse(toUtf8(message.body)) }
}
