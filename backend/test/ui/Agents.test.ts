import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { frozenClock, middleOfAMinute, startService } from "../support/service.js"
import * as Browser from "./browser.js"

const promise = <A>(run: () => Promise<A>) => Effect.promise(run)

layer(Browser.layer)("the playground's agent runs and refusals in Chromium", (it) => {
  it.scoped("an agent run shows its tool calls with their input, their results and the answer; it can be reopened", () =>
    Effect.gen(function*() {
      const service = yield* startService({ clock: Browser.liveClock })
      const key = yield* service.createKey()
      const page = yield* Browser.playground(service.url, key.secret)
      yield* promise(() => page.getByLabel("Chat or agent").selectOption("calculator"))
      yield* promise(() => page.getByLabel(/^Message/).fill("Calculate the expression: (2 + 3) * 4 ^ 2"))
      yield* promise(() => page.getByLabel(/^Message/).press("Enter"))
      const reply = page.locator("article.answer[data-done=true]")
      yield* promise(() => reply.waitFor())
      const call = reply.locator("li.tool-call[data-tool=calculate]")
      assert.strictEqual(yield* promise(() => call.count()), 1)
      assert.deepStrictEqual(
        JSON.parse(yield* promise(() => call.getByLabel("input of calculate").innerText())),
        { expression: "(2 + 3) * 4 ^ 2" }
      )
      assert.deepStrictEqual(
        JSON.parse(yield* promise(() => call.getByLabel("result of calculate").innerText())),
        { expression: "(2 + 3) * 4 ^ 2", value: 80 }
      )
      assert.include(yield* promise(() => call.innerText()), "result: Success")
      assert.strictEqual(yield* promise(() => reply.locator("li.step").count()), 2)
      assert.include(yield* promise(() => reply.getByTestId("answer").innerText()), "80")
      const usage = yield* promise(() => reply.getByTestId("usage").last().innerText())
      assert.match(usage, /\$0\.\d{6}/)
      yield* Browser.screenshot(page, "playground-agent")

      // The run's conversation is listed; a fresh page reopens it from the service.
      const listed = page.locator("section.saved li button")
      yield* promise(() => listed.first().waitFor())
      const id = yield* promise(() => listed.first().innerText())
      assert.match(id, /^conv_[0-9a-f]{24}$/)
      const again = yield* Browser.playground(service.url, key.secret)
      yield* promise(() => again.getByRole("button", { name: id }).click())
      yield* promise(() => again.locator("article.user").getByText("Calculate the expression").waitFor())
      assert.include(yield* promise(() => again.locator("article.answer").last().innerText()), "80")
      assert.strictEqual(yield* promise(() => again.getByLabel("Chat or agent").inputValue()), "calculator")
    }))

  it.scoped("a rate limit is shown with when to retry, a spent budget as such, and an invalid key as invalid", () =>
    Effect.gen(function*() {
      const service = yield* startService({ clock: frozenClock(middleOfAMinute) })
      const limited = yield* service.createKey({ name: "limited", rpm: 1 })
      const page = yield* Browser.playground(service.url, limited.secret)
      const message = page.getByLabel(/^Message/)
      yield* promise(() => message.fill("first"))
      yield* promise(() => message.press("Enter"))
      yield* promise(() => page.locator("article.answer[data-done=true]").waitFor())
      yield* promise(() => message.fill("second"))
      yield* promise(() => message.press("Enter"))
      const refusal = page.locator("article.answer").last().getByRole("alert")
      yield* promise(() => refusal.waitFor())
      assert.strictEqual(yield* promise(() => refusal.getAttribute("data-status")), "429")
      const limitedText = yield* promise(() => refusal.innerText())
      assert.match(limitedText, /^Rate limited/)
      assert.match(limitedText, /Retry in 40 s\./, "the window of the frozen minute ends in 40 s")
      yield* Browser.screenshot(page, "playground-rate-limited")

      const broke = yield* service.createKey({ name: "broke", monthlyBudgetMicroUsd: 1 })
      const poor = yield* Browser.playground(service.url, broke.secret)
      yield* promise(() => poor.getByLabel(/^Message/).fill("anything"))
      yield* promise(() => poor.getByLabel(/^Message/).press("Enter"))
      const spent = poor.locator("article.answer").last().getByRole("alert")
      yield* promise(() => spent.waitFor())
      assert.match(yield* promise(() => spent.innerText()), /^Budget exhausted/)
      assert.strictEqual(yield* promise(() => spent.getAttribute("data-status")), "429")
      yield* Browser.screenshot(poor, "playground-budget-exhausted")

      const stranger = yield* Browser.playground(service.url, "sk-bllm-" + "x".repeat(43))
      const invalid = stranger.getByRole("alert")
      yield* promise(() => invalid.waitFor())
      assert.match(yield* promise(() => invalid.innerText()), /^Invalid key/)
      yield* Browser.screenshot(stranger, "playground-invalid-key")
    }))
})
