/**
 * What the gateway adds over calling the library in-process, on the same emulator: added latency (p50, p99) and CPU
 * per non-streamed request (`POST /v1/chat/completions`) at concurrency 1, 16 and 128, with in-memory stores and with
 * DynamoDB stores (dynalite); where that CPU goes (`--phases breakdown`); and many concurrent SSE streams on one
 * instance (time to first token, peak RSS).
 *
 * The HTTP client runs in a child process (`loadClient.ts`), so the CPU per request is this process's only: the
 * emulator, the library and, on the gateway path, the gateway with its HTTP server. The streams phase runs its paced
 * emulator in a process of its own too, so its peak RSS is the instance's. dynalite runs in this process, so the
 * DynamoDB column's CPU includes dynalite's own work (a real DynamoDB costs the gateway only the SDK calls). The
 * machine is shared: figures are indicative. `--profile DIR` writes a CPU profile of each measured window (read them
 * with `profileTop.ts`) and a heap profile of the streams phase.
 *
 * `npm run bench:backend [-- --phases requests,breakdown,streams --requests 400 --streams 1000 --concurrency 1,16,128]`
 */
import { BedrockClient, Message } from "bedrock-llm"
import * as Emulator from "bedrock-llm/emulator"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { type ChildProcess, fork, spawn } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import * as Inspector from "node:inspector/promises"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import { cpuNow, fmt } from "../../bench/support/report.js"
import { Gateway } from "../src/Gateway.js"
import { CurrentKey } from "../src/keys/Authentication.js"
import { dynaliteWithTables } from "../test/support/dynalite.js"
import { runtimeOn, startService } from "../test/support/service.js"
import type { Job, Outcome } from "./loadClient.js"

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "400" },
    streams: { type: "string", default: "1000" },
    phases: { type: "string", default: "requests,streams" },
    paths: { type: "string", default: "library,memory,dynamodb" },
    concurrency: { type: "string", default: "1,16,128" },
    protocol: { type: "string", default: "http2" },
    profile: { type: "string" }
  }
})
const requests = Number(values.requests)
const streams = Number(values.streams)
const phases = values.phases.split(",")
const paths = values.paths.split(",")
const concurrencies = values.concurrency.split(",").map(Number)
const connection = values.protocol === "http1.1" ? { protocol: "http1.1" as const, maxSockets: 2_000 } : undefined
const model = "anthropic.claude-3-haiku-20240307-v1:0"
const prompt = "Hello! What is the capital of France?"

const percentile = (xs: ReadonlyArray<number>, p: number) => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN
}

interface Measured {
  readonly p50: number
  readonly p99: number
  /** CPU of this process per call, µs. */
  readonly cpu: number
  readonly failed: number
}

/** Runs `count` in-process calls with `concurrency` in flight (after a warm-up). */
const measureInProcess = async (call: () => Promise<void>, count: number, concurrency: number): Promise<Measured> => {
  for (let i = 0; i < Math.min(50, count); i++) await call()
  const latencies: Array<number> = []
  let failed = 0
  let next = 0
  const cpu = cpuNow()
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      next++
      const start = performance.now()
      await call().then(() => latencies.push(performance.now() - start), () => failed++)
    }
  }))
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), cpu: (cpuNow() - cpu) / count, failed }
}

const loadClient = fileURLToPath(new URL("./loadClient.ts", import.meta.url))

/** With `--profile DIR`, a V8 CPU profile of each measured window (not the start-up) is written there. */
const profiler = async () => {
  if (values.profile === undefined) return undefined
  mkdirSync(values.profile, { recursive: true })
  const session = new Inspector.Session()
  session.connect()
  await session.post("Profiler.enable")
  await session.post("Profiler.setSamplingInterval", { interval: 200 })
  return session
}

const profiled = async <A>(name: string, measured: () => Promise<A>): Promise<A> => {
  const session = name === "" ? undefined : await profiler()
  if (session === undefined) return measured()
  await session.post("Profiler.start")
  const result = await measured()
  const { profile } = await session.post("Profiler.stop")
  mkdirSync(values.profile!, { recursive: true })
  writeFileSync(join(values.profile!, `${name}.cpuprofile`), JSON.stringify(profile))
  session.disconnect()
  return result
}

