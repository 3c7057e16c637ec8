import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { converse, countTokens, type EngineResult, invoke } from "../../../src/emulator/engine/index.js"
import { gif1x1, images, jpeg1x1, mp4Header, png1x1, pngOf, webpLossless1x1 } from "../images.js"
import { error, ok } from "./helpers.js"

const CLAUDE = "anthropic.claude-3-haiku-20240307-v1:0"
const CLAUDE_COUNTS = "anthropic.claude-3-5-haiku-20241022-v1:0"
const NOVA = "amazon.nova-lite-v1:0"
const NOVA_MICRO = "amazon.nova-micro-v1:0"
const LLAMA = "meta.llama3-8b-instruct-v1:0"

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64")
const image = (bytes: Uint8Array, format = "png") => ({ image: { format, source: { bytes: b64(bytes) } } })
const document = (name: string, bytes: Uint8Array | string, format = "txt") => ({
  document: { format, name, source: typeof bytes === "string" ? { text: bytes } : { bytes: b64(bytes) } }
})
const video = (bytes: Uint8Array) => ({ video: { format: "mp4", source: { bytes: b64(bytes) } } })
const ask = (...blocks: ReadonlyArray<object>) => ({
  messages: [{ role: "user", content: [...blocks, { text: "What is this?" }] }]
})
const claudeImage = (bytes: Uint8Array, mediaType = "image/png") => ({
  type: "image",
  source: { type: "base64", media_type: mediaType, data: b64(bytes) }
})
const claudeAsk = (...blocks: ReadonlyArray<object>) => ({
  anthropic_version: "bedrock-2023-05-31",
  max_tokens: 100,
  messages: [{ role: "user", content: [...blocks, { type: "text", text: "What is this?" }] }]
})
const novaAsk = (...blocks: ReadonlyArray<object>) => ({ schemaVersion: "messages-v1", ...ask(...blocks) })

/** The message of a 400 ValidationException, the way every limit is answered. */
const rejected = (result: EngineResult<unknown>): string => {
  const e = error(result)
  expect(e.type).toBe("ValidationException")
  expect(e.status).toBe(400)
  return e.message
}

const MODEL = "The model returned the following errors: "

describe("images: the bytes must decode as the declared format", () => {
  it("real images of every format and variant are answered on Converse and natively", () => {
    for (const { format, bytes } of images) {
      for (const model of [CLAUDE, NOVA]) {
        const text = ok(converse(model, ask(image(bytes, format)))).body.output.message.content[0].text
        expect(text).toContain(`I received a ${format} image`)
      }
      ok(invoke(CLAUDE, claudeAsk(claudeImage(bytes, `image/${format}`))))
      ok(invoke(NOVA, novaAsk(image(bytes, format))))
    }
  })

  it("eight garbage bytes sent as a PNG: Claude could not process the image; other models say it does not match", () => {
    const garbage = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])
    expect(rejected(converse(CLAUDE, ask(image(garbage))))).toBe(`${MODEL}Could not process image`)
    expect(rejected(invoke(CLAUDE, claudeAsk(claudeImage(garbage))))).toBe(`${MODEL}Could not process image`)
    const mismatch = `${MODEL}The provided image does not match the specified image format.`
    expect(rejected(converse(NOVA, ask(image(garbage))))).toBe(mismatch)
    expect(rejected(invoke(NOVA, novaAsk(image(garbage))))).toBe(mismatch)
    expect(rejected(converse(NOVA, ask(image(jpeg1x1, "png"))))).toBe(mismatch)
    expect(rejected(countTokens(CLAUDE_COUNTS, { input: { converse: ask(image(garbage)) } }))).toBe(
      `${MODEL}Could not process image`
    )
  })

  it("an image of another format than declared: Claude names both media types and the block", () => {
    expect(rejected(converse(CLAUDE, ask(image(jpeg1x1, "png"))))).toBe(
      `${MODEL}messages.0.content.0.image.source: The image was specified using the image/png media type, but the image appears to be a image/jpeg image`
    )
    expect(rejected(invoke(CLAUDE, claudeAsk(claudeImage(gif1x1, "image/webp"))))).toBe(
      `${MODEL}messages.0.content.0.image.source.base64: The image was specified using the image/webp media type, but the image appears to be a image/gif image`
    )
  })

  it("a PNG whose header is broken (truncated, bad CRC) could not be processed", () => {
    expect(rejected(converse(CLAUDE, ask(image(png1x1.subarray(0, 20)))))).toBe(`${MODEL}Could not process image`)
    const badCrc = new Uint8Array(png1x1)
    badCrc[29] ^= 0xff
    expect(rejected(converse(CLAUDE, ask(image(badCrc))))).toBe(`${MODEL}Could not process image`)
  })

  it("native Claude bodies: a media type Claude does not take, and images inside tool results", () => {
    expect(rejected(invoke(CLAUDE, claudeAsk(claudeImage(png1x1, "image/bmp"))))).toBe(
      `${MODEL}messages.0.content.0.image.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'`
    )
    const withToolResult = {
      anthropic_version: "bedrock-2023-05-31",
      max_tokens: 100,
      tools: [{ name: "screenshot", input_schema: { type: "object" } }],
      messages: [
        { role: "user", content: "Take a screenshot." },
        { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "screenshot", input: {} }] },
        {
          role: "user",
          content: [{
            type: "tool_result",
            tool_use_id: "toolu_1",
            content: [{ type: "text", text: "here" }, claudeImage(jpeg1x1)]
          }]
        }
      ]
    }
    expect(rejected(invoke(CLAUDE, withToolResult))).toBe(
      `${MODEL}messages.2.content.0.tool_result.content.1.image.source.base64: The image was specified using the image/png media type, but the image appears to be a image/jpeg image`
    )
  })

  it("Converse tool results carry images that are checked and counted the same way", () => {
    const body = {
      toolConfig: { tools: [{ toolSpec: { name: "shot", inputSchema: { json: { type: "object" } } } }] },
      messages: [
        { role: "user", content: [{ text: "Take a screenshot." }] },
        { role: "assistant", content: [{ toolUse: { toolUseId: "t1", name: "shot", input: {} } }] },
        { role: "user", content: [{ toolResult: { toolUseId: "t1", content: [image(new Uint8Array(8))] } }] }
      ]
    }
    expect(rejected(converse(CLAUDE, body))).toBe(`${MODEL}Could not process image`)
  })
})

