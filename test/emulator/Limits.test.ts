/**
 * Bedrock's limits, end to end: the library's `BedrockClient` (and so the real AWS SDK) against the emulator on
 * loopback. Each limit must reach the caller as the `ValidationError` the library maps Bedrock's 400
 * ValidationException to, with Bedrock's message; the raw SDK sees the `ValidationException` class and status 400 on
 * every operation, over HTTP/2 and HTTP/1.1.
 */
import {
  ConverseCommand,
  ConverseStreamCommand,
  CountTokensCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ValidationException
} from "@aws-sdk/client-bedrock-runtime"
import { assert, layer } from "@effect/vitest"
import { Effect, Stream } from "effect"
import * as BedrockClient from "../../src/BedrockClient.js"
import * as BedrockError from "../../src/BedrockError.js"
import * as BedrockRuntime from "../../src/BedrockRuntime.js"
import { Emulator } from "../../src/emulator/Emulator.js"
import * as Message from "../../src/Message.js"
import * as Response from "../../src/Response.js"
import { liveLayer } from "../support/live.js"
import { protocols, sdkClient } from "./helpers.js"
import { jpeg1x1, mp4Header, png1x1, pngOf, webpLossless1x1 } from "./images.js"

const claude = "anthropic.claude-3-haiku-20240307-v1:0"
const claudeCounts = "anthropic.claude-3-5-haiku-20241022-v1:0"
const nova = "amazon.nova-lite-v1:0"
const MODEL = "The model returned the following errors: "
const TOO_LONG = "Input is too long for requested model."

/** About 2.5 million tokens (10 MiB) of prose, for 200k-token models. */
const tenMiB = "the quick brown fox jumps over the lazy dog ".repeat(238_000)
const garbage = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])

const ask = (...blocks: ReadonlyArray<Message.ContentBlock>): Array<Message.Message> => [
  { role: "user", content: [...blocks, Message.text("What is this?")] }
]

/** The failure of one call, which must be the library's ValidationError (400, not retryable) with this message. */
const refusedWith = (effect: Effect.Effect<unknown, unknown>, message: string) =>
  Effect.gen(function*() {
    const error = yield* Effect.flip(effect)
    assert.instanceOf(error, BedrockError.ValidationError)
    assert.strictEqual(error.message, message)
    assert.strictEqual(error.status, 400)
    assert.isFalse(error.retryable)
  })

