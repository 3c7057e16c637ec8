/**
 * `npm run bench:compare` (issue 6): this library against the raw AWS SDK and the peer libraries, side by side on the
 * emulator. The emulator runs in its own process; each client runs in its own process (`worker.ts`) and reports its
 * own CPU time, wall time and memory per run. Every scenario is warmed up once per client, then measured in rounds
 * that rotate through the clients, so that drift on the machine hits every client alike. Prints the tables and writes
 * `bench/RESULTS.md`.
 *
 * Flags: `--quick` (smaller counts, 3 rounds), `--rounds <n>`, `--stream-rounds <n>` (default 7), `--embed-rounds <n>`
 * (default 1),
 * `--soak-requests <n>` (default 50,000), `--only <scenario id substring>`, `--clients a,b,c`, `--no-write`,
 * `--render` (rebuild `RESULTS.md` from the last run's tables, `last-run.json`, and the current `ANALYSIS.md`), `--profile <dir>` (a V8 CPU profile of each client process).
 */
import { type ChildProcess, execSync, fork } from "node:child_process"
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import * as Os from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { cpuDelta, type EmulatorProcess, spawnEmulator } from "../support/spawnEmulator.js"
import { longMaxTokens, longPrompt } from "./clients/Adapter.js"
import type { Command, RunResult, SoakResult } from "./worker.js"

const here = dirname(fileURLToPath(import.meta.url))
const repo = join(here, "..", "..")

// ---------------------------------------------------------------------------
// options
// ---------------------------------------------------------------------------

const argv = process.argv.slice(2)
const flag = (name: string) => argv.includes(`--${name}`)
const valueOf = (name: string) => {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 ? argv[i + 1] : undefined
}
const quick = flag("quick")
const rounds = Number(valueOf("rounds") ?? (quick ? 3 : 5))
const only = valueOf("only")
const write = !flag("no-write")
const profileDir = valueOf("profile")

const allClients = ["raw", "ours", "promise", "effectAi", "effectAiOurs", "vercel", "langchain"] as const
const hasPromiseFacade = existsSync(join(repo, "src", "Promise.ts"))
const mainClients = valueOf("clients")?.split(",") ?? allClients.filter((c) => c !== "promise" || hasPromiseFacade)
/** Transport variants, measured where they matter (concurrent Converse and streams). */
const transportVariants = ["raw:mux", "ours:isolated", "raw:h1", "ours:h1"]
/** The agent with `streaming: false`: one Converse call per step, like the peers' agent loops. */
const agentVariants = ["ours:unary-steps"]

// ---------------------------------------------------------------------------
// scenarios
// ---------------------------------------------------------------------------

type Unit = "request" | "1,000 events" | "agent step" | "1,000 texts"

interface Scenario {
  readonly id: string
  readonly title: string
  readonly command: Omit<Extract<Command, { type: "run" }>, "id" | "type" | "salt">
  readonly warmup: number
  readonly unit: Unit
  readonly clients: ReadonlyArray<string>
  readonly capability?: "agent" | "embed" | undefined
  /** Measured rounds of this scenario when not the run's `rounds`. */
  readonly rounds?: number | undefined
}

const scale = (full: number, fast: number) => quick ? fast : full
/** 10,000 texts is 10,000 requests per client and round: one measured round unless asked for more. */
const embedRounds = Number(valueOf("embed-rounds") ?? 1)

