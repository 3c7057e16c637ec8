/**
 * The modules of `src/` import one another in one direction: this walks the graph of relative imports (type-only
 * ones included, since they tie the modules' meaning together just as much) and fails on any cycle that is not
 * listed below with its reason.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { describe, expect, it } from "vitest"

const SRC = Path.resolve(import.meta.dirname, "../src")

/** Cycles that remain, each with why: the modules of the cycle, relative to `src/`, sorted. */
const EXPLAINED: ReadonlyArray<{ readonly modules: ReadonlyArray<string>; readonly why: string }> = [
  {
    modules: ["Tool.ts", "internal/agent/toolHandlers.ts"],
    why: "type-only: toolHandlers.ts takes Tool's CallContext and HandlerService types"
  },
  {
    modules: [
      "Agent.ts",
      "internal/agent/events.ts",
      "internal/agent/limits.ts",
      "internal/agent/loop.ts",
      "internal/agent/modelCall.ts",
      "internal/agent/runState.ts",
      "internal/agent/step.ts",
      "internal/agent/toolExecution.ts"
    ],
    why:
      "type-only: the loop's modules take the public types Agent.ts declares (Event, Limits, Step, ...); at run time Agent.ts imports the loop and never the other way"
  }
]

const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^"';]*?\s+from\s+)?["'](\.{1,2}\/[^"']+)["']/g

const sourceFiles = (dir: string): Array<string> =>
  Fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = Path.join(dir, entry.name)
    return entry.isDirectory() ? sourceFiles(path) : path.endsWith(".ts") ? [path] : []
  })

/** Each module's relative imports, as paths of `.ts` files. */
const importGraph = (files: ReadonlyArray<string>): ReadonlyMap<string, ReadonlyArray<string>> =>
  new Map(files.map((file) => {
    const text = Fs.readFileSync(file, "utf8")
    const targets = [...text.matchAll(IMPORT)].map((match) =>
      Path.resolve(Path.dirname(file), match[1]!.replace(/\.js$/, ".ts"))
    )
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
    const found = cycles(importGraph(sourceFiles(SRC))).map((component) =>
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
      const found = cycles(importGraph(sourceFiles(dir)))
      expect(found.map((component) => component.map((file) => Path.basename(file)))).toEqual([["a.ts", "b.ts", "c.ts"]])
    } finally {
      Fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
