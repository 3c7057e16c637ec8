import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { type ImageProbe, probeImage } from "../../../src/emulator/engine/media.js"
import { gif1x1, images, jpeg1x1, png1x1, pngOf, webpLossless1x1 } from "../images.js"

const withByte = (bytes: Uint8Array, at: number, value: number): Uint8Array => {
  const copy = new Uint8Array(bytes)
  copy[at] = value
  return copy
}

/** Where the header the probe reads ends: past it, the pixels are not read, so a truncation there is not seen. */
const headerEnd = (format: string, bytes: Uint8Array): number => {
  if (format === "png") return 33
  if (format === "gif") return 13
  if (format === "webp") return bytes[15] === 0x4c ? 25 : 30
  const frame = bytes.findIndex((b, i) => b === 0xff && (bytes[i + 1] === 0xc0 || bytes[i + 1] === 0xc2))
  return frame + 2 + ((bytes[frame + 2]! << 8) | bytes[frame + 3]!)
}

const wellFormed = (probe: ImageProbe): boolean =>
  probe._tag === "Unknown" ||
  (["png", "jpeg", "gif", "webp"].includes(probe.format) &&
    (probe._tag === "Unreadable" ||
      (Number.isInteger(probe.width) && Number.isInteger(probe.height) && probe.width > 0 && probe.height > 0)))

describe("probeImage", () => {
  it("reads the format and dimensions of real images of every format and variant", () => {
    for (const { format, bytes, width, height } of images) {
      expect(probeImage(bytes)).toEqual({ _tag: "Image", format, width, height })
    }
    expect(probeImage(pngOf(8001, 3))).toEqual({ _tag: "Image", format: "png", width: 8001, height: 3 })
    expect(probeImage(pngOf(2, 5, { length: 5000 }))).toEqual({ _tag: "Image", format: "png", width: 2, height: 5 })
    expect(pngOf(2, 5, { length: 5000 }).length).toBe(5000)
  })

  it("eight garbage bytes, text and an empty buffer are no image", () => {
    for (
      const bytes of [
        new Uint8Array(8),
        new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]),
        Buffer.from("hello"),
        new Uint8Array()
      ]
    ) {
      expect(probeImage(bytes)).toEqual({ _tag: "Unknown" })
    }
  })

  it("a signature with a broken header is unreadable: every truncation, a bad CRC, a bad IHDR, a zero size", () => {
    for (const { format, bytes } of images) {
      for (let n = 1; n < headerEnd(format, bytes); n++) {
        const probe = probeImage(bytes.subarray(0, n))
        expect(probe._tag === "Unknown" || (probe._tag === "Unreadable" && probe.format === format)).toBe(true)
      }
      expect(probeImage(bytes.subarray(0, headerEnd(format, bytes)))._tag).toBe("Image")
    }
    expect(probeImage(withByte(png1x1, 30, png1x1[30]! ^ 1))).toEqual({ _tag: "Unreadable", format: "png" })
    expect(probeImage(pngOf(0, 4))).toEqual({ _tag: "Unreadable", format: "png" })
    expect(probeImage(withByte(gif1x1, 6, 0))).toEqual({ _tag: "Unreadable", format: "gif" })
    expect(probeImage(withByte(webpLossless1x1, 20, 0))).toEqual({ _tag: "Unreadable", format: "webp" })
    const scanFirst = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xda, 0, 2]), Buffer.alloc(10)])
    expect(probeImage(scanFirst)).toEqual({ _tag: "Unreadable", format: "jpeg" })
  })

  it("a JPEG's size comes from its frame header, after any other segments", () => {
    const frame = jpeg1x1.indexOf(0xc0, 2)
    const sized = withByte(withByte(jpeg1x1, frame + 5, 0x1f), frame + 6, 0x40)
    expect(probeImage(sized)).toEqual({ _tag: "Image", format: "jpeg", width: 0x4001, height: 0x1f })
  })

  it("fuzz: random bytes, random bytes after each signature and mutated images never throw", () => {
    const signatures = images.map((i) => i.bytes.subarray(0, 16))
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.tuple(fc.constantFrom(...signatures), fc.uint8Array({ maxLength: 48 }))
        .map(([head, rest]) => new Uint8Array([...head, ...rest])),
      fc.tuple(fc.constantFrom(...images.map((i) => i.bytes)), fc.nat(), fc.integer({ min: 0, max: 255 }))
        .map(([bytes, at, value]) => withByte(bytes, at % bytes.length, value)),
      fc.tuple(fc.constantFrom(...images.map((i) => i.bytes)), fc.nat())
        .map(([bytes, n]) => bytes.subarray(0, n % (bytes.length + 1)))
    )
    fc.assert(fc.property(input, (bytes) => wellFormed(probeImage(bytes))), { seed: 13, numRuns: 3000 })
  })
})