/** Runs `count` HTTP calls from a child process; the CPU is this (the gateway's) process's only. */
const measureOverHttp = (
  job: Omit<Job, "count" | "concurrency" | "warmup">,
  count: number,
  concurrency: number,
  warmup = Math.min(50, count)
) =>
  new Promise<Measured>((resolve, reject) => {
    const child = fork(loadClient, [], { execArgv: ["--import", "tsx"] })
    let cpu = 0
    child.on("message", (message: "ready" | Outcome) => {
      if (message === "ready") {
        cpu = cpuNow()
        child.send("go")
        return
      }
      const spent = (cpuNow() - cpu) / count
      if (message.firstFailure !== undefined) process.stderr.write(`first failure: ${message.firstFailure}\n`)
      child.kill()
      resolve({
        p50: percentile(message.latencies, 50),
        p99: percentile(message.latencies, 99),
        cpu: spent,
        failed: message.failed
      })
    })
    child.on("error", reject)
    child.on("exit", (code) => code === 0 ? undefined : reject(new Error(`load client exited with ${code}`)))
    child.send({ ...job, count, concurrency, warmup } satisfies Job)
  })

const program = Effect.gen(function*() {
  const emulator = yield* Emulator.make()
  const library = Context.get(
    yield* Layer.build(
      BedrockClient.layer({ model: { modelId: model, maxTokens: 100 } }).pipe(
        Layer.provide(runtimeOn(emulator))
      )
    ),
    BedrockClient.BedrockClient
  )
  const libraryCall = () => Effect.runPromise(Effect.asVoid(library.generate([Message.user(prompt)])))

  const gatewayOn = (dynamoEndpoint?: string) =>
    Effect.gen(function*() {
      const service = yield* startService({
        sharedEmulator: emulator,
        ...(dynamoEndpoint === undefined ? {} : { dynamoEndpoint })
      })
      const key = yield* service.createKey({ rpm: 1_000_000, tpm: 1_000_000_000, monthlyBudgetMicroUsd: 1_000_000_000 })
      return {
        url: `${service.url}/v1/chat/completions`,
        headers: { authorization: `Bearer ${key.secret}`, "content-type": "application/json" },
        body: JSON.stringify({ model, messages: [{ role: "user", content: prompt }], max_tokens: 100 })
      }
    })
  if (phases.includes("requests")) yield* requestsPhase(libraryCall, gatewayOn)
  if (phases.includes("breakdown")) yield* breakdownPhase(libraryCall, emulator)
  if (phases.includes("streams")) yield* streamsPhase()
})

const none: Measured = { p50: Number.NaN, p99: Number.NaN, cpu: Number.NaN, failed: 0 }

const requestsPhase = (
  libraryCall: () => Promise<void>,
  gatewayOn: (
    dynamoEndpoint?: string
  ) => Effect.Effect<Omit<Job, "count" | "concurrency" | "warmup">, unknown, Scope.Scope>
) =>
  Effect.gen(function*() {
    const memory = paths.includes("memory") ? yield* gatewayOn() : undefined
    const dynamo = paths.includes("dynamodb") ? yield* gatewayOn(yield* dynaliteWithTables) : undefined

    const rows: Array<string> = [
      "| concurrency | library p50 / p99 ms | gateway (memory) p50 / p99 ms | added p50 | CPU/request library µs | gateway (memory) µs | added µs | gateway (DynamoDB) p50 / p99 ms | added µs |",
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    ]
    for (const concurrency of concurrencies) {
      const lib = paths.includes("library")
        ? yield* Effect.promise(() =>
          profiled(`library-${concurrency}`, () => measureInProcess(libraryCall, requests, concurrency))
        )
        : none
      const mem = memory === undefined
        ? none
        : yield* Effect.promise(() =>
          profiled(`memory-${concurrency}`, () => measureOverHttp(memory, requests, concurrency))
        )
      const ddb = dynamo === undefined
        ? none
        : yield* Effect.promise(() =>
          profiled(`dynamodb-${concurrency}`, () => measureOverHttp(dynamo, Math.min(requests, 200), concurrency))
        )
      const failed = lib.failed + mem.failed + ddb.failed
      rows.push(
        `| ${concurrency} | ${fmt(lib.p50)} / ${fmt(lib.p99)} | ${fmt(mem.p50)} / ${fmt(mem.p99)} | ${
          fmt(mem.p50 - lib.p50)
        } | ${fmt(lib.cpu)} | ${fmt(mem.cpu)} | ${fmt(mem.cpu - lib.cpu)} | ${fmt(ddb.p50)} / ${fmt(ddb.p99)} | ${
          fmt(ddb.cpu - lib.cpu)
        } |${failed === 0 ? "" : ` ${failed} failed`}`
      )
      process.stdout.write(`${rows.at(-1)}\n`)
    }
  })

