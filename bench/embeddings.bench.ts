/**
 * Embeddings throughput: 10,000 short texts through the emulator (in its own process, so that its CPU time is its
 * own), with `EmbeddingsClient.embedMany` (batching per model limit, bounded concurrency, deduplication) versus a
 * naive loop that sends one InvokeModel call per text and waits for each answer. Reports requests made, wall time,
 * texts per second and the CPU time of the client and emulator processes.
 *
 *   npm run bench -- --only embeddings [--quick] [--texts 10000]
 */
process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true"

import { Effect, Either, Layer, Redacted } from "effect"
import * as Os from "node:os"
import * as BedrockRuntime from "../src/BedrockRuntime.js"
import { ClientConfig, StaticCredentials } from "../src/Config.js"
import * as EmbeddingsClient from "../src/EmbeddingsClient.js"
import { cpuDelta, spawnEmulator } from "./support/spawnEmulator.js"

const argValue = (name: string): string | undefined => {
  const index = process.argv.indexOf(name)
  return index === -1 ? undefined : process.argv[index + 1]
}

const quick = process.argv.includes("--quick")
const count = Number(argValue("--texts") ?? (quick ? 1_000 : 10_000))

const subjects = ["the cat", "a red fox", "our team", "the market", "my neighbour", "this recipe", "the river"]
const verbs = ["likes", "avoids", "describes", "changes", "follows", "questions", "improves"]
const objects = ["the weather", "new ideas", "long walks", "fresh bread", "quiet evenings", "old maps", "fast trains"]

/** `n` distinct short texts (five to eight words). */
const textsOf = (n: number): Array<string> =>
  Array.from(
    { length: n },
    (_, i) => `${subjects[i % 7]} ${verbs[Math.floor(i / 7) % 7]} ${objects[Math.floor(i / 49) % 7]} number ${i}`
  )

interface Row {
  readonly scenario: string
  readonly model: string
  readonly texts: number
  readonly requests: number
  readonly wallMs: number
  readonly clientCpuMs: number
  readonly emulatorCpuMs: number
}

