/**
 * Batch inference memory: submitting and reading back N records through `BatchInference` (records generated as a
 * stream, JSONL streamed to S3 by multipart upload, results streamed back from S3) must cost the same peak memory
 * for 100,000 records as for 10,000. Each size runs in a fresh client process (its peak RSS is the figure); the
 * emulator and its S3 server run in this process, so their memory is not counted.
 *
 *   npm run bench -- --only batch [--quick] [--sizes 10000,100000]
 */
process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true"

import { Effect, Either, Stream } from "effect"
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import * as BatchInference from "../src/BatchInference.js"
import * as Emulator from "../src/emulator/Emulator.js"
import * as Message from "../src/Message.js"

const argValue = (name: string): string | undefined => {
  const index = process.argv.indexOf(name)
  return index === -1 ? undefined : process.argv[index + 1]
}

const credentials = { accessKeyId: "AKIDBENCH", secretAccessKey: "bench-secret" }
const modelId = "us.amazon.nova-micro-v1:0"

interface ClientFigures {
  readonly records: number
  readonly jobs: number
  readonly results: number
  readonly answered: number
  readonly submitMs: number
  readonly submitRssMiB: number
  readonly readMs: number
  readonly peakRssMiB: number
  readonly heapUsedMiB: number
}

/** The client side: one submission of `count` records, its watch and all its results; prints its figures. */
const client = async (count: number, bedrockEndpoint: string, s3Endpoint: string): Promise<void> => {
  const records = Stream.range(0, count - 1).pipe(Stream.map((index): BatchInference.ConverseRecord => ({
    recordId: `r${index}`,
    messages: [Message.user(`Summarise document ${index}: the quarterly report of a small bakery.`)],
    maxTokens: 64
  })))
  const program = Effect.gen(function*() {
    const batch = yield* BatchInference.BatchInference
    const started = performance.now()
    const submission = yield* batch.submit(records, { modelId })
    yield* Stream.runDrain(batch.watch(submission))
    const submitted = performance.now()
    const submitRssMiB = Math.round(process.resourceUsage().maxRSS / 1024)
    let results = 0
    let answered = 0
    yield* Stream.runForEach(batch.results(submission), (result) =>
      Effect.sync(() => {
        results++
        if (Either.isRight(result.result)) answered++
      }))
    const figures: ClientFigures = {
      records: count,
      jobs: submission.jobs.length,
      results,
      answered,
      submitMs: Math.round(submitted - started),
      submitRssMiB,
      readMs: Math.round(performance.now() - submitted),
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      heapUsedMiB: Math.round(process.memoryUsage().heapUsed / 1024 / 1024)
    }
    process.stdout.write(`${JSON.stringify(figures)}\n`)
  })
  await Effect.runPromise(Effect.provide(
    program,
    BatchInference.layer({
      bucket: "bench",
      roleArn: "arn:aws:iam::123456789012:role/BedrockBatchInference",
      credentials,
      bedrockEndpoint,
      s3Endpoint,
      pollInterval: "50 millis"
    })
  ))
}

/** A client run; `heapMiB` caps V8's old space (to show the live set, not how far V8 lets garbage grow). */
const runClient = (
  count: number,
  emulator: Emulator.RunningEmulator,
  heapMiB: number | undefined
): Promise<ClientFigures & { readonly heapCap: string }> =>
  new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [
        ...(heapMiB !== undefined ? [`--max-old-space-size=${heapMiB}`] : []),
        "--import",
        "tsx",
        fileURLToPath(import.meta.url),
        "--client",
        String(count),
        emulator.url,
        emulator.batch!.s3Url
      ],
      { maxBuffer: 1 << 20, env: process.env },
      (error, stdout, stderr) =>
        error !== null
          ? reject(new Error(`${error.message}\n${stderr}`))
          : resolve({ ...JSON.parse(stdout.trim()), heapCap: heapMiB === undefined ? "none" : `${heapMiB} MiB` })
    )
  })

const main = async (): Promise<void> => {
  const sizes = (argValue("--sizes") ?? (process.argv.includes("--quick") ? "1000,10000" : "10000,100000"))
    .split(",").map(Number)
  const emulator = await Emulator.start({ batch: true })
  try {
    await Effect.runPromise(
      BatchInference.ensureBucket({ bucket: "bench", credentials, s3Endpoint: emulator.batch!.s3Url })
    )
    const rows: Array<ClientFigures & { readonly heapCap: string }> = []
    for (const heapMiB of [undefined, 96]) {
      for (const size of sizes) rows.push(await runClient(size, emulator, heapMiB))
    }
    process.stdout.write(
      "| old-space cap | records | jobs | results (answered) | submit + watch | read | peak RSS after submit | peak RSS | heap used at end |\n" +
        "| ------------: | ------: | ---: | -----------------: | -------------: | ---: | ---: | -------: | ---------------: |\n"
    )
    for (const row of rows) {
      process.stdout.write(
        `| ${row.heapCap} | ${row.records.toLocaleString("en-US")} | ${row.jobs} | ${
          row.results.toLocaleString("en-US")
        } (${row.answered.toLocaleString("en-US")}) | ${(row.submitMs / 1000).toFixed(1)} s | ${
          (row.readMs / 1000).toFixed(1)
        } s | ${row.submitRssMiB} MiB | ${row.peakRssMiB} MiB | ${row.heapUsedMiB} MiB |\n`
      )
      if (row.results !== row.records) throw new Error(`${row.records} records gave ${row.results} results`)
    }
  } finally {
    await emulator.close()
  }
}

const clientAt = process.argv.indexOf("--client")
if (clientAt !== -1) {
  await client(Number(process.argv[clientAt + 1]), process.argv[clientAt + 2]!, process.argv[clientAt + 3]!)
} else {
  await main()
}
