import { assert, describe, it } from "@effect/vitest"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"

const root = join(__dirname, "..", "..")
const sources = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : []
  )

describe("bedrock-llm/ai is optional", () => {
  it("no module outside src/ai imports @effect/ai, so users without it install nothing more", () => {
    const offenders = sources(join(root, "src")).filter((file) =>
      !file.includes(join("src", "ai")) && /from\s+"@effect\/ai(\/|")/.test(readFileSync(file, "utf8"))
    )
    assert.deepStrictEqual(offenders, [])
  })

  it("package.json exports ./ai (built from src/ai/index.ts) and makes @effect/ai an optional peer", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"))
    assert.deepStrictEqual(pkg.exports["./ai"], { types: "./dist/ai/index.d.ts", import: "./dist/ai/index.js" })
    assert.isTrue(existsSync(join(root, "src", "ai", "index.ts")))
    assert.match(pkg.peerDependencies["@effect/ai"], /^\^0\.37\./)
    assert.isTrue(pkg.peerDependenciesMeta["@effect/ai"].optional)
    assert.match(pkg.devDependencies["@effect/ai"], /^0\.37\.\d+$/)
  })
})