layer(liveLayer(), { excludeTestServices: true })("Bedrock's limits through BedrockClient", (it) => {
  it.effect("a 10 MiB prompt is refused by Converse, ConverseStream, InvokeModel and its stream, and CountTokens", () =>
    Effect.gen(function*() {
      const client = yield* BedrockClient.BedrockClient
      const request = { messages: [Message.user(tenMiB)], model: { modelId: claude } }
      yield* refusedWith(client.generate(request), MODEL + TOO_LONG)
      yield* refusedWith(Stream.runDrain(client.stream(request)), MODEL + TOO_LONG)
      yield* refusedWith(client.generate({ ...request, api: "invoke" }), MODEL + TOO_LONG)
      yield* refusedWith(Stream.runDrain(client.stream({ ...request, api: "invoke" })), MODEL + TOO_LONG)
      yield* refusedWith(client.generate({ ...request, model: { modelId: nova } }), TOO_LONG)
      const runtime = yield* BedrockRuntime.BedrockRuntime
      const counted = runtime.countTokens({
        modelId: claudeCounts,
        input: { converse: { messages: [{ role: "user", content: [{ text: tenMiB }] }] } }
      })
      const error = yield* Effect.flip(counted)
      assert.strictEqual(error._tag, "ValidationError")
      assert.match(error.message, /^prompt is too long: \d+ tokens > 200000 maximum$/)
    }))

  it.effect("image bytes must decode as the declared format", () =>
    Effect.gen(function*() {
      const client = yield* BedrockClient.BedrockClient
      const answer = yield* client.generate({ messages: ask(Message.image(png1x1, "png")), model: { modelId: claude } })
      assert.include(Response.text(answer), "I received a png image")
      const garbagePng = ask(Message.image(garbage, "png"))
      yield* refusedWith(client.generate({ messages: garbagePng }), `${MODEL}Could not process image`)
      yield* refusedWith(client.generate({ messages: garbagePng, api: "invoke" }), `${MODEL}Could not process image`)
      yield* refusedWith(
        client.generate({ messages: garbagePng, model: { modelId: nova } }),
        `${MODEL}The provided image does not match the specified image format.`
      )
      yield* refusedWith(
        client.generate({ messages: ask(Message.image(jpeg1x1, "png")) }),
        `${MODEL}messages.0.content.0.image.source: The image was specified using the image/png media type, but the image appears to be a image/jpeg image`
      )
      yield* refusedWith(
        client.generate({ messages: ask(Message.image(jpeg1x1, "webp")), api: "invoke" }),
        `${MODEL}messages.0.content.0.image.source.base64: The image was specified using the image/webp media type, but the image appears to be a image/jpeg image`
      )
    }))

  it.effect("an image is at most 3.75 MB and 8000 px a side; a request has at most 20", () =>
    Effect.gen(function*() {
      const client = yield* BedrockClient.BedrockClient
      const large = Message.image(pngOf(1, 1, { length: 3_932_161 }), "png")
      yield* refusedWith(
        client.generate({ messages: ask(large) }),
        `${MODEL}messages.0.content.0.image.source: image exceeds 5 MB maximum: 5242884 bytes > 5242880 bytes`
      )
      yield* refusedWith(
        client.generate({ messages: ask(large), model: { modelId: nova } }),
        "The maximum image size is 3.75 MB. Reduce the size of your image and retry your request."
      )
      const wide = Message.image(pngOf(8001, 2), "png")
      yield* refusedWith(
        client.generate({ messages: ask(wide) }),
        `${MODEL}messages.0.content.0.image.source: At least one of the image dimensions exceed max allowed size: 8000 pixels`
      )
      yield* refusedWith(
        client.generate({ messages: ask(wide), model: { modelId: nova } }),
        "The image at messages.0.content.0 is 8001x2 pixels. The height and width of an image must be no more than 8000 px. Resize the image and retry your request."
      )
      const many = Array.from({ length: 21 }, () => Message.image(webpLossless1x1, "webp"))
      yield* refusedWith(
        client.generate({ messages: ask(...many) }),
        `${MODEL}too many images and documents: 21 + 0 > 20`
      )
      yield* refusedWith(
        client.generate({ messages: ask(...many), model: { modelId: nova } }),
        "You can't include more than 20 images in a request."
      )
      yield* client.generate({ messages: ask(...many.slice(1)) })
    }))

  it.effect("documents: at most 5 of at most 4.5 MB each, with distinct names, beside a text block", () =>
    Effect.gen(function*() {
      const client = yield* BedrockClient.BedrockClient
      const six = ["a", "b", "c", "d", "e", "f"].map((name) => Message.document(`notes ${name}`, { name }))
      yield* client.generate({ messages: ask(...six.slice(1)) })
      yield* refusedWith(
        client.generate({ messages: ask(...six) }),
        "You can't include more than 5 documents in a request."
      )
      yield* refusedWith(
        client.generate({
          messages: ask(Message.document(new Uint8Array(4_718_593), { name: "scan", format: "pdf" }))
        }),
        "The maximum document size is 4.5 MB. Reduce the size of your document and retry your request."
      )
      yield* refusedWith(
        client.generate({
          messages: ask(Message.document("one", { name: "report" }), Message.document("two", { name: "report" }))
        }),
        "Messages can't contain duplicate document names."
      )
      yield* refusedWith(
        client.generate({ messages: [Message.user([Message.document("Some notes.", { name: "notes" })])] }),
        "A text block must be included when using documents."
      )
    }))

  it.effect("video: Nova takes one; other models none", () =>
    Effect.gen(function*() {
      const client = yield* BedrockClient.BedrockClient
      const clip = Message.video(mp4Header, "mp4")
      const answer = yield* client.generate({ messages: ask(clip), model: { modelId: nova } })
      assert.include(Response.text(answer), "I received a mp4 video")
      yield* refusedWith(
        client.generate({ messages: ask(clip, clip), model: { modelId: nova } }),
        "You can't include more than 1 video in a request."
      )
      yield* refusedWith(
        client.generate({ messages: ask(clip) }),
        `The model ${claude} doesn't support video input. Try again with a model that supports video, such as Amazon Nova Lite.`
      )
    }))
})