describe("images: size, dimensions and count", () => {
  it("3.75 MB is the most an image may be; Claude measures it as 5 MB of base64", () => {
    const largest = pngOf(1, 1, { length: 3_932_160 })
    ok(converse(CLAUDE, ask(image(largest))))
    ok(converse(NOVA, ask(image(largest))))
    const over = pngOf(1, 1, { length: 3_932_161 })
    expect(rejected(converse(CLAUDE, ask(image(over))))).toBe(
      `${MODEL}messages.0.content.0.image.source: image exceeds 5 MB maximum: 5242884 bytes > 5242880 bytes`
    )
    expect(rejected(invoke(CLAUDE, claudeAsk(claudeImage(over))))).toBe(
      `${MODEL}messages.0.content.0.image.source.base64: image exceeds 5 MB maximum: 5242884 bytes > 5242880 bytes`
    )
    expect(rejected(converse(NOVA, ask(image(over))))).toBe(
      "The maximum image size is 3.75 MB. Reduce the size of your image and retry your request."
    )
  })

  it("8000 px is the most an image may be wide or high", () => {
    ok(converse(CLAUDE, ask(image(pngOf(8000, 8000)))))
    for (const [w, h] of [[8001, 1], [1, 8001]] as const) {
      const tall = pngOf(w, h)
      expect(rejected(converse(CLAUDE, ask(image(tall))))).toBe(
        `${MODEL}messages.0.content.0.image.source: At least one of the image dimensions exceed max allowed size: 8000 pixels`
      )
      expect(rejected(invoke(CLAUDE, claudeAsk(claudeImage(tall))))).toBe(
        `${MODEL}messages.0.content.0.image.source.base64.data: At least one of the image dimensions exceed max allowed size: 8000 pixels`
      )
      expect(rejected(converse(NOVA, ask(image(tall))))).toBe(
        `The image at messages.0.content.0 is ${w}x${h} pixels. The height and width of an image must be no more than 8000 px. Resize the image and retry your request.`
      )
    }
  })

  it("20 images a request; Claude counts its documents with them", () => {
    const twenty = Array.from({ length: 20 }, () => image(webpLossless1x1, "webp"))
    ok(converse(CLAUDE, ask(...twenty)))
    ok(converse(NOVA, ask(...twenty)))
    ok(invoke(CLAUDE, claudeAsk(...Array.from({ length: 20 }, () => claudeImage(png1x1)))))
    const extra = image(png1x1)
    expect(rejected(converse(CLAUDE, ask(...twenty, extra)))).toBe(
      `${MODEL}too many images and documents: 21 + 0 > 20`
    )
    expect(rejected(converse(CLAUDE, ask(...twenty.slice(1), document("a", "x"), document("b", "y"))))).toBe(
      `${MODEL}too many images and documents: 19 + 2 > 20`
    )
    expect(rejected(invoke(CLAUDE, claudeAsk(...Array.from({ length: 21 }, () => claudeImage(png1x1)))))).toBe(
      `${MODEL}too many images and documents: 21 + 0 > 20`
    )
    expect(rejected(converse(NOVA, ask(...twenty, extra)))).toBe("You can't include more than 20 images in a request.")
    const acrossMessages = {
      messages: [
        { role: "user", content: [...twenty.slice(10), { text: "first" }] },
        { role: "assistant", content: [{ text: "ok" }] },
        { role: "user", content: [...twenty.slice(9), { text: "second" }] }
      ]
    }
    expect(rejected(converse(NOVA, acrossMessages))).toBe("You can't include more than 20 images in a request.")
  })
})

