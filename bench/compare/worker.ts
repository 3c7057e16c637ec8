/**
 * One client under test, in its own process: `node --import tsx bench/compare/worker.ts <client[:variant]> <endpoint>`
 * (forked by `run.ts` with an IPC channel). It loads the client's adapter, says `ready`, then runs what it is asked
 * and answers with its own CPU time (`process.cpuUsage`, user + system), wall time and memory for that run only.
 */
import type { Adapter } from "./clients/Adapter.js"

// tsx turns Node's source-map support on; a user's compiled program does not run with it. Left on, every module that
// ships a source map (effect does, the AWS SDK does not) has it read and kept in memory, and every stack trace taken
// (e.g. for a span) is mapped: a cost that falls on some clients and not others. Off before any client is loaded.
process.setSourceMapsEnabled(false)

/** Set by `bootstrap.mjs`: turns tsx off once the client is loaded. */
declare const benchUnregisterTsx: (() => Promise<void>) | undefined

export type Command =
  | {
    readonly id: number
    readonly type: "run"
    readonly scenario: "converse" | "stream" | "agent" | "embed"
    readonly n: number
    readonly concurrency: number
    readonly prompt?: string | undefined
    readonly maxTokens?: number | undefined
    readonly salt?: string | undefined
  }
  | { readonly id: number; readonly type: "soak"; readonly total: number; readonly checkpoint: number }
  | { readonly id: number; readonly type: "close" }

export interface RunResult {
  readonly cpuUs: number
  readonly wallMs: number
  /** Characters, vectors or events, depending on the scenario (a sanity check that work was done). */
  readonly units: number
  readonly firstEventMs?: ReadonlyArray<number> | undefined
  readonly rssBytes: number
  readonly maxRssBytes: number
}

export interface SoakResult {
  readonly afterCheckpoint: NodeJS.MemoryUsage
  readonly atEnd: NodeJS.MemoryUsage
  readonly maxRssBytes: number
  readonly cpuUs: number
  readonly wallMs: number
}

const loaders: Record<string, (endpoint: string, variant: string | undefined) => Promise<Adapter>> = {
  raw: async (endpoint, variant) => (await import("./clients/raw.js")).make(endpoint, variant as never),
  ours: async (endpoint, variant) => (await import("../support/bedrockLlmAdapter.js")).make(endpoint, variant as never),
  promise: async (endpoint) => (await import("../support/bedrockLlmPromiseAdapter.js")).make(endpoint),
  effectAi: async (endpoint) => (await import("./clients/effectAi.js")).make(endpoint),
  effectAiOurs: async (endpoint) => (await import("../support/effectAiOverBedrockLlmAdapter.js")).make(endpoint),
  vercel: async (endpoint) => (await import("./clients/vercel.js")).make(endpoint),
  langchain: async (endpoint) => (await import("./clients/langchain.js")).make(endpoint)
}

const cpuNow = (): number => {
  const usage = process.cpuUsage()
  return usage.user + usage.system
}

const gc = (): void => {
  const collect = (globalThis as { gc?: () => void }).gc
  collect?.()
  collect?.()
}

const texts = (n: number, salt: string): Array<string> =>
  Array.from(
    { length: n },
    (_, i) => `Note ${salt}-${i}: the ${i % 7 === 0 ? "blue" : "green"} heron waits by pond ${i}`
  )

const main = async (): Promise<void> => {
  const [spec = "raw", endpoint = ""] = process.argv.slice(2)
  const [client = "raw", variant] = spec.split(":")
  const load = loaders[client]
  if (load === undefined) throw new Error(`unknown client ${client}`)
  const adapter = await load(endpoint, variant)
  if (typeof benchUnregisterTsx === "function") await benchUnregisterTsx()
  const reply = (message: unknown) => {
    if (process.connected) process.send?.(message)
  }
  process.on("disconnect", () => process.exit(0))

  const run = async (command: Extract<Command, { type: "run" }>): Promise<RunResult> => {
    const input = command.scenario === "embed" ? texts(command.n, command.salt ?? "0") : undefined
    gc()
    const cpu0 = cpuNow()
    const t0 = performance.now()
    let units: number
    let firstEventMs: ReadonlyArray<number> | undefined
    switch (command.scenario) {
      case "converse":
        units = await adapter.converse(command.n, command.concurrency)
        break
      case "stream": {
        const result = await adapter.stream(command.n, command.concurrency, command.prompt!, command.maxTokens!)
        units = result.events
        firstEventMs = result.firstEventMs
        break
      }
      case "agent":
        units = await adapter.agent!(command.n, command.concurrency)
        break
      case "embed":
        units = await adapter.embed!(input!, command.concurrency)
        break
    }
    const wallMs = performance.now() - t0
    const cpuUs = cpuNow() - cpu0
    return {
      cpuUs,
      wallMs,
      units,
      firstEventMs,
      rssBytes: process.memoryUsage().rss,
      maxRssBytes: process.resourceUsage().maxRSS * 1024
    }
  }

  const soak = async (command: Extract<Command, { type: "soak" }>): Promise<SoakResult> => {
    const cpu0 = cpuNow()
    const t0 = performance.now()
    await adapter.converse(command.checkpoint, 1)
    gc()
    const afterCheckpoint = process.memoryUsage()
    for (let done = command.checkpoint; done < command.total; done += command.checkpoint) {
      await adapter.converse(Math.min(command.checkpoint, command.total - done), 1)
    }
    gc()
    return {
      afterCheckpoint,
      atEnd: process.memoryUsage(),
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      cpuUs: cpuNow() - cpu0,
      wallMs: performance.now() - t0
    }
  }

  process.on("message", (command: Command) => {
    const answer = (work: Promise<unknown>) =>
      work.then(
        (value) => reply({ id: command.id, value }),
        (error: unknown) =>
          reply({ id: command.id, error: error instanceof Error ? error.stack ?? error.message : String(error) })
      )
    switch (command.type) {
      case "run":
        return void answer(run(command))
      case "soak":
        return void answer(soak(command))
      case "close":
        return void adapter.close().finally(() => {
          reply({ id: command.id, value: null })
          process.exit(0)
        })
    }
  })
  gc()
  reply({
    type: "ready",
    name: adapter.name,
    agent: adapter.agent !== undefined,
    embed: adapter.embed !== undefined,
    rssBytes: process.memoryUsage().rss
  })
}

main().catch((error: unknown) => {
  process.stderr.write(`worker failed: ${error instanceof Error ? error.stack : String(error)}\n`)
  process.exit(1)
})
