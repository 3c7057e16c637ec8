import { assert, describe, it } from "@effect/vitest"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"

const sources = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : []
  )

// A package's index loads every module of the package: `@effect/platform`'s carries ~20 MB of embedded Swagger UI
// strings, `effect`'s every module. The library imports each module by its own path.
const barrel = /from\s+"(effect|@effect\/platform|@effect\/platform-node)"/

describe("imports", () => {
  it("no library module imports a package's index", () => {
    const offenders = sources(join(__dirname, "..", "src")).filter((file) => barrel.test(readFileSync(file, "utf8")))
    assert.deepStrictEqual(offenders, [])
  })
})
