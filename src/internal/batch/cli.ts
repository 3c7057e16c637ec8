/**
 * The `batch` commands of the `bedrock-llm` CLI: `submit` (streams a JSONL file into jobs and saves the submission
 * beside it), `status` and `results` (re-attach by the saved job ARNs, so they work from any later process).
 */
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { existsSync } from "node:fs"
import { parseArgs } from "node:util"
import * as BatchInference from "../../BatchInference.js"
import { readJson, readRecords, writeJson, writeResults } from "./jsonl.js"

export const usage = `Usage: bedrock-llm batch <command> [options]

  submit <input.jsonl> --model <id> --bucket <name> --role-arn <arn>
                        streams the records to S3, creates the jobs and saves the submission to
                        <input.jsonl>.batch.json (or --state); with --wait, watches and writes the results
  status  --state <file>          the jobs' states and record counts
  results --state <file> --out <file.jsonl>
                        waits for the jobs, then writes one line per record (response or error); re-runnable

  --prefix <key prefix>  S3 prefix of the submissions (default bedrock-llm-batch/)
  --region <region>      AWS region (default AWS_REGION, else us-east-1)
  --poll-seconds <n>     how often to poll the jobs (default 60)
  --bedrock-endpoint <url>, --s3-endpoint <url>   other endpoints (S3 then path-style)
  --emulator             run against an embedded emulator (implies --wait; nothing outlives the process)
  --min-records <n>, --max-records-per-job <n>, --max-records-per-file <n>   your account's quotas
`

const flags = {
  model: { type: "string" },
  bucket: { type: "string" },
  "role-arn": { type: "string" },
  prefix: { type: "string" },
  region: { type: "string" },
  state: { type: "string" },
  out: { type: "string" },
  "poll-seconds": { type: "string" },
  "bedrock-endpoint": { type: "string" },
  "s3-endpoint": { type: "string" },
  "min-records": { type: "string" },
  "max-records-per-job": { type: "string" },
  "max-records-per-file": { type: "string" },
  wait: { type: "boolean" },
  emulator: { type: "boolean" },
  help: { type: "boolean" }
} as const

/** A command line that cannot run. */
export class UsageError extends Data.TaggedError("UsageError")<{ readonly message: string }> {}

const usageError = (message: string) => new UsageError({ message: `${message}\n\n${usage}` })