/**
 * Where the added CPU goes, each part measured on its own and in alternating rounds (a shared machine drifts):
 * the gateway's core (`Gateway.generate` in-process, with the key, limits, budget and usage) over the library, the
 * HTTP stack and request middleware alone (`GET /health/live` from the client process), and the whole OpenAI path.
 */
const breakdownPhase = (libraryCall: () => Promise<void>, emulator: Emulator.RunningEmulator) =>
  Effect.gen(function*() {
    const service = yield* startService({ sharedEmulator: emulator })
    const key = yield* service.createKey({ rpm: 1_000_000, tpm: 1_000_000_000, monthlyBudgetMicroUsd: 1_000_000_000 })
    const gateway = Context.get(service.context, Gateway)
    const gatewayCall = () =>
      Effect.runPromise(
        Effect.asVoid(gateway.generate({ messages: [Message.user(prompt)] }, { api: "openai", model, maxTokens: 100 }))
          .pipe(Effect.provideService(CurrentKey, key.record))
      )
    const headers = { authorization: `Bearer ${key.secret}`, "content-type": "application/json" }
    const chat = {
      url: `${service.url}/v1/chat/completions`,
      headers,
      body: JSON.stringify({ model, messages: [{ role: "user", content: prompt }], max_tokens: 100 })
    }
    const health = { url: `${service.url}/health/live`, headers: {}, body: "", method: "GET" }
    const concurrency = concurrencies[0] ?? 16
    const totals = { library: 0, core: 0, http: 0, chat: 0 }
    const rounds = 4
    for (let round = 0; round < rounds; round++) {
      const named = (name: string) => round === 0 ? `breakdown-${name}` : ""
      totals.library += (yield* Effect.promise(() =>
        profiled(named("library"), () =>
          measureInProcess(libraryCall, requests, concurrency))
      )).cpu
      totals.core += (yield* Effect.promise(() =>
        profiled(named("core"), () =>
          measureInProcess(gatewayCall, requests, concurrency))
      )).cpu
      totals.http += (yield* Effect.promise(() =>
        profiled(named("health"), () => measureOverHttp(health, requests, concurrency))
      )).cpu
      totals.chat += (yield* Effect.promise(() =>
        profiled(named("chat"), () => measureOverHttp(chat, requests, concurrency))
      )).cpu
    }
    const per = (x: number) => fmt(x / rounds)
    process.stdout.write(
      `CPU per request at concurrency ${concurrency} (µs, mean of ${rounds} rounds of ${requests}): library ${
        per(totals.library)
      }; Gateway.generate ${per(totals.core)} (core adds ${per(totals.core - totals.library)}); GET /health/live ${
        per(totals.http)
      }; POST /v1/chat/completions ${per(totals.chat)} (adds ${per(totals.chat - totals.library)} over the library, ${
        per(totals.chat - totals.core - totals.http)
      } beyond the core and the bare HTTP request)\n`
    )
  })

const emulatorCli = fileURLToPath(new URL("../../src/emulator/cli.ts", import.meta.url))

