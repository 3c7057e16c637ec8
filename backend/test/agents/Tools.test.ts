import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { mkdir, mkdtemp, symlink, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import * as AgentModule from "../../src/agents/AgentModule.js"
import * as Arithmetic from "../../src/agents/Arithmetic.js"
import * as DocsLibrary from "../../src/agents/DocsLibrary.js"
import { startService } from "../support/service.js"

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))

describe("the example agents' tools", () => {
  it("evaluate arithmetic with precedence, power, functions and constants; refuse anything else", () => {
    const value = (expression: string) => Either.getOrThrow(Arithmetic.evaluate(expression))
    assert.strictEqual(value("2 + 3 * 4"), 14)
    assert.strictEqual(value("(2 + 3) * 4 ^ 2"), 80)
    assert.strictEqual(value("2 ^ 3 ^ 2"), 512)
    assert.strictEqual(value("-2 ^ 2"), 4)
    assert.strictEqual(value("sqrt(16) + max(1, 7, 3) - abs(-2)"), 9)
    assert.closeTo(value("2 * pi"), 6.283185, 1e-6)
    assert.strictEqual(value("1.5e3 % 7"), 2)
    for (const bad of ["2 +", "process.exit()", "1 / 0", "(1", "foo(2)", "2 3", "x".repeat(600)]) {
      assert.isTrue(Either.isLeft(Arithmetic.evaluate(bad)), bad)
    }
  })

  it("convert units of one kind, and refuse across kinds", () => {
    assert.closeTo(Either.getOrThrow(Arithmetic.convert(5, "km", "mi")), 3.10686, 1e-5)
    assert.closeTo(Either.getOrThrow(Arithmetic.convert(100, "f", "c")), 37.7778, 1e-4)
    assert.strictEqual(Either.getOrThrow(Arithmetic.convert(2, "h", "min")), 120)
    assert.deepStrictEqual(Arithmetic.convert(1, "kg", "m"), Either.left("cannot convert mass (kg) to length (m)"))
  })

  it.effect("the docs library reads Markdown inside its directory only", () =>
    Effect.gen(function*() {
      const root = yield* Effect.promise(() => mkdtemp(join(tmpdir(), "docs-")))
      const outside = yield* Effect.promise(() => mkdtemp(join(tmpdir(), "secret-")))
      yield* Effect.promise(async () => {
        await mkdir(join(root, "guide"))
        await writeFile(join(root, "README.md"), "# Title\nBudgets are reserved.\nNothing else.\n")
        await writeFile(join(root, "guide", "keys.md"), "Keys are hashed.\n")
        await writeFile(join(root, "notes.txt"), "not markdown")
        await writeFile(join(outside, "secret.md"), "the secret")
        await symlink(join(outside, "secret.md"), join(root, "link.md"))
      })
      const library = yield* DocsLibrary.make(root)
      assert.deepStrictEqual(yield* library.list, ["README.md", "guide/keys.md"], "links are not listed")
      assert.deepStrictEqual(yield* library.search("budgets RESERVED"), [
        { file: "README.md", line: 2, text: "Budgets are reserved." }
      ])
      assert.deepStrictEqual(yield* library.read("README", 2, 3), {
        text: "Budgets are reserved.\nNothing else.",
        from: 2,
        to: 3,
        lines: 4
      })
      for (const name of ["../secret.md", "/etc/passwd", "notes.txt", "guide/../../x.md", "link.md"]) {
        const refused = yield* Effect.either(library.read(name))
        assert.isTrue(Either.isLeft(refused), name)
      }
    }))
})

describe("the agents module", () => {
  it.effect("a module's default export is checked, naming what is wrong", () =>
    Effect.gen(function*() {
      const loaded = yield* AgentModule.load(fixture("echo-agents.ts"))
      assert.deepStrictEqual(Object.keys(loaded.agents), ["shouter"])
      const wrong = yield* Effect.flip(AgentModule.load(fixture("not-agents.ts")))
      assert.include(wrong.message, "defineAgents")
      const missing = yield* Effect.flip(AgentModule.load(fixture("absent.ts")))
      assert.include(missing.message, "cannot import it")
      const badName = yield* Effect.flip(AgentModule.validate("m", { agents: { "Bad Name": {} } }))
      assert.include(badName.message, "Bad Name")
    }))

  it.scoped("the service runs the agents of BACKEND_AGENTS_MODULE", () =>
    Effect.gen(function*() {
      const service = yield* startService({ settings: { agentsModule: Option.some(fixture("echo-agents.ts")) } })
      const key = yield* service.createKey()
      const answer = yield* Effect.promise(async () => {
        const headers = { authorization: `Bearer ${key.secret}`, "content-type": "application/json" }
        const listed = await fetch(`${service.url}/v1/agents`, { headers }).then((response) =>
          response.json() as Promise<any>
        )
        const run = await fetch(`${service.url}/v1/agents/shouter/runs`, {
          method: "POST",
          headers,
          body: JSON.stringify({ input: "Please shout the text: hello" })
        }).then((response) => response.json() as Promise<any>)
        return { listed, run }
      })
      assert.deepStrictEqual(answer.listed.agents, [{
        name: "shouter",
        description: "Shouts",
        model: "anthropic.claude-3-haiku-20240307-v1:0"
      }])
      assert.deepStrictEqual(answer.run.steps[0].tool_calls[0].result, { shouted: "HELLO" })
    }))
})
