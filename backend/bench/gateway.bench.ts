/**
 * What the gateway adds over calling the library in-process, on the same emulator: added latency (p50, p99) and CPU
 * per non-streamed request at concurrency 1, 16 and 128, with in-memory stores and with DynamoDB stores (dynalite);
 * time to first token of a stream; and 1,000 concurrent SSE streams on one instance (peak RSS).
 *
 * Everything runs in this process (emulator, gateway, client), so CPU per request is the whole process's CPU divided
 * by requests, for the library path and for the gateway path; the difference is the gateway plus its HTTP hop
 * (client included). Until the client APIs land, the gateway path is the probe group the tests use (the same seam an
 * API calls). dynalite runs in this process too, so the DynamoDB column's CPU includes dynalite's own work (a real
 * DynamoDB costs the gateway only the SDK calls). The machine is shared: figures are indicative.
 *
 * `npm run bench:backend [-- --requests 400 --streams 1000]`
 */
import { BedrockClient, Message } from "bedrock-llm"
import * as Emulator from "bedrock-llm/emulator"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { parseArgs } from "node:util"
import { cpuNow, fmt, median } from "../../bench/support/report.js"
import { dynaliteWithTables } from "../test/support/dynalite.js"
import { runtimeOn, startService } from "../test/support/service.js"

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "400" },
    streams: { type: "string", default: "1000" },
    phases: { type: "string", default: "requests,streams" },
    protocol: { type: "string", default: "http2" }
  }
})
const requests = Number(values.requests)
const streams = Number(values.streams)
const phases = values.phases.split(",")
const connection = values.protocol === "http1.1" ? { protocol: "http1.1" as const, maxSockets: 2_000 } : undefined
const model = "anthropic.claude-3-haiku-20240307-v1:0"
const prompt = "Hello! What is the capital of France?"

const percentile = (xs: ReadonlyArray<number>, p: number) => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

/** Runs `count` calls with `concurrency` in flight; latencies (ms) and CPU per call (µs). */
const measure = async (call: () => Promise<void>, count: number, concurrency: number) => {
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
      const body = JSON.stringify({ model, prompt, maxTokens: 100 })
      const headers = { authorization: `Bearer ${key.secret}`, "content-type": "application/json" }
      return {
        service,
        key,
        call: async () => {
          const response = await fetch(`${service.url}/probe/generate`, { method: "POST", headers, body })
          if (response.status !== 200) throw new Error(`status ${response.status}: ${await response.text()}`)
          await response.arrayBuffer()
        }
      }
    })
  if (phases.includes("requests")) yield* requestsPhase(libraryCall, gatewayOn)
  if (phases.includes("streams")) yield* streamsPhase()
})

const requestsPhase = (
  libraryCall: () => Promise<void>,
  gatewayOn: (dynamoEndpoint?: string) => Effect.Effect<{ readonly call: () => Promise<void> }, unknown, Scope.Scope>
) =>
  Effect.gen(function*() {
    const memory = yield* gatewayOn()
    const dynamo = yield* gatewayOn(yield* dynaliteWithTables)

    const rows: Array<string> = [
      "| concurrency | library p50 / p99 ms | gateway (memory) p50 / p99 ms | added p50 | CPU/request library µs | gateway (memory) µs | added µs | gateway (DynamoDB) p50 / p99 ms | added µs |",
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    ]
    for (const concurrency of [1, 16, 128]) {
      const lib = yield* Effect.promise(() => measure(libraryCall, requests, concurrency))
      const mem = yield* Effect.promise(() => measure(memory.call, requests, concurrency))
      const ddb = yield* Effect.promise(() => measure(dynamo.call, Math.min(requests, 200), concurrency))
      rows.push(
        `| ${concurrency} | ${fmt(lib.p50)} / ${fmt(lib.p99)} | ${fmt(mem.p50)} / ${fmt(mem.p99)} | ${
          fmt(mem.p50 - lib.p50)
        } | ${fmt(lib.cpu)} | ${fmt(mem.cpu)} | ${fmt(mem.cpu - lib.cpu)} | ${fmt(ddb.p50)} / ${fmt(ddb.p99)} | ${
          fmt(ddb.cpu - lib.cpu)
        } |`
      )
      process.stdout.write(`${rows.at(-1)}\n`)
    }
  })

// Streams: a paced emulator (4 tokens/s, about 25 tokens per answer), `streams` SSE streams at once on one instance.
const streamsPhase = () =>
  Effect.gen(function*() {
    const paced = yield* Emulator.make({ tokensPerSecond: 4 })
    const sse = yield* startService({ sharedEmulator: paced, connection })
    const sseKey = yield* sse.createKey()
    let peakRss = process.memoryUsage().rss
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50)
    const firstTokens: Array<number> = []
    const baseRss = process.memoryUsage().rss
    const started = performance.now()
    let peakInFlight = 0
    const inFlightSampler = setInterval(() => (peakInFlight = Math.max(peakInFlight, sse.running.inFlight())), 20)
    const failures: Array<string> = []
    const completed = yield* Effect.promise(() =>
      Promise.all(Array.from({ length: streams }, async (_, i) => {
        // Opened 100 at a time, 20 ms apart: all are open together (each answer streams for about 6 s).
        await new Promise((resolve) => setTimeout(resolve, Math.floor(i / 100) * 20))
        const start = performance.now()
        try {
          const response = await fetch(`${sse.url}/probe/stream`, {
            method: "POST",
            headers: { authorization: `Bearer ${sseKey.secret}`, "content-type": "application/json" },
            body: JSON.stringify({ model, prompt: "Write 20 words about the sea.", maxTokens: 400 })
          })
          const reader = response.body!.getReader()
          let first = true
          let text = ""
          for (;;) {
            const { done, value } = await reader.read()
            if (done) break
            text += new TextDecoder().decode(value)
            if (first && text.includes("ContentBlockDelta")) {
              firstTokens.push(performance.now() - start)
              first = false
            }
          }
          return text.includes("event: Metadata")
        } catch (error) {
          failures.push(String((error as { cause?: unknown }).cause ?? error))
          return false
        }
      }))
    )
    clearInterval(inFlightSampler)
    clearInterval(sampler)
    const streamRows = [
      "",
      `${streams} concurrent SSE streams (paced emulator, 4 tokens/s): ${
        completed.filter(Boolean).length
      } complete in ${fmt((performance.now() - started) / 1000)} s; time to first token p50 ${
        fmt(median(firstTokens))
      } ms, p99 ${fmt(percentile(firstTokens, 99))} ms; peak RSS ${fmt(peakRss / 2 ** 20)} MiB (${
        fmt((peakRss - baseRss) / 2 ** 20)
      } MiB above the start of the phase); at most ${peakInFlight} in flight at once${
        failures.length === 0 ? "" : `; ${failures.length} failed (${[...new Set(failures)].join(", ")})`
      }.`
    ]
    process.stdout.write(`${streamRows.join("\n")}\n`)
  })

Effect.runPromise(Effect.scoped(program)).then(() => process.exit(0), (error) => {
  console.error(error)
  process.exit(1)
})
