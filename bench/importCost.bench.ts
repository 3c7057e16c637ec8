/**
 * What `import "bedrock-llm"` costs a program: wall time, CPU time and the heap after a full GC, each in a fresh Node
 * process, for the built package now and at an earlier commit (`--before <commit>`, default 4eeda8f, the package as it
 * was before it was split for users), next to `import "effect"` (effect's own index, for scale) and the two subpaths
 * that the root no longer loads. Both commits are built from `git archive` into a temporary directory with the
 * repository's `node_modules`. Rounds alternate between the targets; medians with the min–max. Module counts come from
 * the real module graph (`test/support/moduleGraph.ts`). Writes its section of `bench/README.md`. `--quick`: 5 rounds.
 */
import { execFileSync, spawnSync } from "node:child_process"
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { loadedModules, packageOf } from "../test/support/moduleGraph.js"
import { fmt, median, writeReadmeSection } from "./support/report.js"

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const quick = process.argv.includes("--quick")
const rounds = quick ? 5 : 11
const beforeAt = process.argv.indexOf("--before")
const before = beforeAt >= 0 ? process.argv[beforeAt + 1]! : "4eeda8f"

/** The package's `src` at `commit` (or the work tree) built into `directory/dist`, beside the repository's modules. */
const build = (directory: string, commit: string | undefined): string => {
  mkdirSync(directory, { recursive: true })
  const files = ["src", "tsconfig.json", "tsconfig.build.json"]
  if (commit === undefined) {
    for (const file of files) cpSync(join(root, file), join(directory, file), { recursive: true })
  } else {
    const archive = execFileSync("git", ["archive", commit, ...files], { cwd: root, maxBuffer: 1 << 28 })
    execFileSync("tar", ["-x", "-C", directory], { input: archive })
  }
  symlinkSync(join(root, "node_modules"), join(directory, "node_modules"))
  writeFileSync(join(directory, "package.json"), JSON.stringify({ name: "bedrock-llm", type: "module" }))
  const outDir = join(directory, "dist")
  execFileSync(process.execPath, [
    join(root, "node_modules", "typescript", "bin", "tsc"),
    "-p",
    join(directory, "tsconfig.build.json"),
    "--outDir",
    outDir,
    "--declaration",
    "false",
    "--sourceMap",
    "false"
  ], { stdio: "inherit" })
  return outDir
}

interface Target {
  readonly name: string
  readonly specifier: string | undefined
}

interface Sample {
  readonly ms: number
  readonly cpuMs: number
  readonly heapMiB: number
}

const probe = (specifier: string | undefined) =>
  `const cpu0 = process.cpuUsage(), t0 = performance.now()
${specifier === undefined ? "" : `await import(${JSON.stringify(specifier)})`}
const ms = performance.now() - t0, cpu = process.cpuUsage(cpu0)
globalThis.gc(); globalThis.gc()
process.stdout.write(JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, heapMiB: process.memoryUsage().heapUsed / 2 ** 20 }))`

const sample = (target: Target): Sample => {
  const ran = spawnSync(process.execPath, ["--expose-gc", "--input-type=module", "--eval", probe(target.specifier)], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" }
  })
  if (ran.status !== 0) throw new Error(`${target.name}: ${ran.stderr}`)
  return JSON.parse(ran.stdout) as Sample
}

const work = mkdtempSync(join(tmpdir(), "bedrock-llm-import-cost-"))
try {
  const beforeDist = build(join(work, "before"), before)
  const afterDist = build(join(work, "after"), undefined)
  const url = (dist: string, file: string) => pathToFileURL(join(dist, file)).href
  const targets: ReadonlyArray<Target> = [
    { name: "node, nothing imported", specifier: undefined },
    { name: "`import \"effect\"` (effect's index, for scale)", specifier: "effect" },
    { name: `\`import "bedrock-llm"\` at ${before} (before)`, specifier: url(beforeDist, "index.js") },
    { name: "`import \"bedrock-llm\"` now (after)", specifier: url(afterDist, "index.js") },
    { name: "`bedrock-llm/DynamoDBMemoryStore` now", specifier: url(afterDist, "DynamoDBMemoryStore.js") },
    { name: "`bedrock-llm/emulator` now", specifier: url(afterDist, "emulator/Emulator.js") }
  ]
  const samples = targets.map(() => [] as Array<Sample>)
  for (let round = 0; round < rounds; round++) {
    targets.forEach((target, i) => samples[i]!.push(sample(target)))
    process.stdout.write(`round ${round + 1}/${rounds}\n`)
  }
  const graph = (target: Target, dist: string | undefined): string => {
    if (target.specifier === undefined) return "– | –"
    const loaded = loadedModules(target.specifier, { cwd: root }).map(({ module }) => module)
    const files = new Set(loaded.filter((module) => !module.startsWith("node:")))
    const own = [...files].filter((module) => dist !== undefined && module.startsWith(dist))
    const emulator = own.filter((module) => module.includes("/emulator/")).length
    const packages = new Set([...files].map(packageOf).filter((pkg) => pkg !== undefined))
    return `${files.size} (${own.length} / ${emulator}) | ${packages.size}`
  }
  const distOf = [undefined, undefined, beforeDist, afterDist, afterDist, afterDist]
  const cell = (values: ReadonlyArray<number>, unit: string) =>
    `${fmt(median(values))} ${unit} (${fmt(Math.min(...values))}–${fmt(Math.max(...values))})`
  const rows = targets.map((target, i) => {
    const s = samples[i]!
    const timing = target.specifier === undefined
      ? "– | –"
      : `${cell(s.map((x) => x.ms), "ms")} | ${cell(s.map((x) => x.cpuMs), "ms")}`
    return `| ${target.name} | ${timing} | ${cell(s.map((x) => x.heapMiB), "MiB")} | ${graph(target, distOf[i])} |`
  })
  const ratio = (i: number, j: number, key: keyof Sample) =>
    (median(samples[i]!.map((x) => x[key])) / median(samples[j]!.map((x) => x[key]))).toFixed(2)
  const lines = [
    "## What the root import costs (`bench/importCost.bench.ts`)",
    "",
    `Each figure is one fresh \`node\` process importing the built package (\`tsc\` output of \`src/\`); ${rounds}`,
    "rounds alternate between the targets; medians with the min–max. Time and CPU are those of the `import()` alone;",
    "the heap is `heapUsed` after two full GCs (the process's baseline included, first row). Modules: the files loaded",
    "(ES modules and CommonJS), from the real module graph, with the library's own and the emulator's among them.",
    "",
    "| import | wall time | CPU time | heap after GC | modules (library's / emulator's) | packages |",
    "| ------ | --------- | -------- | ------------- | -------------------------------- | -------- |",
    ...rows,
    "",
    `Now ÷ before: wall time ${ratio(3, 2, "ms")}, CPU ${ratio(3, 2, "cpuMs")}, heap ${
      ratio(3, 2, "heapMiB")
    }; now ÷ effect's index: wall time ${ratio(3, 1, "ms")}, heap ${ratio(3, 1, "heapMiB")}.`
  ]
  process.stdout.write(`${lines.join("\n")}\n`)
  writeReadmeSection("importCost.bench", lines, `npm run bench -- --only importCost${quick ? " --quick" : ""}`)
  execFileSync(process.execPath, [join(root, "node_modules", "dprint", "bin.cjs"), "fmt", "bench/README.md"], {
    cwd: root,
    stdio: "inherit"
  })
} finally {
  rmSync(work, { recursive: true, force: true })
}