describe("documents: size, count and names", () => {
  it("five documents a request, each at most 4.5 MB", () => {
    const five = ["a", "b", "c", "d", "e"].map((name) => document(name, `text of ${name}`))
    ok(converse(CLAUDE, ask(...five)))
    expect(rejected(converse(NOVA, ask(...five, document("f", "six"))))).toBe(
      "You can't include more than 5 documents in a request."
    )
    ok(converse(NOVA, ask(document("big", new Uint8Array(4_718_592), "pdf"))))
    const tooBig = "The maximum document size is 4.5 MB. Reduce the size of your document and retry your request."
    expect(rejected(converse(NOVA, ask(document("big", new Uint8Array(4_718_593), "pdf"))))).toBe(tooBig)
    expect(rejected(converse(CLAUDE, ask(document("big", "x".repeat(4_718_593)))))).toBe(tooBig)
  })

  it("names are unique across the conversation and at most 200 characters", () => {
    const twice = {
      messages: [
        { role: "user", content: [document("report", "one"), { text: "Read this." }] },
        { role: "assistant", content: [{ text: "Done." }] },
        { role: "user", content: [document("report", "two"), { text: "And this." }] }
      ]
    }
    expect(rejected(converse(CLAUDE, twice))).toBe("Messages can't contain duplicate document names.")
    ok(converse(CLAUDE, ask(document("n".repeat(200), "x"))))
    expect(rejected(converse(CLAUDE, ask(document("n".repeat(201), "x"))))).toContain(
      "at 'messages.0.content.0.document.name' failed to satisfy constraint: Member must have length less than or equal to 200"
    )
  })

  it("a message with a document must have a text block too", () => {
    const documentOnly = { messages: [{ role: "user", content: [document("notes", "Some notes.")] }] }
    expect(rejected(converse(CLAUDE, documentOnly))).toBe("A text block must be included when using documents.")
    expect(rejected(countTokens(CLAUDE_COUNTS, { input: { converse: documentOnly } }))).toBe(
      "A text block must be included when using documents."
    )
  })
})

describe("video: Nova only, one a request, 25 MB of inline media", () => {
  it("Nova Lite takes one video; Claude and Nova Micro do not take video", () => {
    expect(ok(converse(NOVA, ask(video(mp4Header)))).body.output.message.content[0].text).toContain("mp4 video")
    ok(invoke(NOVA, novaAsk(video(mp4Header))))
    for (const model of [CLAUDE, NOVA_MICRO]) {
      expect(rejected(converse(model, ask(video(mp4Header))))).toBe(
        `The model ${model} doesn't support video input. Try again with a model that supports video, such as Amazon Nova Lite.`
      )
    }
    expect(rejected(converse(NOVA, ask(video(mp4Header), video(mp4Header))))).toBe(
      "You can't include more than 1 video in a request."
    )
  })

  it("images and video sent inline to Nova total at most 25 MB", () => {
    const big = new Uint8Array(26_214_400 - png1x1.length)
    big.set(mp4Header)
    ok(converse(NOVA, ask(video(big), image(png1x1))))
    const message = rejected(invoke(NOVA, novaAsk(video(big), image(png1x1), image(png1x1))))
    expect(message).toBe(
      `The images and videos in the request total ${
        26_214_400 + png1x1.length
      } bytes. Inline media can total at most 25 MB. Reduce the size of your media or send it from an Amazon S3 location, and retry your request.`
    )
  })
})