/** The emulator in a process of its own (its memory is not the instance's), stopped with the scope. */
const emulatorProcess = (args: ReadonlyArray<string>) =>
  Effect.acquireRelease(
    Effect.async<{ readonly child: ChildProcess; readonly url: string }, Error>((resume) => {
      const child = spawn(process.execPath, ["--import", "tsx", emulatorCli, "--port", "0", ...args], {
        stdio: ["ignore", "pipe", "inherit"]
      })
      let output = ""
      child.stdout.on("data", (chunk: Buffer) => {
        output += chunk.toString("utf8")
        const url = output.match(/listening on (http:\/\/\S+)/)?.[1]
        if (url !== undefined) resume(Effect.succeed({ child, url }))
      })
      child.on("exit", (code) => resume(Effect.fail(new Error(`the emulator exited with ${code}`))))
    }),
    ({ child }) => Effect.sync(() => child.kill())
  ).pipe(Effect.map(({ url }) => ({ url, stats: () => ({ requests: 0 }) }) as unknown as Emulator.RunningEmulator))

// Streams: a paced emulator (4 tokens/s, about 25 tokens per answer) in its own process, `streams` OpenAI streams at
// once on one instance, from the client process: the peak RSS is the instance's own.
const streamsPhase = () =>
  Effect.gen(function*() {
    const paced = yield* emulatorProcess(["--tokens-per-second", "4"])
    const sse = yield* startService({ sharedEmulator: paced, connection })
    const sseKey = yield* sse.createKey()
    const baseRss = process.memoryUsage().rss
    let peakRss = baseRss
    let peakHeap = 0
    const sampler = setInterval(() => {
      const usage = process.memoryUsage()
      peakRss = Math.max(peakRss, usage.rss)
      peakHeap = Math.max(peakHeap, usage.heapUsed)
    }, 50)
    let peakInFlight = 0
    const inFlightSampler = setInterval(() => (peakInFlight = Math.max(peakInFlight, sse.running.inFlight())), 20)
    const started = performance.now()
    // With `--profile DIR`: what is live on the heap 4 s in, while every stream is open (sampled by allocation site).
    const session = yield* Effect.promise(profiler)
    if (session !== undefined) {
      yield* Effect.promise(() => session.post("HeapProfiler.enable"))
      yield* Effect.promise(() =>
        session.post("HeapProfiler.startSampling", {
          samplingInterval: 32_768,
          includeObjectsCollectedByMajorGC: true,
          includeObjectsCollectedByMinorGC: true
        })
      )
      setTimeout(() =>
        session.post("HeapProfiler.stopSampling").then(({ profile }) => {
          writeFileSync(join(values.profile!, "streams.heapprofile"), JSON.stringify(profile))
          session.disconnect()
        }, (error) => process.stderr.write(`heap profile: ${String(error)}\n`)), 4_000)
    }
    const outcome = yield* Effect.promise(() =>
      measureOverHttp(
        {
          url: `${sse.url}/v1/chat/completions`,
          headers: { authorization: `Bearer ${sseKey.secret}`, "content-type": "application/json" },
          body: JSON.stringify({
            model,
            messages: [{ role: "user", content: "Write 20 words about the sea." }],
            max_tokens: 400,
            stream: true
          }),
          firstMarker: `"content":"`,
          endMarker: "data: [DONE]",
          // Opened 100 at a time, 20 ms apart: all are open together (each answer streams for about 6 s).
          startBatch: 100
        },
        streams,
        streams,
        0
      )
    )
    clearInterval(inFlightSampler)
    clearInterval(sampler)
    process.stdout.write(
      `\n${streams} concurrent SSE streams (paced emulator, 4 tokens/s): ${streams - outcome.failed} complete in ${
        fmt((performance.now() - started) / 1000)
      } s; time to first token p50 ${fmt(outcome.p50)} ms, p99 ${fmt(outcome.p99)} ms; peak RSS ${
        fmt(peakRss / 2 ** 20)
      } MiB (${fmt((peakRss - baseRss) / 2 ** 20)} MiB above the start of the phase), peak heap used ${
        fmt(peakHeap / 2 ** 20)
      } MiB; at most ${peakInFlight} in flight at once${outcome.failed === 0 ? "" : `; ${outcome.failed} failed`}.\n`
    )
  })

Effect.runPromise(Effect.scoped(program)).then(() => process.exit(0), (error) => {
  console.error(error)
  process.exit(1)
})
