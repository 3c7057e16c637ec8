/**
 * UI test harness: Debian's Chromium driven by playwright-core (headless, no sandbox, a fresh user-data directory per
 * launch), one browser per test file, the UI built before it starts, screenshots into the git-ignored `artifacts/`.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { existsSync } from "node:fs"
import { mkdir, mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { type BrowserContext, chromium, type Page } from "playwright-core"
import { buildUi } from "../../src/ui/UiBuild.js"

const executablePath = "/usr/bin/chromium"

const args = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run"
]

/**
 * The clock of a service a browser talks to: the real one (an `it.scoped` test runs on the `TestClock`, at 1970),
 * since the browser's own dates, such as the usage range, are real.
 */
export const liveClock = Clock.make()

/** Where screenshots go (git-ignored). */
export const artifacts = fileURLToPath(new URL("./artifacts", import.meta.url))

/** The browser of a test file: it opens pages, each in a context of its own. */
export class Browser extends Context.Tag("test/ui/Browser")<Browser, {
  readonly open: (url: string) => Effect.Effect<Page, never, Scope.Scope>
}>() {}

/** Builds the UI, launches Chromium on a fresh user-data directory; closed (and the directory removed) with the layer. */
export const layer = Layer.scoped(
  Browser,
  Effect.gen(function*() {
    if (!existsSync(executablePath)) {
      return yield* Effect.dieMessage(
        `Chromium is not installed at ${executablePath}: the UI tests need it. Install it with ` +
          "`apt-get update && apt-get install -y chromium` (as .ci/run does)."
      )
    }
    yield* Effect.promise(() => buildUi())
    yield* Effect.promise(() => mkdir(artifacts, { recursive: true }))
    const profile = yield* Effect.acquireRelease(
      Effect.promise(() => mkdtemp(join(tmpdir(), "bllm-ui-chromium-"))),
      (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
    )
    const context: BrowserContext = yield* Effect.acquireRelease(
      Effect.promise(() =>
        chromium.launchPersistentContext(profile, {
          executablePath,
          args,
          viewport: { width: 1280, height: 900 },
          permissions: ["clipboard-read", "clipboard-write"]
        })
      ),
      (opened) => Effect.promise(() => opened.close())
    )
    return {
      open: (url) =>
        Effect.acquireRelease(
          Effect.promise(async () => {
            const page = await context.newPage()
            page.setDefaultTimeout(10_000)
            await page.goto(url)
            return page
          }),
          (page) => Effect.promise(() => page.close())
        )
    }
  })
)

/** Saves a full-page screenshot as `artifacts/<name>.png`. */
export const screenshot = (page: Page, name: string) =>
  Effect.promise(() => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true }))

/** Opens the playground with a key connected. */
export const playground = (url: string, key: string) =>
  Effect.gen(function*() {
    const browser = yield* Browser
    const page = yield* browser.open(`${url}/playground`)
    yield* Effect.promise(async () => {
      await page.getByLabel("API key").fill(key)
      await page.getByRole("button", { name: "Connect" }).click()
    })
    return page
  })