const scenarios: ReadonlyArray<Scenario> = [
  ...([[1, scale(300, 150)], [16, scale(800, 400)], [128, scale(1600, 800)]] as const).map(([concurrency, n]) => ({
    id: `converse-c${concurrency}`,
    title: `Converse, short prompt, concurrency ${concurrency} (${n} requests a run)`,
    command: { scenario: "converse" as const, n, concurrency },
    warmup: Math.ceil(n / 3),
    unit: "request" as const,
    clients: [...mainClients, ...transportVariants]
  })),
  {
    id: "stream-1000",
    title: `ConverseStream of a 1,000-token answer, concurrency 1 (${scale(24, 12)} streams a run)`,
    command: { scenario: "stream", n: scale(24, 12), concurrency: 1, prompt: longPrompt, maxTokens: longMaxTokens },
    warmup: 10,
    unit: "1,000 events",
    clients: [...mainClients, ...transportVariants],
    // Streams are few per round and their CPU per round spreads widely on a shared machine: more rounds.
    rounds: Number(valueOf("stream-rounds") ?? (quick ? rounds : Math.max(rounds, 7)))
  },
  {
    id: "agent-2-tools",
    title: `Agent step with two tool calls (two model calls), concurrency 1 (${scale(80, 40)} steps a run)`,
    command: { scenario: "agent", n: scale(80, 40), concurrency: 1 },
    warmup: 20,
    unit: "agent step",
    clients: [...mainClients, ...agentVariants],
    capability: "agent"
  },
  {
    id: "embed-10000",
    title: `Embeddings of ${
      scale(10_000, 1_000).toLocaleString("en")
    } short texts (Titan v2, one text a request), 16 requests in flight`,
    command: { scenario: "embed", n: scale(10_000, 1_000), concurrency: 16 },
    warmup: 500,
    unit: "1,000 texts",
    clients: mainClients,
    capability: "embed",
    rounds: embedRounds
  }
]

const holdOpen = { streams: scale(1000, 200), ttftMs: 1500, tokensPerSecond: 50, maxTokens: 60 }
const soak = { total: Number(valueOf("soak-requests") ?? scale(50_000, 5_000)), checkpoint: 1_000 }

// ---------------------------------------------------------------------------
// workers
// ---------------------------------------------------------------------------

interface Worker {
  readonly spec: string
  readonly name: string
  readonly agent: boolean
  readonly embed: boolean
  readonly readyRssBytes: number
  readonly run: (command: Extract<Command, { type: "run" }>) => Promise<RunResult>
  readonly soak: (command: Extract<Command, { type: "soak" }>) => Promise<SoakResult>
  readonly close: () => Promise<void>
}

