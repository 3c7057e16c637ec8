import { assert, layer } from "@effect/vitest"
import * as Emulator from "bedrock-llm/emulator"
import * as Effect from "effect/Effect"
import { vi } from "vitest"
import { startRecorder } from "../support/recorder.js"
import { call, startService } from "../support/service.js"
import * as Browser from "./browser.js"

const model = "anthropic.claude-3-haiku-20240307-v1:0"
const answer =
  "Streaming starts with this sentence, goes on for a while, word after word, and ends with the word omega."

/** A slow stream (the emulator paces deltas) with a fixed usage, so that the cost is not zero. */
const slowEmulator: Emulator.Options = {
  tokensPerSecond: 12,
  scenario: { turns: [{ text: answer, usage: { inputTokens: 1200, outputTokens: 80 } }] }
}

const promise = <A>(run: () => Promise<A>) => Effect.promise(run)

// A 1x1 PNG.
const png = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64"
)

layer(Browser.layer)("the playground's chat in Chromium", (it) => {
  it.scoped("text streams in before the stream ends; the usage and cost shown are the server's record", () =>
    Effect.gen(function*() {
      const service = yield* startService({ emulator: slowEmulator, clock: Browser.liveClock })
      const key = yield* service.createKey()
      const page = yield* Browser.playground(service.url, key.secret)
      yield* promise(() => page.getByLabel("Model").selectOption(model))
      const message = page.getByLabel(/^Message/)
      yield* promise(async () => {
        await message.fill("line one")
        await message.press("Shift+Enter")
        await message.pressSequentially("line two")
      })
      assert.strictEqual(yield* promise(() => message.inputValue()), "line one\nline two")
      assert.strictEqual(service.bedrockRequests(), 0, "Shift+Enter adds a line, it does not send")
      yield* promise(() => message.press("Enter"))

      const reply = page.locator("article.answer").last()
      yield* promise(() => reply.getByTestId("answer").getByText(/^Streaming starts/).waitFor())
      const partial = yield* promise(() => reply.getByTestId("answer").innerText())
      assert.notInclude(partial, "omega", "the first words are shown while the rest is still coming")
      assert.strictEqual(yield* promise(() => reply.getAttribute("data-done")), "false")
      assert.strictEqual(service.emulator.stats().activeStreams, 1, "Bedrock's stream is still open")
      yield* Browser.screenshot(page, "playground-streaming")

      yield* promise(() => page.locator("article.answer[data-done=true]").waitFor())
      assert.strictEqual(yield* promise(() => reply.getByTestId("answer").innerText()), answer)
      const usage = yield* call(`${service.url}/admin/usage?keyId=${key.record.id}`, { token: service.adminKey })
      const { totals } = usage.body
      assert.strictEqual(totals.requests, 1)
      const shown = reply.getByTestId("usage")
      assert.strictEqual(
        Number(yield* promise(() => shown.locator("[data-input]").getAttribute("data-input"))),
        totals.inputTokens
      )
      assert.strictEqual(
        Number(yield* promise(() => shown.locator("[data-output]").getAttribute("data-output"))),
        totals.outputTokens
      )
      assert.isAbove(totals.costUsd, 0)
      assert.include(yield* promise(() => shown.innerText()), `$${totals.costUsd.toFixed(6)}`)
      assert.include(yield* promise(() => page.getByTestId("totals").innerText()), `$${totals.costUsd.toFixed(6)}`)
      yield* Browser.screenshot(page, "playground-chat")

      yield* promise(() => page.emulateMedia({ colorScheme: "dark" }))
      yield* Browser.screenshot(page, "playground-chat-dark")
    }))

  it.scoped("the stop button aborts the stream, and the emulator sees the abort", () =>
    Effect.gen(function*() {
      const service = yield* startService({ emulator: slowEmulator, clock: Browser.liveClock })
      const key = yield* service.createKey()
      const page = yield* Browser.playground(service.url, key.secret)
      yield* promise(() => page.getByLabel(/^Message/).fill("Tell me a long story"))
      yield* promise(() => page.getByRole("button", { name: "Send" }).click())
      const reply = page.locator("article.answer").last()
      yield* promise(() => reply.getByTestId("answer").getByText(/^Streaming/).waitFor())
      yield* promise(() => page.getByRole("button", { name: "Stop" }).click())
      yield* promise(() => reply.getByText("stopped").waitFor())
      yield* promise(() =>
        vi.waitFor(() => assert.strictEqual(service.emulator.stats().streamsAbortedByClient, 1), { timeout: 5_000 })
      )
      assert.strictEqual(service.emulator.stats().activeStreams, 0)
      assert.notInclude(yield* promise(() => reply.getByTestId("answer").innerText()), "omega")
      assert.isFalse(yield* promise(() => page.getByRole("button", { name: "Stop" }).isVisible()))
      yield* Browser.screenshot(page, "playground-stopped")
    }))

  it.scoped("images by file picker and by drag-and-drop are sent inline to Bedrock", () =>
    Effect.gen(function*() {
      const recorder = yield* startRecorder(yield* Emulator.make())
      const service = yield* startService({ sharedEmulator: recorder.emulator, clock: Browser.liveClock })
      const key = yield* service.createKey()
      const page = yield* Browser.playground(service.url, key.secret)
      yield* promise(() => page.getByLabel("Model").selectOption(model))
      yield* promise(() =>
        page.locator("#attach").setInputFiles({ name: "dot.png", mimeType: "image/png", buffer: png })
      )
      yield* promise(async () => {
        // The page's own DataTransfer holding a File, as a drop from the desktop delivers it (the test's
        // tsconfig has no DOM types, hence the page-side source as a string).
        const dataTransfer = await page.evaluateHandle(`(() => {
          const bytes = Uint8Array.from(atob("${png.toString("base64")}"), (char) => char.charCodeAt(0))
          const transfer = new DataTransfer()
          transfer.items.add(new File([bytes], "dropped.png", { type: "image/png" }))
          return transfer
        })()`)
        await page.locator("form.composer").dispatchEvent("drop", { dataTransfer })
      })
      yield* promise(() => page.getByRole("img", { name: "attachment 2" }).waitFor())
      yield* promise(() => page.getByLabel(/^Message/).fill("What is in these images?"))
      yield* promise(() => page.getByLabel(/^Message/).press("Enter"))
      yield* promise(() => page.locator("article.answer[data-done=true]").waitFor())
      assert.strictEqual(yield* promise(() => page.locator("article.user img").count()), 2)
      const sent = recorder.requests.find((request) => request.path.includes("converse")) as any
      assert.isDefined(sent, "the chat reached Bedrock")
      const images = sent.body.messages[0].content.filter((block: any) => block.image !== undefined)
      assert.strictEqual(images.length, 2)
      for (const image of images) {
        assert.strictEqual(image.image.format, "png")
        assert.strictEqual(image.image.source.bytes, png.toString("base64"))
      }
      assert.isFalse(yield* promise(() => page.locator(".failure").isVisible()))
      yield* Browser.screenshot(page, "playground-image")
    }))
})
