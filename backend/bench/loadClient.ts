/**
 * The gateway benchmark's HTTP client, run in a child process so that the gateway's process pays none of the client's
 * CPU. It takes one job on IPC (`url`, `headers`, `body`, `count`, `concurrency`, `warmup`), runs the warm-up, says
 * `ready`, waits for `go` (the parent reads its CPU clock between the two), then sends `count` requests over keep-alive
 * connections with `concurrency` in flight and answers with their latencies (ms) and failures.
 */
import * as Http from "node:http"

export interface Job {
  readonly url: string
  readonly headers: Record<string, string>
  readonly body: string
  /** Default POST. */
  readonly method?: string | undefined
  readonly count: number
  readonly concurrency: number
  readonly warmup: number
}

export interface Outcome {
  readonly latencies: ReadonlyArray<number>
  readonly failed: number
  readonly firstFailure?: string | undefined
}

const send = (agent: Http.Agent, url: URL, method: string, headers: Record<string, string>, body: Buffer) =>
  new Promise<void>((resolve, reject) => {
    const request = Http.request(url, {
      method,
      agent,
      headers: method === "GET" ? headers : { ...headers, "content-length": String(body.length) }
    }, (response) => {
      const chunks: Array<Buffer> = []
      response.on("data", (chunk: Buffer) => chunks.push(chunk))
      response.on("end", () =>
        response.statusCode === 200
          ? resolve()
          : reject(new Error(`status ${response.statusCode}: ${Buffer.concat(chunks).toString("utf8").slice(0, 300)}`)))
      response.on("error", reject)
    })
    request.on("error", reject)
    if (method === "GET") request.end()
    else request.end(body)
  })

const run = async (job: Job, count: number, agent: Http.Agent): Promise<Outcome> => {
  const url = new URL(job.url)
  const body = Buffer.from(job.body)
  const latencies: Array<number> = []
  let failed = 0
  let firstFailure: string | undefined
  let next = 0
  await Promise.all(Array.from({ length: Math.min(job.concurrency, Math.max(1, count)) }, async () => {
    while (next < count) {
      next++
      const start = performance.now()
      await send(agent, url, job.method ?? "POST", job.headers, body).then(
        () => latencies.push(performance.now() - start),
        (error: unknown) => {
          failed++
          firstFailure ??= String(error)
        }
      )
    }
  }))
  return { latencies, failed, firstFailure }
}

process.once("message", async (job: Job) => {
  const agent = new Http.Agent({ keepAlive: true, maxSockets: job.concurrency })
  await run(job, job.warmup, agent)
  process.send!("ready")
  process.once("message", async () => {
    const outcome = await run(job, job.count, agent)
    process.send!(outcome, () => process.exit(0))
  })
})