const main = async (): Promise<void> => {
  const emulator = await spawnEmulator()
  const config = new ClientConfig({
    region: "us-east-1",
    endpoint: emulator.url,
    credentials: new StaticCredentials({ accessKeyId: "AKIDBENCH", secretAccessKey: Redacted.make("bench-secret") })
  })
  const rows: Array<Row> = []

  const measure = async (
    scenario: string,
    model: string,
    texts: ReadonlyArray<string>,
    program: Effect.Effect<ReadonlyArray<ReadonlyArray<number>>, unknown, BedrockRuntime.BedrockRuntime>
  ): Promise<void> => {
    const layer = BedrockRuntime.layer(config)
    const warmUp = Effect.flatMap(BedrockRuntime.BedrockRuntime, (runtime) =>
      runtime.invokeModel({
        modelId: model,
        body: JSON.stringify(EmbeddingsClient.encodeRequest(resolve(model).dialect, ["warm up"])),
        contentType: "application/json",
        accept: "application/json"
      }))
    const run = Effect.gen(function*() {
      yield* warmUp
      yield* Effect.promise(() => emulator.resetStats())
      const emulatorBefore = yield* Effect.promise(() => emulator.cpu())
      const clientBefore = process.cpuUsage()
      const started = performance.now()
      const vectors = yield* program
      const wallMs = performance.now() - started
      const clientCpu = process.cpuUsage(clientBefore)
      const emulatorAfter = yield* Effect.promise(() => emulator.cpu())
      const stats = yield* Effect.promise(() => emulator.stats())
      if (vectors.length !== texts.length) throw new Error(`${scenario}: ${vectors.length} vectors`)
      rows.push({
        scenario,
        model,
        texts: texts.length,
        requests: stats.requestsByOperation["InvokeModel"] ?? 0,
        wallMs,
        clientCpuMs: (clientCpu.user + clientCpu.system) / 1000,
        emulatorCpuMs: cpuDelta(emulatorBefore, emulatorAfter) / 1000
      })
      process.stdout.write(`  ${scenario} (${model}): ${Math.round(wallMs)} ms\n`)
    })
    await Effect.runPromise(Effect.scoped(Effect.provide(run, layer)))
  }

  const naive = (model: string, texts: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      const runtime = yield* BedrockRuntime.BedrockRuntime
      const { dialect } = resolve(model)
      const vectors: Array<ReadonlyArray<number>> = []
      for (const text of texts) {
        const output = yield* runtime.invokeModel({
          modelId: model,
          body: JSON.stringify(EmbeddingsClient.encodeRequest(dialect, [text])),
          contentType: "application/json",
          accept: "application/json"
        })
        const decoded = EmbeddingsClient.decodeResponse(dialect, JSON.parse(new TextDecoder().decode(output.body)))
        if (Either.isLeft(decoded)) return yield* Effect.fail(decoded.left)
        vectors.push(decoded.right.vectors[0]!)
      }
      return vectors
    })

  const batched = (model: string, texts: ReadonlyArray<string>, concurrency: number) =>
    Effect.flatMap(EmbeddingsClient.EmbeddingsClient, (client) => client.embedMany(texts)).pipe(
      Effect.provide(EmbeddingsClient.layer({ model, cache: false, concurrency }).pipe(Layer.orDie))
    )

  const distinct = textsOf(count)
  const repeated = Array.from({ length: count }, (_, i) => distinct[i % Math.ceil(count / 4)]!)
  const cohere = "cohere.embed-english-v3"
  const titan = "amazon.titan-embed-text-v2:0"

  process.stdout.write(`embeddings: ${count} texts, emulator pid ${emulator.pid} at ${emulator.url}\n`)
  try {
    await measure("naive loop, 1 text per call", cohere, distinct, naive(cohere, distinct))
    await measure("embedMany, concurrency 4", cohere, distinct, batched(cohere, distinct, 4))
    await measure("embedMany, 25% distinct texts", cohere, repeated, batched(cohere, repeated, 4))
    await measure("naive loop, 1 text per call", titan, distinct, naive(titan, distinct))
    await measure("embedMany, concurrency 4", titan, distinct, batched(titan, distinct, 4))
    await measure("embedMany, concurrency 16", titan, distinct, batched(titan, distinct, 16))
    await measure("embedMany, 25% distinct texts", titan, repeated, batched(titan, repeated, 4))
  } finally {
    await emulator.close()
  }

  const cpus = Os.cpus()
  process.stdout.write(
    `\nmachine: ${cpus.length} x ${cpus[0]?.model ?? "cpu"}, ${Math.round(Os.totalmem() / 2 ** 30)} GiB, ` +
      `node ${process.version}, load average ${Os.loadavg().map((l) => l.toFixed(1)).join(" ")}\n\n`
  )
  process.stdout.write(
    "| model | scenario | texts | requests | wall time | texts/s | client CPU | emulator CPU |\n" +
      "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n"
  )
  for (const row of rows) {
    process.stdout.write(
      `| ${row.model} | ${row.scenario} | ${row.texts} | ${row.requests} | ${(row.wallMs / 1000).toFixed(2)} s | ${
        Math.round(row.texts / (row.wallMs / 1000))
      } | ${(row.clientCpuMs / 1000).toFixed(2)} s | ${(row.emulatorCpuMs / 1000).toFixed(2)} s |\n`
    )
  }
}

const resolve = (model: string): EmbeddingsClient.EmbeddingsClient.Model =>
  Either.getOrThrow(EmbeddingsClient.resolveModel(model))

main().catch((error: unknown) => {
  process.stderr.write(`embeddings bench failed: ${error instanceof Error ? error.stack : String(error)}\n`)
  process.exit(1)
})
