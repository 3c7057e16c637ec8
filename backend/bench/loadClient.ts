/**
 * The gateway benchmark's HTTP client, run in a child process so that the gateway's process pays none of the client's
 * CPU. It takes one job on IPC (`url`, `headers`, `body`, `count`, `concurrency`, `warmup`), runs the warm-up, says
 * `ready`, waits for `go` (the parent reads its CPU clock between the two), then sends `count` requests over keep-alive
 * connections with `concurrency` in flight and answers with their latencies (ms; for streams, to the first token) and
 * failures.
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
  /** For streams: latencies are to the first response chunk containing this text (time to first token). */
  readonly firstMarker?: string | undefined
  /** For streams: a response that does not end with this text counts as failed. */
  readonly endMarker?: string | undefined
  /** For streams: requests are started this many at a time, 20 ms apart. */
  readonly startBatch?: number | undefined
}

export interface Outcome {
  readonly latencies: ReadonlyArray<number>
  readonly failed: number
  readonly firstFailure?: string | undefined
}

const send = (
  agent: Http.Agent,
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: Buffer,
  job: Job,
  onFirst: () => void
) =>
  new Promise<void>((resolve, reject) => {
    const request = Http.request(url, {
      method,
      agent,
      headers: method === "GET" ? headers : { ...headers, "content-length": String(body.length) }
    }, (response) => {
      const chunks: Array<Buffer> = []
      let first = job.firstMarker === undefined
      response.on("data", (chunk: Buffer) => {
        chunks.push(chunk)
        if (!first && chunk.includes(job.firstMarker!)) {
          first = true
          onFirst()
        }
      })
      response.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8")
        if (response.statusCode !== 200) reject(new Error(`status ${response.statusCode}: ${text.slice(0, 300)}`))
        else if (job.endMarker !== undefined && !text.trimEnd().endsWith(job.endMarker)) {
          reject(new Error(`incomplete stream: ${text.slice(-200)}`))
        } else resolve()
      })
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
      const index = next - 1
      if (job.startBatch !== undefined) {
        await new Promise((resolve) => setTimeout(resolve, Math.floor(index / job.startBatch!) * 20))
      }
      const start = performance.now()
      let firstAt: number | undefined
      await send(agent, url, job.method ?? "POST", job.headers, body, job, () => (firstAt = performance.now())).then(
        () => latencies.push((firstAt ?? performance.now()) - start),
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
