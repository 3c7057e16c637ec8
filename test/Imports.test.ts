import { assert, describe, it } from "@effect/vitest"
import { readdirSync, readFileSync } from "node:fs"
import { join, relative } from "node:path"
import { loadedModules, packageOf, rootImportProblems } from "./support/moduleGraph.js"

const root = join(__dirname, "..")

const sources = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : []
  )

// A package's index loads every module of the package: `@effect/platform`'s carries ~20 MB of embedded Swagger UI
// strings, `effect`'s every module. The library imports each module by its own path.
const barrel = /from\s+"(effect|@effect\/platform|@effect\/platform-node)"/

const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  readonly exports: Record<string, string | { readonly types: string; readonly import: string }>
}

/** The specifiers of every static and dynamic import of a file. */
const importsOf = (file: string): ReadonlyArray<string> =>
  [...readFileSync(file, "utf8").matchAll(/(?:from\s+|import\s*\(\s*|^import\s+)"([^"]+)"/gm)].map((match) => match[1]!)

describe("imports", () => {
  it("no library module imports a package's index", () => {
    // Doc comments are left out: an `@example` imports from "effect" as users do.
    const code = (file: string) => readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "")
    const offenders = sources(join(root, "src")).filter((file) => barrel.test(code(file)))
    assert.deepStrictEqual(offenders, [])
  })

  it("the root import loads neither the emulator, nor DynamoDB, nor the emulator's SigV4, nor platform-node", () => {
    const modules = loadedModules("./src/index.ts", { cwd: root, nodeArgs: ["--import", "tsx"] })
    const ownFiles = new Set(
      modules.filter(({ module }) => packageOf(module) === undefined).map(({ module }) => module)
    )
    // the recording works: what a generate needs is there
    assert.isTrue(ownFiles.has(join(root, "src", "BedrockClient.ts")))
    assert.isTrue(modules.some(({ module }) => packageOf(module) === "@aws-sdk/client-bedrock-runtime"))
    assert.deepStrictEqual(rootImportProblems(modules, (path) => path.startsWith(join(root, "src"))), [])
  })
})

describe("package exports", () => {
  const targets = Object.entries(manifest.exports)

  it("list every public module explicitly, and nothing under internal/ or the emulator's engine", () => {
    assert.isFalse(targets.some(([key]) => key.includes("*")), "no subpath patterns")
    const index = readFileSync(join(root, "src", "index.ts"), "utf8")
    const reexported = [...index.matchAll(/export \* as \w+ from "\.\/(\w+)\.js"/g)].map((match) => `./${match[1]}`)
    assert.isAbove(reexported.length, 10)
    for (const key of reexported) assert.property(manifest.exports, key)
    for (const [key, target] of targets) {
      const files = typeof target === "string" ? [target] : [target.types, target.import]
      for (const file of files) assert.notMatch(file, /internal|engine/, `${key} → ${file}`)
    }
  })

  it("examples import only the package's public subpaths, never a path into the repository", () => {
    const examples = join(root, "examples")
    const offenders = readdirSync(examples).filter((name) => name.endsWith(".ts")).flatMap((name) =>
      importsOf(join(examples, name)).flatMap((specifier) => {
        const local = specifier.startsWith(".") && !relative(examples, join(examples, specifier)).startsWith("..")
        const ownSubpath = specifier === "bedrock-llm" || specifier.startsWith("bedrock-llm/")
          ? `.${specifier.slice("bedrock-llm".length)}`
          : undefined
        const ok = ownSubpath !== undefined ? ownSubpath in manifest.exports : local || !specifier.startsWith(".")
        return ok ? [] : [`${name}: ${specifier}`]
      })
    )
    assert.deepStrictEqual(offenders, [])
  })
})
