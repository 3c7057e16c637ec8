/**
 * The top of a V8 CPU profile (`node --cpu-prof`): self time by function and by package or source directory, as
 * shares of the sampled time, so that a profile of the gateway benchmark reads in a terminal.
 *
 * `node --import tsx backend/bench/profileTop.ts CPU.*.cpuprofile [--top 30]`
 */
import { readFileSync } from "node:fs"
import { parseArgs } from "node:util"

interface ProfileNode {
  parent?: number
  readonly id: number
  readonly callFrame: {
    readonly functionName: string
    readonly url: string
    readonly lineNumber: number
  }
  readonly children?: ReadonlyArray<number>
}

interface Profile {
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { top: { type: "string", default: "30" } }
})
const top = Number(values.top)

/** Where a frame's code lives: an npm package, a directory of this repository, or Node's own. */
const placeOf = (url: string, file = false): string => {
  if (url === "") return "(native / V8)"
  const modules = url.lastIndexOf("node_modules/")
  if (modules >= 0) {
    const rest = url.slice(modules + "node_modules/".length).split("/")
    const name = rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!
    return file ? `${name}/…/${rest.at(-1)}` : name
  }
  if (url.startsWith("node:")) return url
  const repo = url.match(file ? /\/((?:backend\/)?src\/.+)$/ : /\/(backend\/src\/[^/]+|src\/[^/]+)/)
  return repo?.[1] ?? url
}

const add = (totals: Map<string, number>, key: string, time: number) => totals.set(key, (totals.get(key) ?? 0) + time)

const print = (title: string, totals: Map<string, number>, all: number) => {
  process.stdout.write(`\n${title}\n`)
  for (const [key, time] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${((time / all) * 100).toFixed(1).padStart(5)}%  ${key}\n`)
  }
}

for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const self = new Map<number, number>()
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))
  for (const node of profile.nodes) for (const child of node.children ?? []) byId.get(child)!.parent = node.id
  const idle = new Set(["(idle)", "(program)"])
  const inclusive = new Map<string, number>()
  const byFunction = new Map<string, number>()
  const byPlace = new Map<string, number>()
  let all = 0
  for (const [id, time] of self) {
    const frame = byId.get(id)!.callFrame
    if (idle.has(frame.functionName)) continue
    all += time
    const place = placeOf(frame.url)
    add(byFunction, `${frame.functionName || "(anonymous)"}  ${placeOf(frame.url, true)}:${frame.lineNumber + 1}`, time)
    add(byPlace, place, time)
    // Inclusive: every function on the sample's stack, once (Effect's run loop calls continuations from its own
    // frames, so this catches synchronous work only).
    const seen = new Set<string>()
    for (let at: number | undefined = id; at !== undefined; at = byId.get(at)!.parent) {
      const caller = byId.get(at)!.callFrame
      if (caller.url === "") continue
      const name = `${caller.functionName || "(anonymous)"}  ${placeOf(caller.url, true)}:${caller.lineNumber + 1}`
      if (!seen.has(name)) {
        seen.add(name)
        add(inclusive, name, time)
      }
    }
  }
  process.stdout.write(`${file}: ${(all / 1000).toFixed(0)} ms sampled (idle excluded)\n`)
  print("self time by package / directory", byPlace, all)
  print("self time by function", byFunction, all)
  print("inclusive time by function", inclusive, all)
}