const spawnWorker = (spec: string, endpoint: string): Promise<Worker> =>
  new Promise((resolve, reject) => {
    const child: ChildProcess = fork(join(here, "worker.ts"), [spec, endpoint], {
      execArgv: [
        "--import",
        join(here, "bootstrap.mjs"),
        "--expose-gc",
        "--no-warnings",
        // `--profile DIR`: a V8 CPU profile of every client process, for `node --cpu-prof`-style analysis.
        ...(profileDir === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", join(profileDir, spec.replace(":", "-"))])
      ],
      stdio: ["ignore", "inherit", "inherit", "ipc"]
    })
    const pending = new Map<number, { resolve: (value: any) => void; reject: (error: Error) => void }>()
    let nextId = 1
    const call = <A>(command: Record<string, unknown>): Promise<A> =>
      new Promise((resolveCall, rejectCall) => {
        const id = nextId++
        pending.set(id, { resolve: resolveCall, reject: rejectCall })
        child.send({ ...command, id })
      })
    child.on("exit", (code) => {
      for (const { reject: rejectCall } of pending.values()) rejectCall(new Error(`${spec} exited with ${code}`))
      pending.clear()
      reject(new Error(`${spec} exited with ${code} before it was ready`))
    })
    child.on("message", (message: any) => {
      if (message.type === "ready") {
        resolve({
          spec,
          name: message.name,
          agent: message.agent,
          embed: message.embed,
          readyRssBytes: message.rssBytes,
          run: (command) => call(command),
          soak: (command) => call(command),
          close: () =>
            child.exitCode !== null ? Promise.resolve() : new Promise<void>((resolveClose) => {
              child.once("exit", () => resolveClose())
              child.send({ id: nextId++, type: "close" })
            })
        })
        return
      }
      const waiting = pending.get(message.id)
      if (waiting === undefined) return
      pending.delete(message.id)
      if (message.error !== undefined) waiting.reject(new Error(`${spec}: ${message.error}`))
      else waiting.resolve(message.value)
    })
  })

// ---------------------------------------------------------------------------
// statistics and formatting
// ---------------------------------------------------------------------------

const median = (xs: ReadonlyArray<number>): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length === 0 ? NaN : sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
const fmt = (x: number, digits = 3): string =>
  !Number.isFinite(x) ? "–" : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toPrecision(digits)
const range = (xs: ReadonlyArray<number>) => `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`
const mib = (bytes: number) => bytes / 1024 / 1024

interface Row {
  readonly spec: string
  readonly client: string
  readonly supported: boolean
  readonly note?: string | undefined
  /** Client CPU ms per unit, one per round. */
  readonly cpu: Array<number>
  /** Wall ms per unit. */
  readonly wall: Array<number>
  /** Units per second. */
  readonly throughput: Array<number>
  /** Emulator CPU ms per unit. */
  readonly emulatorCpu: Array<number>
  /** Median time to first text delta per round, ms. */
  readonly firstEvent: Array<number>
  readonly maxRssMiB: Array<number>
}

interface ScenarioResult {
  readonly scenario: Scenario
  readonly rows: Array<Row>
  /** Wire events per stream (stream scenario), from the raw SDK's count. */
  readonly eventsPerStream?: number | undefined
}

// ---------------------------------------------------------------------------
// the run
// ---------------------------------------------------------------------------

const log = (line: string) => process.stdout.write(`${line}\n`)

const runScenario = async (
  scenario: Scenario,
  workers: ReadonlyMap<string, Worker>,
  emulator: EmulatorProcess
): Promise<ScenarioResult> => {
  log(`\n## ${scenario.title}`)
  const rows = new Map<string, Row>()
  const active: Array<Worker> = []
  for (const spec of scenario.clients) {
    const worker = workers.get(spec)
    if (worker === undefined) continue
    const supported = scenario.capability === undefined || worker[scenario.capability]
    rows.set(spec, {
      spec,
      client: worker.name,
      supported,
      cpu: [],
      wall: [],
      throughput: [],
      emulatorCpu: [],
      firstEvent: [],
      maxRssMiB: []
    })
    if (supported) active.push(worker)
  }
  const unitsOf = (result: RunResult, n: number, eventsPerStream: number | undefined): number => {
    switch (scenario.unit) {
      case "request":
      case "agent step":
        return n
      case "1,000 events":
        // Normalised by the wire events (the same answer for every client), not by what each API yields.
        return (n * (eventsPerStream ?? result.units / n)) / 1000
      case "1,000 texts":
        return n / 1000
    }
  }
  let eventsPerStream: number | undefined
  for (const worker of active) {
    const result = await worker.run({ ...scenario.command, id: 0, type: "run", n: scenario.warmup, salt: "warmup" })
    if (worker.spec === "raw" && scenario.unit === "1,000 events") eventsPerStream = result.units / scenario.warmup
  }
  const scenarioRounds = scenario.rounds ?? rounds
  for (let round = 0; round < scenarioRounds; round++) {
    const order = active.map((_, i) => active[(i + round) % active.length]!)
    for (const worker of order) {
      const emulatorBefore = await emulator.cpu()
      const result = await worker.run({ ...scenario.command, id: 0, type: "run", salt: `${round}` })
      const emulatorAfter = await emulator.cpu()
      const units = unitsOf(result, scenario.command.n, eventsPerStream)
      const row = rows.get(worker.spec)!
      row.cpu.push(result.cpuUs / 1000 / units)
      row.wall.push(result.wallMs / units)
      row.throughput.push(units / (result.wallMs / 1000))
      row.emulatorCpu.push(cpuDelta(emulatorBefore, emulatorAfter) / 1000 / units)
      if (result.firstEventMs !== undefined) row.firstEvent.push(median(result.firstEventMs))
      row.maxRssMiB.push(mib(result.maxRssBytes))
    }
    process.stdout.write(`  round ${round + 1}/${scenarioRounds} done\n`)
  }
  const result: ScenarioResult = { scenario, rows: [...rows.values()], eventsPerStream }
  log(renderScenario(result))
  return result
}

const baselineOf = (result: ScenarioResult) => result.rows.find((row) => row.spec === "raw")

const renderScenario = (result: ScenarioResult): string => {
  const base = baselineOf(result)
  const baseCpu = base === undefined ? NaN : median(base.cpu)
  const baseWall = base === undefined ? NaN : median(base.wall)
  const baseFirst = base === undefined ? NaN : median(base.firstEvent)
  const streaming = result.scenario.unit === "1,000 events"
  const unit = result.scenario.unit
  const header = [
    "client",
    `client CPU ms / ${unit} (min–max)`,
    "× raw SDK",
    `wall ms / ${unit}`,
    "× raw",
    `${
      unit === "request" ? "requests" : unit === "agent step" ? "steps" : unit === "1,000 texts" ? "texts" : "events"
    }/s`,
    ...(streaming ? ["first text delta ms", "Δ vs raw ms"] : []),
    "emulator CPU ms / unit",
    "peak RSS MiB"
  ]
  const lines = [`| ${header.join(" | ")} |`, `|${header.map(() => " --- ").join("|")}|`]
  for (const row of result.rows) {
    if (!row.supported || row.cpu.length === 0) {
      lines.push(`| ${row.client} | ${row.note ?? "not supported (see notes)"} |${" |".repeat(header.length - 2)}`)
      continue
    }
    const cpu = median(row.cpu)
    const wall = median(row.wall)
    const throughputScale = unit === "1,000 events" || unit === "1,000 texts" ? 1000 : 1
    lines.push(
      `| ${
        [
          row.client,
          `${fmt(cpu)} (${range(row.cpu)})`,
          `**${fmt(cpu / baseCpu)}**`,
          fmt(wall),
          fmt(wall / baseWall),
          fmt(median(row.throughput) * throughputScale),
          ...(streaming ? [fmt(median(row.firstEvent)), fmt(median(row.firstEvent) - baseFirst)] : []),
          fmt(median(row.emulatorCpu)),
          fmt(Math.max(...row.maxRssMiB))
        ].join(" | ")
      } |`
    )
  }
  return lines.join("\n")
}

interface HoldResult {
  readonly client: string
  readonly supported: boolean
  readonly idleRssMiB: number
  readonly peakRssMiB: number
  readonly wallMs: number
  readonly cpuMs: number
}

interface SoakRow {
  readonly client: string
  readonly result?: SoakResult | undefined
  readonly error?: string | undefined
}

const runHoldOpen = async (specs: ReadonlyArray<string>): Promise<Array<HoldResult>> => {
  log(
    `\n## ${holdOpen.streams} streams held open at once (emulator: ${holdOpen.ttftMs} ms to first token, ${holdOpen.tokensPerSecond} tokens/s)`
  )
  const emulator = await spawnEmulator({
    timeToFirstTokenMs: holdOpen.ttftMs,
    tokensPerSecond: holdOpen.tokensPerSecond
  })
  const out: Array<HoldResult> = []
  try {
    for (const spec of specs) {
      const worker = await spawnWorker(spec, emulator.url)
      try {
        await worker.run({
          id: 0,
          type: "run",
          scenario: "stream",
          n: 2,
          concurrency: 1,
          prompt: "Write 20 words about herons",
          maxTokens: holdOpen.maxTokens
        })
        const result = await worker.run({
          id: 0,
          type: "run",
          scenario: "stream",
          n: holdOpen.streams,
          concurrency: holdOpen.streams,
          prompt: "Write 40 words about herons",
          maxTokens: holdOpen.maxTokens
        })
        if (result.firstEventMs?.length !== holdOpen.streams) {
          throw new Error(`${spec}: not every stream delivered text`)
        }
        out.push({
          client: worker.name,
          supported: true,
          idleRssMiB: mib(worker.readyRssBytes),
          peakRssMiB: mib(result.maxRssBytes),
          wallMs: result.wallMs,
          cpuMs: result.cpuUs / 1000
        })
        log(`  ${worker.name}: peak RSS ${fmt(mib(result.maxRssBytes))} MiB in ${fmt(result.wallMs)} ms`)
      } finally {
        await worker.close()
      }
    }
  } finally {
    await emulator.close()
  }
  return out
}

const runSoak = async (specs: ReadonlyArray<string>, endpoint: string): Promise<Array<SoakRow>> => {
  log(
    `\n## ${
      soak.total.toLocaleString("en")
    } sequential Converse requests per client (all clients at once, each in its own process)`
  )
  const spawned = await Promise.allSettled(specs.map((spec) => spawnWorker(spec, endpoint)))
  const workers = spawned.flatMap((s) => s.status === "fulfilled" ? [s.value] : [])
  try {
    return await Promise.all(workers.map(async (worker): Promise<SoakRow> => {
      try {
        const result = await worker.soak({ id: 0, type: "soak", ...soak })
        log(
          `  ${worker.name}: heap ${fmt(mib(result.afterCheckpoint.heapUsed))} → ${
            fmt(mib(result.atEnd.heapUsed))
          } MiB, RSS ${fmt(mib(result.afterCheckpoint.rss))} → ${fmt(mib(result.atEnd.rss))} MiB`
        )
        return { client: worker.name, result }
      } catch (error) {
        return { client: worker.name, error: String(error) }
      }
    }))
  } finally {
    await Promise.all(workers.map((worker) => worker.close()))
  }
}

// ---------------------------------------------------------------------------
// RESULTS.md
// ---------------------------------------------------------------------------

const versionOf = (dir: string, name: string): string => {
  try {
    return (JSON.parse(readFileSync(join(dir, "node_modules", name, "package.json"), "utf8")) as { version: string })
      .version
  } catch {
    return "?"
  }
}

const machine = () => {
  const cpus = Os.cpus()
  let commit = "?"
  try {
    commit = execSync("git rev-parse --short HEAD", { cwd: repo }).toString().trim()
  } catch {
    // not a git checkout
  }
  return [
    `- machine: ${cpus.length} × ${cpus[0]?.model ?? "?"} (\`nproc\` ${Os.availableParallelism()}), ${
      fmt(Os.totalmem() / 2 ** 30)
    } GiB, ${Os.type()} ${Os.release()}`,
    `- Node ${process.version}; load average at start ${Os.loadavg().map((x) => x.toFixed(1)).join(" ")}`,
    `- date: ${new Date().toISOString()}; commit ${commit}; command: \`npm run bench:compare${
      argv.length > 0 ? ` -- ${argv.join(" ")}` : ""
    }\``,
    `- versions: bedrock-llm (this repo, compiled dist) over @aws-sdk/client-bedrock-runtime ${
      versionOf(repo, "@aws-sdk/client-bedrock-runtime")
    }, effect ${versionOf(repo, "effect")};` +
    ` raw SDK @aws-sdk/client-bedrock-runtime ${versionOf(here, "@aws-sdk/client-bedrock-runtime")};` +
    ` @effect/ai-amazon-bedrock ${versionOf(here, "@effect/ai-amazon-bedrock")} (@effect/ai ${
      versionOf(here, "@effect/ai")
    }, @effect/platform ${versionOf(here, "@effect/platform")}, effect ${versionOf(here, "effect")});` +
    ` @effect/ai over bedrock-llm: @effect/ai ${versionOf(repo, "@effect/ai")} with bedrock-llm/ai;` +
    ` ai ${versionOf(here, "ai")} + @ai-sdk/amazon-bedrock ${versionOf(here, "@ai-sdk/amazon-bedrock")};` +
    ` @langchain/aws ${versionOf(here, "@langchain/aws")} + @langchain/core ${versionOf(here, "@langchain/core")}`
  ].join("\n")
}

const headline = (results: ReadonlyArray<ScenarioResult>, key: string, spec = "ours", baseSpec = "raw") => {
  const result = results.find((r) => r.scenario.id === key)
  const base = result?.rows.find((r) => r.spec === baseSpec)
  const row = result?.rows.find((r) => r.spec === spec)
  if (base === undefined || row === undefined || row.cpu.length === 0) return undefined
  return {
    ratio: median(row.cpu) / median(base.cpu),
    firstEventDelta: median(row.firstEvent) - median(base.firstEvent)
  }
}

const cheaperPeers = (results: ReadonlyArray<ScenarioResult>): Array<string> => {
  const out: Array<string> = []
  for (const result of results) {
    const ours = result.rows.find((row) => row.spec === "ours")
    if (ours === undefined || ours.cpu.length === 0) continue
    for (const row of result.rows) {
      const ownOrBaseline = row.spec === "ours" || row.spec === "promise" || row.spec === "effectAiOurs" ||
        row.spec.startsWith("raw") || row.spec.startsWith("ours:")
      if (ownOrBaseline || row.cpu.length === 0) continue
      if (median(row.cpu) < median(ours.cpu)) {
        const unary = result.rows.find((r) => r.spec === "ours:unary-steps" && r.cpu.length > 0)
        out.push(
          `${result.scenario.id}: ${row.client} ${fmt(median(row.cpu))} ms vs ours ${
            fmt(median(ours.cpu))
          } ms per ${result.scenario.unit}${
            unary === undefined ? "" : ` (${fmt(median(unary.cpu))} ms with \`streaming: false\`)`
          }`
        )
      }
    }
  }
  return out
}

const renderResults = (
  results: ReadonlyArray<ScenarioResult>,
  hold: ReadonlyArray<HoldResult>,
  soakRows: ReadonlyArray<SoakRow>,
  startedAt: number
): { readonly body: string; readonly closing: string } => {
  const converse = headline(results, "converse-c1")
  const converse16 = headline(results, "converse-c16")
  const converse128 = headline(results, "converse-c128")
  const stream = headline(results, "stream-1000")
  /** Same transport: bedrock-llm's default (one shared HTTP/2 session) against the raw SDK on one shared session. */
  const sameTransport = [1, 16, 128].map((c) => headline(results, `converse-c${c}`, "ours", "raw:mux"))
  const cheaper = cheaperPeers(results)
  const sections = results.map((r) =>
    [
      `### ${r.scenario.title}`,
      "",
      r.eventsPerStream === undefined
        ? ""
        : `Each stream is ${fmt(r.eventsPerStream)} wire events; CPU is per 1,000 wire events for every client.\n`,
      renderScenario(r)
    ].join("\n")
  )
  const holdTable = [
    "| client | RSS when ready MiB | peak RSS MiB | wall ms (all streams) | client CPU ms |",
    "| --- | --- | --- | --- | --- |",
    ...hold.map((h) =>
      `| ${h.client} | ${fmt(h.idleRssMiB)} | ${fmt(h.peakRssMiB)} | ${fmt(h.wallMs)} | ${fmt(h.cpuMs)} |`
    )
  ].join("\n")
  const soakTable = [
    "| client | heap after 1,000 MiB | heap at end MiB | Δ heap MiB | RSS after 1,000 MiB | RSS at end MiB | peak RSS MiB | client CPU ms / request |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...soakRows.map((s) =>
      s.result === undefined
        ? `| ${s.client} | failed: ${s.error} | | | | | | |`
        : `| ${s.client} | ${fmt(mib(s.result.afterCheckpoint.heapUsed))} | ${fmt(mib(s.result.atEnd.heapUsed))} | ${
          fmt(mib(s.result.atEnd.heapUsed - s.result.afterCheckpoint.heapUsed))
        } | ${fmt(mib(s.result.afterCheckpoint.rss))} | ${fmt(mib(s.result.atEnd.rss))} | ${
          fmt(mib(s.result.maxRssBytes))
        } | ${fmt(s.result.cpuUs / 1000 / soak.total)} |`
    )
  ].join("\n")
  const body = [
    "# bedrock-llm against the raw AWS SDK and the peer libraries",
    "",
    "Generated by `npm run bench:compare` (`bench/compare/run.ts`); the analysis section is `bench/compare/ANALYSIS.md`.",
    "Every client runs in its own Node process against one emulator process on loopback; figures are the client",
    "process's own CPU time (user + system, `process.cpuUsage`), wall time, throughput and peak RSS",
    `(\`process.resourceUsage().maxRSS\`). One warm-up run per client and scenario, then ${rounds} measured rounds (streams: ${
      scenarios.find((x) => x.id === "stream-1000")?.rounds ?? rounds
    }, embeddings: ${embedRounds}) that`,
    "rotate the order of the clients; the median is quoted with the min–max of the rounds, and **× raw SDK** is the",
    "ratio of medians to the raw SDK measured in the same run. Transports: the unmarked raw SDK row is the SDK's",
    "default for Bedrock (HTTP/2, a new session per request); `raw SDK (mux)` shares one HTTP/2 session",
    "(`disableConcurrentStreams: false`); the unmarked bedrock-llm rows use its default (HTTP/2, one session shared by",
    "unary requests, `ConnectionConfig.multiplex`), `isolated` the SDK's session per request; `h1` = HTTP/1.1 keep-alive.",
    "Same transport: `bedrock-llm (Effect)` ÷ `raw SDK (mux)`, `bedrock-llm (Effect, isolated)` ÷ `raw SDK`.",
    "Agent: the unmarked bedrock-llm row streams each step (its default: tools start while the model still writes);",
    "`unary-steps` is `Agent.make({ streaming: false })`, one Converse call per step as in the raw SDK and peer loops.",
    "",
    "## Machine",
    "",
    machine(),
    `- total time: ${fmt((performance.now() - startedAt) / 1000)} s`,
    "",
    "## Headline",
    "",
    `- Converse, client CPU per request, bedrock-llm ÷ raw SDK: ${fmt(converse?.ratio ?? NaN)} at concurrency 1, ${
      fmt(converse16?.ratio ?? NaN)
    } at 16, ${fmt(converse128?.ratio ?? NaN)} at 128 (goal ≤ 1.10)`,
    `  - on the same transport (both on one shared HTTP/2 session, \`raw SDK (mux)\`): ${
      sameTransport.map((h) => fmt(h?.ratio ?? NaN)).join(" / ")
    } at concurrency 1 / 16 / 128`,
    `- ConverseStream, client CPU per 1,000 events: ${
      fmt(stream?.ratio ?? NaN)
    } (goal ≤ 1.10); time-to-first-event overhead ${fmt(stream?.firstEventDelta ?? NaN)} ms (goal < 1 ms)`,
    `- peers cheaper than bedrock-llm (Effect API) on client CPU: ${cheaper.length === 0 ? "none" : ""}`,
    ...cheaper.map((line) => `  - ${line}`),
    "",
    "## Results",
    "",
    ...sections.flatMap((s) => [s, ""]),
    `### ${holdOpen.streams.toLocaleString("en")} streams held open at once`,
    "",
    `Emulator paced at ${holdOpen.ttftMs} ms to first token and ${holdOpen.tokensPerSecond} tokens/s, answers cut at ${holdOpen.maxTokens} tokens, so every stream is open for about ${
      fmt(holdOpen.ttftMs / 1000 + holdOpen.maxTokens / holdOpen.tokensPerSecond)
    } s. A fresh process per client (peak RSS is per process).`,
    "",
    holdTable,
    "",
    `### ${soak.total.toLocaleString("en")} sequential Converse requests`,
    "",
    "Each client in a fresh process started with `--expose-gc`, all at once against one emulator; heap and RSS are",
    `read after a full GC, after the first ${soak.checkpoint.toLocaleString("en")} requests and at the end.`,
    "",
    soakTable,
    ""
  ].join("\n")
  const closing = [
    "## Closing note",
    "",
    `Headline ratios of this run (bedrock-llm Effect API ÷ raw SDK, client CPU): Converse ${
      fmt(converse?.ratio ?? NaN)
    } / ${fmt(converse16?.ratio ?? NaN)} / ${
      fmt(converse128?.ratio ?? NaN)
    } at concurrency 1 / 16 / 128, ConverseStream ${fmt(stream?.ratio ?? NaN)} per 1,000 events, time to first event +${
      fmt(stream?.firstEventDelta ?? NaN)
    } ms; ${cheaper.length} scenario/peer pairs where a peer is cheaper.`,
    ""
  ].join("\n")
  return { body, closing }
}

/** The whole `RESULTS.md`: a run's tables, the hand-written analysis as it is now, the run's closing note. */
const assemble = (run: { readonly body: string; readonly closing: string }): string => {
  const analysisPath = join(here, "ANALYSIS.md")
  const analysis = existsSync(analysisPath) ? readFileSync(analysisPath, "utf8").trim() : "(no analysis yet)"
  return [run.body, "## Analysis", "", analysis, "", run.closing].join("\n")
}

/** A run's rendered tables, kept so that `--render` can rebuild `RESULTS.md` after the analysis is written. */
const lastRunPath = join(here, "last-run.json")

// ---------------------------------------------------------------------------
// main
// ---------------------------------------------------------------------------

/** The peers live in `bench/compare/node_modules`, installed from the lockfile on first use. */
const ensurePeersInstalled = () => {
  if (existsSync(join(here, "node_modules", "@langchain", "aws"))) return
  log("installing the peer libraries (npm ci --prefix bench/compare) ...")
  execSync("npm ci --prefix bench/compare --no-audit --no-fund", { cwd: repo, stdio: "inherit" })
}

/** bedrock-llm is measured as a user runs it: the compiled `dist` (`npm run build`), like every peer's package. */
const buildLibrary = () => {
  log("building bedrock-llm (npm run build) ...")
  execSync("npm run build --silent", { cwd: repo, stdio: "inherit" })
}

const main = async () => {
  if (flag("render")) {
    writeFileSync(join(here, "..", "RESULTS.md"), assemble(JSON.parse(readFileSync(lastRunPath, "utf8"))))
    log("wrote bench/RESULTS.md from bench/compare/last-run.json and the current ANALYSIS.md")
    return
  }
  const startedAt = performance.now()
  ensurePeersInstalled()
  buildLibrary()
  const emulator = await spawnEmulator({})
  log(`emulator ${emulator.url} (pid ${emulator.pid}); ${rounds} rounds${quick ? ", quick" : ""}`)
  const selected = scenarios.filter((s) => only === undefined || s.id.includes(only))
  const specs = [...new Set(selected.flatMap((s) => s.clients))]
  const workers = new Map<string, Worker>()
  for (const spec of specs) {
    const worker = await spawnWorker(spec, emulator.url)
    workers.set(spec, worker)
    log(`  ${spec}: ${worker.name} ready`)
  }
  const results: Array<ScenarioResult> = []
  let hold: Array<HoldResult> = []
  let soakRows: Array<SoakRow> = []
  try {
    for (const scenario of selected) results.push(await runScenario(scenario, workers, emulator))
  } finally {
    await Promise.all([...workers.values()].map((worker) => worker.close()))
  }
  try {
    if (only === undefined || "hold-open".includes(only)) hold = await runHoldOpen(mainClients)
    if (only === undefined || "soak".includes(only)) soakRows = await runSoak(mainClients, emulator.url)
  } finally {
    await emulator.close()
  }
  const run = renderResults(results, hold, soakRows, startedAt)
  if (write) {
    writeFileSync(lastRunPath, JSON.stringify(run, null, 2) + "\n")
    writeFileSync(join(here, "..", "RESULTS.md"), assemble(run))
    log(`\nwrote bench/RESULTS.md (${fmt((performance.now() - startedAt) / 1000)} s)`)
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:compare failed: ${error instanceof Error ? error.stack : String(error)}\n`)
  process.exit(1)
})
