import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { call, startService } from "../support/service.js"
import * as Browser from "./browser.js"

const promise = <A>(run: () => Promise<A>) => Effect.promise(run)
const today = () => new Date().toISOString().slice(0, 10)

layer(Browser.layer)("the admin console in Chromium", (it) => {
  it.scoped("creates a key (its secret shown once, copied), the new key chats, the usage charts show its request", () =>
    Effect.gen(function*() {
      const service = yield* startService({ clock: Browser.liveClock })
      const browser = yield* Browser.Browser
      const admin = yield* browser.open(`${service.url}/admin`)
      yield* promise(async () => {
        await admin.getByLabel("Admin key").fill(service.adminKey)
        await admin.getByRole("button", { name: "Connect" }).click()
        await admin.getByLabel("Name", { exact: true }).fill("made in the console")
        await admin.getByLabel("Monthly budget (USD)").first().fill("5")
        await admin.getByRole("checkbox", { name: "bedrock" }).uncheck()
        await admin.getByRole("button", { name: "Create key" }).click()
      })
      const secret = yield* promise(() => admin.getByTestId("secret").innerText())
      assert.match(secret, /^sk-bllm-[A-Za-z0-9_-]{43}$/)
      yield* promise(() => admin.getByRole("button", { name: "Copy" }).click())
      yield* promise(() => admin.getByRole("button", { name: "Copied" }).waitFor())
      assert.strictEqual(yield* promise(() => admin.evaluate<string>("navigator.clipboard.readText()")), secret)

      const listed = yield* call(`${service.url}/admin/keys`, { token: service.adminKey })
      const made = listed.body.keys.find((key: { name: string }) => key.name === "made in the console")
      assert.deepStrictEqual(made.allowedApis, ["openai", "anthropic", "agents"])
      assert.strictEqual(made.monthlyBudgetUsd, 5)
      const row = admin.locator(`tr[data-key=${made.id}]`)
      assert.include(yield* promise(() => row.innerText()), "active")
      yield* promise(() => admin.getByRole("button", { name: "Done" }).click())
      assert.strictEqual(yield* promise(() => admin.getByTestId("secret").count()), 0, "the secret is shown once")

      // The new key chats in the playground.
      const playground = yield* Browser.playground(service.url, secret)
      yield* promise(() => playground.getByLabel(/^Message/).fill("Hello from a new key"))
      yield* promise(() => playground.getByLabel(/^Message/).press("Enter"))
      yield* promise(() => playground.locator("article.answer[data-done=true]").getByTestId("usage").waitFor())
      const usage = yield* call(`${service.url}/admin/usage?keyId=${made.id}`, { token: service.adminKey })
      assert.strictEqual(usage.body.totals.requests, 1)

      // Its request is in the charts, and its spend against its budget.
      yield* promise(() => admin.reload())
      const day = admin.locator(`[data-chart=requests-per-day] g[data-day="${today()}"]`)
      yield* promise(() => admin.locator(`[data-chart=requests-per-day] g[data-value="1"]`).waitFor())
      assert.strictEqual(yield* promise(() => day.getAttribute("data-value")), "1")
      const perKey = admin.locator("[data-chart=requests-per-key] g[data-category=\"made in the console\"]")
      assert.strictEqual(yield* promise(() => perKey.getAttribute("data-value")), "1")
      const cost = Number(
        yield* promise(() =>
          admin.locator("[data-chart=cost-per-key] g[data-category=\"made in the console\"]").getAttribute("data-value")
        )
      )
      assert.closeTo(cost, usage.body.totals.costUsd, 1e-9)
      assert.isAbove(cost, 0)
      const meter = admin.getByRole("meter", { name: "made in the console: spent of budget" })
      assert.closeTo(Number(yield* promise(() => meter.getAttribute("value"))), usage.body.totals.costUsd, 1e-9)
      yield* Browser.screenshot(admin, "admin")
      yield* promise(() => admin.emulateMedia({ colorScheme: "dark" }))
      yield* Browser.screenshot(admin, "admin-dark")
      yield* promise(() => admin.emulateMedia({ colorScheme: "light" }))

      // Edit its limits and allowed models, then revoke it.
      yield* promise(async () => {
        await row.getByRole("button", { name: /^Edit/ }).click()
        await admin.getByLabel("Requests per minute").last().fill("7")
        await admin.getByLabel("Allowed models", { exact: true }).last().fill("anthropic.*")
        await admin.getByRole("button", { name: "Save" }).click()
        await row.getByText("7 / –").waitFor()
      })
      const edited = yield* call(`${service.url}/admin/keys/${made.id}`, { token: service.adminKey })
      assert.strictEqual(edited.body.key.rpm, 7)
      assert.deepStrictEqual(edited.body.key.allowedModels, ["anthropic.*"])
      yield* promise(async () => {
        await row.getByRole("button", { name: /^Revoke/ }).click()
        await row.getByRole("button", { name: /^Confirm revoke/ }).click()
        await row.getByText("revoked").waitFor()
      })
      const revoked = yield* call(`${service.url}/admin/keys/${made.id}`, { token: service.adminKey })
      assert.strictEqual(revoked.body.key.status, "revoked")
      yield* Browser.screenshot(admin, "admin-revoked")
    }))

  it.scoped("a wrong admin key is refused as such", () =>
    Effect.gen(function*() {
      const service = yield* startService({ clock: Browser.liveClock })
      const browser = yield* Browser.Browser
      const admin = yield* browser.open(`${service.url}/admin`)
      yield* promise(async () => {
        await admin.getByLabel("Admin key").fill("sk-bllm-" + "y".repeat(43))
        await admin.getByRole("button", { name: "Connect" }).click()
      })
      const refusal = admin.getByRole("alert").first()
      yield* promise(() => refusal.waitFor())
      assert.match(yield* promise(() => refusal.innerText()), /^Invalid key/)
      assert.strictEqual(yield* promise(() => admin.locator("tr[data-key]").count()), 0)
    }))
})