/** `[#####.....] 50% 5,000/10,000` */
export const progressBar = (done: number, total: number, width = 30): string => {
  const fraction = total > 0 ? Math.min(1, done / total) : 0
  const filled = Math.round(fraction * width)
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${Math.floor(fraction * 100)}% ${
    done.toLocaleString("en-US")
  }/${total.toLocaleString("en-US")}`
}

const redraw = (line: string) =>
  Effect.sync(() => {
    if (process.stderr.isTTY) process.stderr.write(`\r${line}\u001b[K`)
    else process.stderr.write(`${line}\n`)
  })

const quotasOf = (
  values: { readonly [flag: string]: string | boolean | undefined }
): Partial<BatchInference.Quotas> => {
  const entries: Array<[keyof BatchInference.Quotas, string | boolean | undefined]> = [
    ["minRecordsPerJob", values["min-records"]],
    ["maxRecordsPerJob", values["max-records-per-job"]],
    ["maxRecordsPerFile", values["max-records-per-file"]]
  ]
  return Object.fromEntries(entries.flatMap(([key, value]) => typeof value === "string" ? [[key, Number(value)]] : []))
}

const watchWithBar = (batch: BatchInference.Service, submission: BatchInference.Submission) =>
  batch.watch(submission).pipe(
    Stream.tap((progress) => {
      const total = progress.jobs.reduce((sum, job) => sum + (job.totalRecords ?? 0), 0) ||
        submission.jobs.reduce((sum, job) => sum + job.records, 0)
      const processed = progress.jobs.reduce((sum, job) => sum + (job.processedRecords ?? 0), 0)
      const states = [...new Set(progress.jobs.map((job) => job.status))].join(",")
      return redraw(`${progressBar(processed, total)} processed  jobs: ${states}`)
    }),
    Stream.runDrain
  )

const writeAll = (batch: BatchInference.Service, submission: BatchInference.Submission, out: string) =>
  Effect.gen(function*() {
    yield* watchWithBar(batch, submission)
    yield* Console.error("")
    const total = submission.jobs.reduce((sum, job) => sum + job.records, 0)
    const written = yield* writeResults(out, batch.results(submission), (count) => {
      if (count % 1000 === 0 || count === total) void Effect.runSync(redraw(`${progressBar(count, total)} written`))
    })
    const cost = yield* batch.cost(submission)
    yield* Console.error(
      `\n${written} results in ${out}; ${cost.inputTokens} input and ${cost.outputTokens} output tokens, $${
        cost.usd.toFixed(4)
      } at the batch price ($${cost.onDemandUsd.toFixed(4)} on demand)`
    )
  })

const loadSubmission = (path: string) =>
  Effect.flatMap(readJson(path), (value) => {
    const jobs = (value as { jobs?: Array<{ jobArn?: unknown }> } | null)?.jobs
    return Array.isArray(jobs) && jobs.every((job) => typeof job.jobArn === "string")
      ? Effect.succeed(jobs.map((job) => job.jobArn as string))
      : Effect.fail(usageError(`${path} is not a saved submission`))
  })

/** Runs `bedrock-llm batch ...`. */
export const runBatch = (args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const parsed = yield* Effect.try({
      try: () => parseArgs({ args: [...args], options: flags, allowPositionals: true }),
      catch: (error) => usageError(String((error as Error).message))
    })
    const { values, positionals } = parsed
    const [command, input] = positionals
    if (values.help === true || command === undefined) return yield* Console.log(usage)
    const quotas = quotasOf(values)
    const pollInterval = `${Number(values["poll-seconds"] ?? 60)} seconds` as const
    if (command === "submit" && values.emulator !== true && values.bucket === undefined) {
      return yield* usageError("submit needs --bucket")
    }
    const layer = values.emulator === true
      ? BatchInference.layerLocal({ quotas, pollInterval: "50 millis" })
      : BatchInference.layer({
        bucket: values.bucket ?? "",
        roleArn: values["role-arn"] ?? "",
        prefix: values.prefix,
        region: values.region ?? process.env["AWS_REGION"],
        bedrockEndpoint: values["bedrock-endpoint"],
        s3Endpoint: values["s3-endpoint"],
        quotas,
        pollInterval
      })
    const program = Effect.gen(function*() {
      const batch = yield* BatchInference.BatchInference
      switch (command) {
        case "submit": {
          if (input === undefined || values.model === undefined) {
            return yield* usageError("submit needs an input file and --model")
          }
          if (values.emulator !== true && values["role-arn"] === undefined) {
            return yield* usageError("submit needs --role-arn")
          }
          const state = values.state ?? `${input}.batch.json`
          if (existsSync(state) && values.emulator !== true) {
            return yield* usageError(`${state} exists: this input was submitted; use status or results`)
          }
          const submission = yield* batch.submit(readRecords(input), {
            modelId: values.model,
            onRecord: (count) => {
              if (count % 1000 === 0) Effect.runSync(redraw(`uploading: ${count.toLocaleString("en-US")} records`))
            }
          })
          yield* writeJson(state, submission)
          const jobs = submission.jobs.length
          yield* Console.error(`\nsubmitted ${jobs} ${jobs === 1 ? "job" : "jobs"}; saved to ${state}`)
          if (values.wait === true || values.emulator === true) {
            yield* writeAll(batch, submission, values.out ?? input.replace(/\.jsonl$/, "") + ".results.jsonl")
          }
          return
        }
        case "status": {
          if (values.state === undefined) return yield* usageError("status needs --state")
          const submission = yield* batch.attach(yield* loadSubmission(values.state))
          const progress = yield* batch.status(submission)
          for (const job of progress.jobs) {
            yield* Console.log(
              `${job.jobArn} ${job.status} ${job.processedRecords ?? 0}/${job.totalRecords ?? "?"} processed, ${
                job.errorRecords ?? 0
              } errors${job.message !== undefined ? ` (${job.message})` : ""}`
            )
          }
          return
        }
        case "results": {
          if (values.state === undefined || values.out === undefined) {
            return yield* usageError("results needs --state and --out")
          }
          const submission = yield* batch.attach(yield* loadSubmission(values.state))
          return yield* writeAll(batch, submission, values.out)
        }
        default:
          return yield* usageError(`unknown command ${command}`)
      }
    })
    return yield* Effect.provide(program, layer)
  })
