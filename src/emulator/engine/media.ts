/**
 * What the bytes of an image are: the format their signature names and the dimensions their header gives. It
 * reads only headers (PNG signature and IHDR chunk with its CRC, JPEG SOI and the first SOFn segment, GIF header
 * and logical screen, WEBP RIFF header and its VP8 / VP8L / VP8X chunk), decodes no pixels and needs no image
 * library. It never throws: short, truncated or malformed bytes are `Unreadable` (the signature of a format, a
 * broken header) or `Unknown` (no known signature).
 *
 * @since 0.1.0
 */

/**
 * The image formats the Converse API accepts.
 *
 * @since 0.1.0
 * @category models
 */
export type ImageFormat = "png" | "jpeg" | "gif" | "webp"

/**
 * What a probe found in the bytes.
 *
 * @since 0.1.0
 * @category models
 */
export type ImageProbe =
  | { readonly _tag: "Image"; readonly format: ImageFormat; readonly width: number; readonly height: number }
  | { readonly _tag: "Unreadable"; readonly format: ImageFormat }
  | { readonly _tag: "Unknown" }

const byte = (b: Uint8Array, i: number): number => b[i] ?? 0
const u16be = (b: Uint8Array, i: number): number => (byte(b, i) << 8) | byte(b, i + 1)
const u16le = (b: Uint8Array, i: number): number => byte(b, i) | (byte(b, i + 1) << 8)
const u24le = (b: Uint8Array, i: number): number => byte(b, i) | (byte(b, i + 1) << 8) | (byte(b, i + 2) << 16)
const u32be = (b: Uint8Array, i: number): number =>
  ((byte(b, i) << 24) | (byte(b, i + 1) << 16) | u16be(b, i + 2)) >>> 0
const u32le = (b: Uint8Array, i: number): number => (u24le(b, i) | (byte(b, i + 3) << 24)) >>> 0

const startsWith = (b: Uint8Array, at: number, signature: ReadonlyArray<number>): boolean => {
  if (b.length < at + signature.length) return false
  for (let i = 0; i < signature.length; i++) if (b[at + i] !== signature[i]) return false
  return true
}

const ascii = (text: string): ReadonlyArray<number> => Array.from(text, (c) => c.charCodeAt(0))

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
const IHDR = ascii("IHDR")
const GIF87 = ascii("GIF87a")
const GIF89 = ascii("GIF89a")
const RIFF = ascii("RIFF")
const WEBP = ascii("WEBP")
const VP8 = ascii("VP8 ")
const VP8L = ascii("VP8L")
const VP8X = ascii("VP8X")
const VP8_START_CODE = [0x9d, 0x01, 0x2a]

const image = (format: ImageFormat, width: number, height: number): ImageProbe =>
  width > 0 && height > 0 ? { _tag: "Image", format, width, height } : { _tag: "Unreadable", format }

const CRC_TABLE: ReadonlyArray<number> = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

/** The CRC-32 (ISO 3309, as PNG chunks carry it) of `length` bytes from `start`. */
const crc32 = (b: Uint8Array, start: number, length: number): number => {
  let c = 0xffffffff
  for (let i = start; i < start + length; i++) c = CRC_TABLE[(c ^ byte(b, i)) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

/** Bit depths each PNG colour type allows (PNG specification, 11.2.2). */
const PNG_DEPTHS: Readonly<Record<number, ReadonlyArray<number>>> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16]
}

/** Signature, then IHDR as the first chunk: length 13, width, height, depth, colour type, methods, CRC. */
const probePng = (b: Uint8Array): ImageProbe => {
  const broken: ImageProbe = { _tag: "Unreadable", format: "png" }
  if (b.length < 33 || u32be(b, 8) !== 13 || !startsWith(b, 12, IHDR)) return broken
  if (crc32(b, 12, 17) !== u32be(b, 29)) return broken
  const depths = PNG_DEPTHS[byte(b, 25)]
  if (depths === undefined || !depths.includes(byte(b, 24))) return broken
  if (byte(b, 26) !== 0 || byte(b, 27) !== 0 || byte(b, 28) > 1) return broken
  const width = u32be(b, 16)
  const height = u32be(b, 20)
  return width > 0x7fffffff || height > 0x7fffffff ? broken : image("png", width, height)
}

/** Start-of-frame markers (SOF0..SOF15 without DHT, JPG and DAC), which carry the frame's size. */
const isStartOfFrame = (marker: number): boolean =>
  marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc

/** SOI, then marker segments up to the first SOFn; a scan or the end before one is a broken header. */
const probeJpeg = (b: Uint8Array): ImageProbe => {
  const broken: ImageProbe = { _tag: "Unreadable", format: "jpeg" }
  let i = 2
  while (i + 1 < b.length) {
    if (b[i] !== 0xff) return broken
    while (b[i + 1] === 0xff && i + 2 < b.length) i++
    const marker = byte(b, i + 1)
    i += 2
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) continue
    if (marker === 0xd9 || marker === 0xda || marker === 0x00) return broken
    const length = u16be(b, i)
    if (length < 2 || i + length > b.length) return broken
    if (isStartOfFrame(marker)) {
      return length < 8 || byte(b, i + 7) === 0 ? broken : image("jpeg", u16be(b, i + 5), u16be(b, i + 3))
    }
    i += length
  }
  return broken
}

/** `GIF87a` / `GIF89a`, then the logical screen descriptor (width, height, flags, background, aspect). */
const probeGif = (b: Uint8Array): ImageProbe =>
  b.length < 13 ? { _tag: "Unreadable", format: "gif" } : image("gif", u16le(b, 6), u16le(b, 8))

/** `RIFF` size `WEBP`, then the first chunk: a lossy key frame, a lossless bitstream or the extended header. */
const probeWebp = (b: Uint8Array): ImageProbe => {
  const broken: ImageProbe = { _tag: "Unreadable", format: "webp" }
  const data = 20
  if (startsWith(b, 12, VP8)) {
    if (b.length < data + 10 || (byte(b, data) & 1) !== 0 || !startsWith(b, data + 3, VP8_START_CODE)) return broken
    return image("webp", u16le(b, data + 6) & 0x3fff, u16le(b, data + 8) & 0x3fff)
  }
  if (startsWith(b, 12, VP8L)) {
    if (b.length < data + 5 || b[data] !== 0x2f) return broken
    const bits = u32le(b, data + 1)
    return bits >>> 29 !== 0 ? broken : image("webp", (bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1)
  }
  if (startsWith(b, 12, VP8X)) {
    return b.length < data + 10 ? broken : image("webp", u24le(b, data + 4) + 1, u24le(b, data + 7) + 1)
  }
  return broken
}

/**
 * Reads the format and dimensions of image bytes from their header.
 *
 * @since 0.1.0
 * @category utils
 */
export const probeImage = (bytes: Uint8Array): ImageProbe => {
  if (startsWith(bytes, 0, PNG_SIGNATURE)) return probePng(bytes)
  if (startsWith(bytes, 0, [0xff, 0xd8, 0xff])) return probeJpeg(bytes)
  if (startsWith(bytes, 0, GIF87) || startsWith(bytes, 0, GIF89)) return probeGif(bytes)
  if (startsWith(bytes, 0, RIFF) && startsWith(bytes, 8, WEBP)) return probeWebp(bytes)
  return { _tag: "Unknown" }
}
