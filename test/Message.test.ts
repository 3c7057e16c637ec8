import { FileSystem } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { SystemError } from "@effect/platform/Error"
import { assert, describe, it } from "@effect/vitest"
import { Arbitrary, Effect, Either, FastCheck, Option, Schema } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Message from "../src/Message.js"
import { everyBlock, jpeg, png, webp } from "./support/blocks.js"

const bytes = (...values: Array<number>) => new Uint8Array(values)

const gif = new TextEncoder().encode("GIF89a......")

describe("Message constructors", () => {
  it("user and assistant take a string, a block or a list", () => {
    assert.deepStrictEqual(Message.user("hi"), { role: "user", content: [{ _tag: "Text", text: "hi" }] })
    assert.deepStrictEqual(Message.assistant(Message.text("ok")), {
      role: "assistant",
      content: [{ _tag: "Text", text: "ok" }]
    })
    const image = Message.image(png, "png")
    assert.deepStrictEqual(Message.user([image, "what is this?"]).content, [
      image,
      { _tag: "Text", text: "what is this?" }
    ])
  })

  it("media, documents, tool results, cache points and system prompts", () => {
    assert.deepStrictEqual(Message.image({ uri: "s3://b/k.png" }, "png").source, {
      _tag: "S3Location",
      uri: "s3://b/k.png"
    })
    assert.deepStrictEqual(Message.document("hello", { name: "n" }), {
      _tag: "Document",
      name: "n",
      format: "txt",
      source: { _tag: "Text", text: "hello" }
    })
    assert.deepStrictEqual(Message.toolResult("id", "done"), {
      _tag: "ToolResult",
      toolUseId: "id",
      content: [{ _tag: "Text", text: "done" }]
    })
    assert.deepStrictEqual(Message.toolResult("id", Message.json([1, 2]), { status: "success" }).content, [
      { _tag: "Json", json: [1, 2] }
    ])
    assert.deepStrictEqual(Message.cachePoint(), { _tag: "CachePoint", type: "default" })
    assert.deepStrictEqual(Message.cachePoint("5m"), { _tag: "CachePoint", type: "default", ttl: "5m" })
    assert.deepStrictEqual(Message.system("Be terse."), [{ _tag: "Text", text: "Be terse." }])
    assert.deepStrictEqual(Message.system(["Be terse.", Message.cachePoint()]), [
      { _tag: "Text", text: "Be terse." },
      { _tag: "CachePoint", type: "default" }
    ])
  })

  it("every constructed block is valid for the schema", () => {
    const decoded = Schema.decodeUnknownEither(Message.Message)(Schema.encodeSync(Message.Message)(Message.user("x")))
    assert.isTrue(Either.isRight(decoded))
    for (const block of everyBlock) {
      assert.isTrue(Schema.is(Message.ContentBlock)(block), `invalid block ${block._tag}`)
    }
  })

  it("textOf and toolUses read a message", () => {
    const message = Message.assistant([
      "a",
      Message.toolUse("t", "n", {}),
      { _tag: "CitationsContent", content: [Message.text("b")], citations: [] }
    ])
    assert.strictEqual(Message.textOf(message), "ab")
    assert.deepStrictEqual(Message.toolUses(message).map((u) => u.toolUseId), ["t"])
  })
})

/** The value without keys set to `undefined` (`x?: T | undefined` allows them; JSON cannot hold them). */
const withoutUndefined = (u: unknown): unknown =>
  Array.isArray(u)
    ? u.map(withoutUndefined)
    : typeof u === "object" && u !== null && !(u instanceof Uint8Array)
    ? Object.fromEntries(Object.entries(u).filter(([, v]) => v !== undefined).map(([k, v]) => [k, withoutUndefined(v)]))
    : u

describe("Message JSON", () => {
  it("round-trips every block; bytes are base64 in JSON", () => {
    const message = Message.user(everyBlock as [Message.ContentBlock, ...Array<Message.ContentBlock>])
    const json = Schema.encodeSync(Message.MessageFromJson)(message)
    assert.include(json, `"bytes":"${Buffer.from(png).toString("base64")}"`)
    assert.include(json, `"data":"CQgH"`)
    assert.deepStrictEqual(Schema.decodeSync(Message.MessageFromJson)(json), message)
    const conversation = [message, Message.assistant("ok")]
    assert.deepStrictEqual(
      Schema.decodeSync(Message.MessagesFromJson)(Schema.encodeSync(Message.MessagesFromJson)(conversation)),
      conversation
    )
  })

  it("a cache point without type decodes with the default", () => {
    const decoded = Schema.decodeUnknownSync(Message.ContentBlock)({ _tag: "CachePoint" })
    assert.deepStrictEqual(decoded, { _tag: "CachePoint", type: "default" })
  })

  it("rejects unknown formats and roles", () => {
    assert.isTrue(Either.isLeft(Schema.decodeUnknownEither(Message.Message)({ role: "system", content: [] })))
    assert.isTrue(
      Either.isLeft(
        Schema.decodeUnknownEither(Message.ContentBlock)({
          _tag: "Image",
          format: "bmp",
          source: { _tag: "Bytes", bytes: "AA==" }
        })
      )
    )
  })

  it("property: the JSON round trip is the identity for arbitrary messages", () => {
    const arbitrary = Arbitrary.make(Message.Message)
    const encode = Schema.encodeSync(Message.MessageFromJson)
    const decode = Schema.decodeSync(Message.MessageFromJson)
    FastCheck.assert(
      FastCheck.property(arbitrary, (message) => {
        assert.deepStrictEqual(decode(encode(message)), withoutUndefined(message))
      }),
      { seed: 20250101, numRuns: 150 }
    )
  })
})

