/**
 * The modules of `src/` import one another in one direction: this walks the graph of relative imports (type-only
 * ones included, since they tie the modules' meaning together just as much) and fails on any cycle that is not
 * listed below with its reason. One kind of edge is left out, as in Effect's own packages: an `internal/` module's
 * `import type` of a public top-level module, whose types it implements (the public module imports the internal one
 * at run time; the types flow back). A value import from `internal/` to a public module still counts.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { describe, expect, it } from "vitest"

const SRC = Path.resolve(import.meta.dirname, "../src")

/** Cycles that remain, each with why: the modules of the cycle, relative to `src/`, sorted. */
const EXPLAINED: ReadonlyArray<{ readonly modules: ReadonlyArray<string>; readonly why: string }> = []

const IMPORT = /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^"';]*?\s+from\s+)?["'](\.{1,2}\/[^"']+)["']/g

const sourceFiles = (dir: string): Array<string> =>
  Fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = Path.join(dir, entry.name)
    return entry.isDirectory() ? sourceFiles(path) : path.endsWith(".ts") ? [path] : []
  })

/** Whether an import is an internal module taking the types of a public module of `root` (see above). */
const implementsPublicTypes = (root: string, file: string, target: string, typeOnly: boolean): boolean =>
  typeOnly && Path.relative(root, file).split(Path.sep)[0] === "internal" && Path.dirname(target) === root

/** Each module's relative imports, as paths of `.ts` files. */
const importGraph = (files: ReadonlyArray<string>, root: string): ReadonlyMap<string, ReadonlyArray<string>> =>
  new Map(files.map((file) => {
    const text = Fs.readFileSync(file, "utf8")
    const targets = [...text.matchAll(IMPORT)].flatMap((match) => {
      const target = Path.resolve(Path.dirname(file), match[3]!.replace(/\.js$/, ".ts"))
      const typeOnly = match[1] === "import" && match[2] !== undefined
      return implementsPublicTypes(root, file, target, typeOnly) ? [] : [target]
    })
    return [file, targets]
  }))

/** The strongly connected components of more than one module (Tarjan's algorithm), each sorted. */
const cycles = (graph: ReadonlyMap<string, ReadonlyArray<string>>): Array<Array<string>> => {
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: Array<string> = []
  const onStack = new Set<string>()
  const found: Array<Array<string>> = []
  const visit = (node: string): void => {
    index.set(node, index.size)
    low.set(node, index.get(node)!)
    stack.push(node)
    onStack.add(node)
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue
      if (!index.has(next)) {
        visit(next)
        low.set(node, Math.min(low.get(node)!, low.get(next)!))
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!))
      }
    }
    if (low.get(node) !== index.get(node)) return
    const component: Array<string> = []
    for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
      onStack.delete(member)
      component.push(member)
      if (member === node) break
    }
    if (component.length > 1) found.push(component.sort())
  }
  for (const node of graph.keys()) if (!index.has(node)) visit(node)
  return found
}

describe("import cycles", () => {
  it("src/ has none but the explained ones", () => {
    const found = cycles(importGraph(sourceFiles(SRC), SRC)).map((component) =>
      component.map((file) => Path.relative(SRC, file).split(Path.sep).join("/")).sort()
    )
    expect(found).toEqual(EXPLAINED.map((cycle) => [...cycle.modules].sort()))
  })

  it("finds a cycle, type-only imports and re-exports included", () => {
    const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "bedrock-llm-cycles-"))
    try {
      Fs.writeFileSync(Path.join(dir, "a.ts"), `import type { B } from "./b.js"\nexport type A = B\n`)
      Fs.writeFileSync(Path.join(dir, "b.ts"), `export { c } from "./c.js"\nexport type B = string\n`)
      Fs.writeFileSync(Path.join(dir, "c.ts"), `import {\n  type A\n} from "./a.js"\nexport const c: A = "c"\n`)
      Fs.writeFileSync(Path.join(dir, "d.ts"), `import { c } from "./c.js"\nexport const d = c\n`)
      const found = cycles(importGraph(sourceFiles(dir), dir))
      expect(found.map((component) => component.map((file) => Path.basename(file)))).toEqual([["a.ts", "b.ts", "c.ts"]])
    } finally {
      Fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it("an internal module may take its public module's types, not its values", () => {
    const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "bedrock-llm-cycles-"))
    try {
      Fs.mkdirSync(Path.join(dir, "internal"))
      Fs.writeFileSync(
        Path.join(dir, "Pub.ts"),
        `import * as Impl from "./internal/impl.js"\nexport const f = Impl.f\n`
      )
      Fs.writeFileSync(
        Path.join(dir, "internal", "impl.ts"),
        `import type { T } from "../Pub.js"\nexport const f = 1\n`
      )
      expect(cycles(importGraph(sourceFiles(dir), dir))).toEqual([])
      Fs.writeFileSync(
        Path.join(dir, "internal", "impl.ts"),
        `import { f as g } from "../Pub.js"\nexport const f = g\n`
      )
      expect(cycles(importGraph(sourceFiles(dir), dir)).map((c) => c.map((file) => Path.basename(file)))).toEqual([
        ["Pub.ts", "impl.ts"]
      ])
    } finally {
      Fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