layer(liveLayer({ emulator: { maxBodyBytes: 48 * 1024 * 1024 } }), { excludeTestServices: true })(
  "Nova's inline media limit through BedrockClient",
  (it) => {
    it.effect("images and videos sent inline to Nova total at most 25 MB", () =>
      Effect.gen(function*() {
        const client = yield* BedrockClient.BedrockClient
        const clip = new Uint8Array(26_214_400)
        clip.set(mp4Header)
        yield* refusedWith(
          client.generate({
            messages: ask(Message.video(clip, "mp4"), Message.image(png1x1, "png")),
            model: { modelId: nova }
          }),
          `The images and videos in the request total ${
            26_214_400 + png1x1.length
          } bytes. Inline media can total at most 25 MB. Reduce the size of your media or send it from an Amazon S3 location, and retry your request.`
        )
      }))
  }
)

const garbageImage = [{
  role: "user" as const,
  content: [{ image: { format: "png" as const, source: { bytes: garbage } } }, { text: "What is this?" }]
}]
const claudeBody = (content: unknown) =>
  JSON.stringify({ anthropic_version: "bedrock-2023-05-31", max_tokens: 64, messages: [{ role: "user", content }] })

for (const protocol of protocols) {
  layer(Emulator.layer(), { excludeTestServices: true })(
    `the raw SDK sees ValidationException over ${protocol}`,
    (it) => {
      it.scoped("on Converse, ConverseStream, InvokeModel, InvokeModelWithResponseStream and CountTokens", () =>
        Effect.gen(function*() {
          const emulator = yield* Emulator
          const client = yield* sdkClient(emulator, protocol)
          const refused = (send: () => Promise<unknown>, message: string) =>
            Effect.gen(function*() {
              const error = yield* Effect.flip(Effect.tryPromise({ try: send, catch: (e) => e }))
              assert.instanceOf(error, ValidationException)
              assert.strictEqual((error as ValidationException).$metadata.httpStatusCode, 400)
              assert.strictEqual((error as ValidationException).message, message)
            })
          yield* refused(
            () => client.send(new ConverseCommand({ modelId: claude, messages: garbageImage })),
            `${MODEL}Could not process image`
          )
          yield* refused(
            () => client.send(new ConverseStreamCommand({ modelId: nova, messages: garbageImage })),
            `${MODEL}The provided image does not match the specified image format.`
          )
          yield* refused(
            () =>
              client.send(
                new InvokeModelCommand({
                  modelId: claude,
                  contentType: "application/json",
                  body: claudeBody([{
                    type: "image",
                    source: { type: "base64", media_type: "image/png", data: "AQIDBAUGBwg=" }
                  }])
                })
              ),
            `${MODEL}Could not process image`
          )
          yield* refused(
            () =>
              client.send(
                new InvokeModelWithResponseStreamCommand({
                  modelId: claude,
                  contentType: "application/json",
                  body: claudeBody(tenMiB)
                })
              ),
            MODEL + TOO_LONG
          )
          yield* refused(
            () =>
              client.send(
                new CountTokensCommand({
                  modelId: claudeCounts,
                  input: { converse: { messages: [{ role: "user", content: [{ text: "a" + " a".repeat(200_000) }] }] } }
                })
              ),
            "prompt is too long: 200004 tokens > 200000 maximum"
          )
        }))
    }
  )
}