describe("Message files", () => {
  const files = (contents: Record<string, Uint8Array>) =>
    FileSystem.layerNoop({
      readFile: (file) =>
        file in contents
          ? Effect.succeed(contents[file]!)
          : Effect.fail(
            new SystemError({ reason: "NotFound", module: "FileSystem", method: "readFile", pathOrDescriptor: file })
          )
    })

  it("detectImageFormat uses magic bytes first, then the extension", () => {
    assert.deepStrictEqual(Message.detectImageFormat(png), Option.some("png"))
    assert.deepStrictEqual(Message.detectImageFormat(jpeg, "photo.png"), Option.some("jpeg"))
    assert.deepStrictEqual(Message.detectImageFormat(gif), Option.some("gif"))
    assert.deepStrictEqual(Message.detectImageFormat(webp), Option.some("webp"))
    assert.deepStrictEqual(Message.detectImageFormat(bytes(1, 2), "/a/b/PHOTO.JPG"), Option.some("jpeg"))
    assert.deepStrictEqual(Message.detectImageFormat(bytes(0x42, 0x4d), "x.bmp"), Option.none())
  })

  it.effect("imageFromFile infers the format and fails with a typed error when unsupported", () =>
    Effect.gen(function*() {
      const image = yield* Message.imageFromFile("/img/cat.bin")
      assert.deepStrictEqual(image, { _tag: "Image", format: "webp", source: { _tag: "Bytes", bytes: webp } })
      const byExtension = yield* Message.imageFromFile("/img/dog.gif")
      assert.strictEqual(byExtension.format, "gif")
      const unsupported = yield* Effect.flip(Message.imageFromFile("/img/old.bmp"))
      assert.strictEqual(unsupported._tag, "UnsupportedMediaFormat")
      if (unsupported._tag === "UnsupportedMediaFormat") {
        assert.strictEqual(unsupported.path, "/img/old.bmp")
        assert.strictEqual(unsupported.kind, "image")
        assert.include(unsupported.message, "png, jpeg, gif and webp")
        assert.isFalse(unsupported.retryable)
      }
      const missing = yield* Effect.flip(Message.imageFromFile("/img/missing.png"))
      assert.strictEqual(missing._tag, "SystemError")
    }).pipe(
      Effect.provide(files({
        "/img/cat.bin": webp,
        "/img/dog.gif": bytes(0, 1, 2),
        "/img/old.bmp": bytes(0x42, 0x4d, 0, 0)
      }))
    ))

  it.effect("documentFromFile takes the format from the extension and a clean name", () =>
    Effect.gen(function*() {
      const document = yield* Message.documentFromFile("/docs/Q3_report.v2.pdf")
      assert.deepStrictEqual(document, {
        _tag: "Document",
        name: "Q3 report v2",
        format: "pdf",
        source: { _tag: "Bytes", bytes: bytes(0x25, 0x50) }
      })
      const unsupported = yield* Effect.flip(Message.documentFromFile("/docs/slides.pptx"))
      assert.strictEqual(unsupported._tag, "UnsupportedMediaFormat")
    }).pipe(Effect.provide(files({ "/docs/Q3_report.v2.pdf": bytes(0x25, 0x50) }))))

  it.scoped("imageFromFile reads a real file through NodeFileSystem", () =>
    Effect.gen(function*() {
      const dir = yield* Effect.acquireRelease(
        Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "bedrock-llm-message-"))),
        (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
      )
      const file = path.join(dir, "pixel.png")
      fs.writeFileSync(file, png)
      const image = yield* Message.imageFromFile(file)
      assert.strictEqual(image.format, "png")
      assert.deepStrictEqual(image.source, { _tag: "Bytes", bytes: png })
    }).pipe(Effect.provide(NodeFileSystem.layer)))
})
