/**
 * Real, tiny, valid media for tests that send images through the emulator (which reads their headers as Bedrock
 * decodes them), and a PNG builder for exact dimensions and sizes. The constants were made for this repository with
 * ImageMagick 6.9 and libwebp (`convert -size 1x1 xc:red -strip px.png`, and so on).
 */
import * as zlib from "node:zlib"

const fromBase64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "base64"))

/** A 1x1 red PNG (palette). */
export const png1x1 = fromBase64(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABAQMAAAAl21bKAAAAA1BMVEX/AAAZ4gk3AAAACklEQVQI12NgAAAAAgAB4iG8MwAAAABJRU5ErkJggg=="
)

/** A 1x1 grey baseline JPEG (SOF0). */
export const jpeg1x1 = fromBase64(
  "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAAAf/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AH//Z"
)

/** A 2x3 grey progressive JPEG (SOF2). */
export const jpegProgressive2x3 = fromBase64(
  "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/wgALCAADAAIBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAAAf/aAAgBAQAAAAE//8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABBQJ//8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQAGPwJ//8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPyF//9oACAEBAAAAEP8A/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxB//9k="
)

/** A 1x1 red GIF89a. */
export const gif1x1 = fromBase64("R0lGODlhAQABAPAAAP8AAAAAACH5BAAAAAAALAAAAAABAAEAAAICRAEAOw==")

/** A 1x1 red lossless WEBP (VP8L). */
export const webpLossless1x1 = fromBase64("UklGRhwAAABXRUJQVlA4TA8AAAAvAAAAAAcQ/Y/+ByKi/wEA")

/** A 1x1 red lossy WEBP (VP8). */
export const webpLossy1x1 = fromBase64(
  "UklGRjgAAABXRUJQVlA4ICwAAACQAQCdASoBAAEAAsBMJaACdLoAA5gA/u5DH+5sc4twV/9tD/9aH/60P+lAAA=="
)

/** A 3x2 half-transparent extended WEBP (VP8X with ALPH). */
export const webpExtended3x2 = fromBase64(
  "UklGRloAAABXRUJQVlA4WAoAAAAQAAAAAgAAAQAAQUxQSAcAAAAAgICAgICAAFZQOCAsAAAAkAEAnQEqAwACAAIANCWgAnS6AAOYAP75k2//kB//kB//kB//ID/iF3sgMAA="
)

/** Each format with a real image of it and its dimensions. */
export const images = [
  { format: "png", bytes: png1x1, width: 1, height: 1 },
  { format: "jpeg", bytes: jpeg1x1, width: 1, height: 1 },
  { format: "jpeg", bytes: jpegProgressive2x3, width: 2, height: 3 },
  { format: "gif", bytes: gif1x1, width: 1, height: 1 },
  { format: "webp", bytes: webpLossless1x1, width: 1, height: 1 },
  { format: "webp", bytes: webpLossy1x1, width: 1, height: 1 },
  { format: "webp", bytes: webpExtended3x2, width: 3, height: 2 }
] as const

/** The first bytes of an MP4 (an `ftyp` box): the emulator does not read video, only counts and sizes it. */
export const mp4Header = new Uint8Array([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70, 0x6d, 0x70, 0x34, 0x32])

const chunk = (type: string, data: Uint8Array): Buffer => {
  const body = Buffer.concat([Buffer.from(type, "latin1"), data])
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(zlib.crc32(body))
  return Buffer.concat([length, body, crc])
}

/**
 * A valid 1-bit greyscale PNG of the given dimensions (all black). With `length`, a `tEXt` chunk pads the file to
 * exactly that many bytes (a valid ancillary chunk, so decoders accept it).
 */
export const pngOf = (width: number, height: number, options?: { readonly length?: number }): Uint8Array => {
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header[8] = 1
  const rows = zlib.deflateSync(Buffer.alloc(height * (1 + Math.ceil(width / 8))))
  const parts = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", header)]
  const tail = [chunk("IDAT", rows), chunk("IEND", new Uint8Array(0))]
  const base = parts.concat(tail).reduce((n, b) => n + b.length, 0)
  if (options?.length !== undefined) {
    const padding = options.length - base - 12 - "Comment\0".length
    if (padding < 0) throw new Error(`a ${width}x${height} PNG needs at least ${base + 20} bytes`)
    parts.push(chunk("tEXt", Buffer.concat([Buffer.from("Comment\0", "latin1"), Buffer.alloc(padding, 0x78)])))
  }
  return new Uint8Array(Buffer.concat([...parts, ...tail]))
}