/** A text of exactly `n` tokens by the engine's tokenizer ("a a a ..."). */
const tokensOf = (n: number): string => "a" + " a".repeat(n - 1)

describe("the context window", () => {
  it("a prompt of exactly the window is answered, one token more is too long (3 tokens frame a message)", () => {
    const fits = ask()
    fits.messages[0]!.content = [{ text: tokensOf(200_000 - 3) }]
    expect(ok(countTokens(CLAUDE_COUNTS, { input: { converse: fits } })).inputTokens).toBe(200_000)
    expect(ok(converse(CLAUDE, fits)).body.usage.inputTokens).toBe(200_000)
    fits.messages[0]!.content = [{ text: tokensOf(200_000 - 2) }]
    expect(rejected(converse(CLAUDE, fits))).toBe(`${MODEL}Input is too long for requested model.`)
  })

  it("a 10 MiB prompt to a 200k-token model is refused, on every API and family", () => {
    const huge = "the quick brown fox jumps over the lazy dog ".repeat(240_000)
    const conversation = { messages: [{ role: "user", content: [{ text: huge }] }] }
    expect(rejected(converse(CLAUDE, conversation))).toBe(`${MODEL}Input is too long for requested model.`)
    expect(rejected(converse(NOVA_MICRO, conversation))).toBe("Input is too long for requested model.")
    const claude = {
      anthropic_version: "bedrock-2023-05-31",
      max_tokens: 10,
      messages: [{ role: "user", content: huge }]
    }
    expect(rejected(invoke(CLAUDE, claude))).toBe(`${MODEL}Input is too long for requested model.`)
    expect(rejected(invoke(NOVA, { schemaVersion: "messages-v1", ...conversation }))).toBe(
      "Input is too long for requested model."
    )
    expect(rejected(invoke(LLAMA, { prompt: huge }))).toBe("Input is too long for requested model.")
    expect(rejected(invoke("mistral.mistral-large-2407-v1:0", { messages: [{ role: "user", content: huge }] }))).toBe(
      "Input is too long for requested model."
    )
  })

  it("CountTokens counts it all and then refuses, with the count", () => {
    const text = tokensOf(250_000)
    expect(rejected(countTokens(CLAUDE_COUNTS, { input: { converse: ask({ text }) } }))).toBe(
      `prompt is too long: ${250_000 + 3 + 4} tokens > 200000 maximum`
    )
    const native = Buffer.from(JSON.stringify(claudeAsk({ type: "text", text }))).toString("base64")
    expect(rejected(countTokens(CLAUDE_COUNTS, { input: { invokeModel: { body: native } } }))).toMatch(
      /^prompt is too long: \d+ tokens > 200000 maximum$/
    )
  })

  it("tools and system prompts count toward the window", () => {
    const body = {
      system: [{ text: tokensOf(100_000) }],
      toolConfig: {
        tools: [{ toolSpec: { name: "t", description: tokensOf(100_000), inputSchema: { json: { type: "object" } } } }]
      },
      messages: [{ role: "user", content: [{ text: "hi" }] }]
    }
    expect(rejected(converse(CLAUDE, body))).toBe(`${MODEL}Input is too long for requested model.`)
  })
})

describe("fuzz: media blocks never crash the engine", () => {
  it("random bytes as any format, in any count, answer or are refused with a 400", () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 48 }),
      fc.constantFrom(...images.map((i) => i.bytes)),
      fc.tuple(fc.constantFrom(...images.map((i) => i.bytes)), fc.nat()).map(([b, n]) => b.subarray(0, n % b.length))
    )
    const block = fc.oneof(
      fc.tuple(bytes, fc.constantFrom("png", "jpeg", "gif", "webp")).map(([b, f]) => image(b, f)),
      fc.tuple(fc.string({ maxLength: 8 }), bytes).map(([name, b]) => document(name || "doc", b, "pdf")),
      bytes.map(video)
    )
    fc.assert(
      fc.property(fc.constantFrom(CLAUDE, NOVA, NOVA_MICRO), fc.array(block, { maxLength: 24 }), (model, blocks) => {
        for (const result of [converse(model, ask(...blocks)), invoke(model, novaAsk(...blocks))]) {
          expect(result.ok || result.error.status === 400).toBe(true)
        }
      }),
      { seed: 21, numRuns: 300 }
    )
  })
})
