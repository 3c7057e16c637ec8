/**
 * The Lambda bundle's size and its cold start under the real runtime interface client, measured on this machine:
 * `node --import tsx backend/bench/lambdaColdStart.bench.ts [--runs N]`. Each run spawns a new execution environment
 * (aws-lambda-ric on the bundle, against a Runtime API server on loopback) and times its initialization (spawn to the
 * first `GET /runtime/invocation/next`, what Lambda reports as Init Duration plus the process start) and its first
 * invocation (`GET /health/ready` through a Function URL event); a handler that does nothing gives the runtime's own
 * share. Not part of `npm test`; figures on a shared machine are indicative only.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { parseArgs } from "node:util"
import { bundle } from "../src/entry/bundle.js"
import { eventOf } from "../test/deploy/support/frontDoor.js"
import { startLambda } from "../test/deploy/support/lambdaProcess.js"
import { startRuntimeApi } from "../test/deploy/support/runtimeApi.js"

const { values } = parseArgs({ options: { runs: { type: "string", default: "7" } } })
const runs = Number(values.runs)

const median = (samples: ReadonlyArray<number>) => {
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

const measure = async (taskRoot: string) => {
  const init: Array<number> = []
  const first: Array<number> = []
  for (let i = 0; i < runs; i++) {
    const runtime = await startRuntimeApi()
    const lambda = startLambda({
      taskRoot,
      runtime,
      env: {
        BACKEND_STORE: "memory",
        BEDROCK_ENDPOINT: "http://127.0.0.1:9",
        AWS_ACCESS_KEY_ID: "AKID",
        AWS_SECRET_ACCESS_KEY: "s"
      }
    })
    const ready = await runtime.ready
    init.push(ready - lambda.spawnedAt)
    const started = Date.now()
    const outcome = await runtime.invoke(eventOf("function-url", {
      method: "GET",
      url: "/health/live",
      headers: { host: "bench.lambda-url.us-east-1.on.aws" },
      body: Buffer.alloc(0)
    })).outcome
    if (outcome._tag === "streamed") { for await (const _ of outcome.chunks) void _ }
    first.push(Date.now() - started)
    await lambda.stop()
    await runtime.close()
  }
  return { init: median(init), first: median(first), initAll: init }
}

const work = await mkdtemp(join(tmpdir(), "bllm-coldstart-"))
try {
  const built = await bundle("lambda", { outDir: join(work, "service") })
  const empty = join(work, "empty")
  await (await import("node:fs/promises")).mkdir(empty)
  await writeFile(
    join(empty, "index.mjs"),
    "export const handler = awslambda.streamifyResponse(async (event, stream) => { stream.write('{}'); stream.end() })\n"
  )
  const service = await measure(built.dir)
  const baseline = await measure(empty)
  console.log(
    `bundle: ${(built.bytes / 1024).toFixed(0)} KiB of JavaScript (entry ${(built.entryBytes / 1024).toFixed(0)} KiB)`
  )
  console.log(`runs: ${runs} each, medians`)
  console.log("| handler | spawn to first /next (ms) | first invocation (ms) |")
  console.log("| --- | --- | --- |")
  console.log(`| the gateway | ${service.init} | ${service.first} |`)
  console.log(`| an empty streaming handler | ${baseline.init} | ${baseline.first} |`)
  console.log(`gateway init samples: ${service.initAll.join(", ")}`)
} finally {
  await rm(work, { recursive: true, force: true })
}
