/**
 * What decoding a streamed answer costs the client: the SDK's event-stream marshaller against the library's
 * (`src/internal/eventStreamDecoder.ts`), both inside the real `@aws-sdk/client-bedrock-runtime` client.
 *
 * One ConverseStream and one InvokeModelWithResponseStream answer (1,000 tokens, about 400 events each) are captured from the emulator
 * once; then each client replays the captured bytes through a request handler that returns them from memory, so that
 * only the SDK client's own work is measured: its middleware, the event-stream decoding, and the iteration of the
 * events. Each replay is checked to give the same events with both marshallers. The body is handed over whole, and one
 * frame per chunk (as a paced stream arrives). Rounds alternate between the two clients; the median round is quoted
 * with the min–max. Writes its section of `bench/README.md`. `--quick` runs fewer rounds.
 */
import {
  BedrockRuntimeClient,
  type BedrockRuntimeClientConfig,
  ConverseStreamCommand,
  InvokeModelWithResponseStreamCommand
} from "@aws-sdk/client-bedrock-runtime"
import { NodeHttp2Handler } from "@smithy/node-http-handler"
import type { HttpHandlerOptions } from "@smithy/types"
import { Readable } from "node:stream"
import { isDeepStrictEqual } from "node:util"
import { eventStreamSerdeProvider } from "../src/internal/transport/eventStreamDecoder.js"
import { cpuNow, fmt, median, writeReadmeSection } from "./support/report.js"
import { spawnEmulator } from "./support/spawnEmulator.js"

const quick = process.argv.includes("--quick")
const rounds = quick ? 3 : 9
const replaysPerRound = quick ? 20 : 60
const modelId = "anthropic.claude-3-haiku-20240307-v1:0"
const credentials = { accessKeyId: "AKIDBENCHEXAMPLE", secretAccessKey: "bench-secret-not-real" }
const prompt = "Write 2000 words about distributed tracing and observability"

interface Operation {
  readonly name: string
  readonly send: (client: BedrockRuntimeClient) => Promise<AsyncIterable<unknown> | undefined>
}

const operations: ReadonlyArray<Operation> = [
  {
    name: "ConverseStream",
    send: async (client) =>
      (await client.send(
        new ConverseStreamCommand({
          modelId,
          messages: [{ role: "user", content: [{ text: prompt }] }],
          inferenceConfig: { maxTokens: 1000 }
        })
      )).stream
  },
  {
    name: "InvokeModelWithResponseStream",
    send: async (client) =>
      (await client.send(
        new InvokeModelWithResponseStreamCommand({
          modelId,
          contentType: "application/json",
          body: JSON.stringify({
            anthropic_version: "bedrock-2023-05-31",
            max_tokens: 1000,
            messages: [{ role: "user", content: prompt }]
          })
        })
      )).body
  }
]

interface Captured {
  readonly statusCode: number
  readonly headers: Record<string, string>
  readonly body: Buffer
}

/** The bytes of one answer, read from the emulator through a request handler that keeps them. */
const capture = async (endpoint: string, operation: Operation): Promise<Captured> => {
  const inner = new NodeHttp2Handler({ disableConcurrentStreams: true })
  let captured: Captured | undefined
  const handler = {
    handle: async (request: Parameters<NodeHttp2Handler["handle"]>[0], options?: HttpHandlerOptions) => {
      const { response } = await inner.handle(request, options)
      const chunks: Array<Buffer> = []
      for await (const chunk of response.body as AsyncIterable<Buffer>) chunks.push(chunk)
      captured = { statusCode: response.statusCode, headers: response.headers, body: Buffer.concat(chunks) }
      return { response: { ...response, body: Readable.from([captured.body]) } }
    },
    updateHttpClientConfig: () => {},
    httpHandlerConfigs: () => ({}),
    destroy: () => inner.destroy()
  }
  const client = new BedrockRuntimeClient({ region: "us-east-1", endpoint, credentials, requestHandler: handler })
  try {
    for await (const _ of (await operation.send(client))!) {
      // read to the end
    }
  } finally {
    client.destroy()
  }
  if (captured === undefined || captured.statusCode !== 200) throw new Error(`${operation.name}: nothing captured`)
  return captured
}

const framesOf = (body: Buffer): Array<Buffer> => {
  const frames: Array<Buffer> = []
  for (let offset = 0; offset < body.length;) {
    const length = body.readUInt32BE(offset)
    frames.push(body.subarray(offset, offset + length))
    offset += length
  }
  return frames
}

/** A client that answers every request with the captured response, its body in `chunks`. */
const replayClient = (captured: Captured, chunks: ReadonlyArray<Buffer>, config: BedrockRuntimeClientConfig) =>
  new BedrockRuntimeClient({
    region: "us-east-1",
    credentials,
    maxAttempts: 1,
    ...config,
    requestHandler: {
      handle: async () => ({
        response: { statusCode: captured.statusCode, headers: captured.headers, body: Readable.from(chunks) }
      }),
      updateHttpClientConfig: () => {},
      httpHandlerConfigs: () => ({}),
      destroy: () => {}
    } as never
  })

const collect = async (client: BedrockRuntimeClient, operation: Operation): Promise<Array<unknown>> => {
  const events: Array<unknown> = []
  for await (const event of (await operation.send(client))!) events.push(event)
  return events
}

const main = async () => {
  const emulator = await spawnEmulator({})
  const captures: Array<readonly [Operation, Captured]> = []
  try {
    for (const operation of operations) captures.push([operation, await capture(emulator.url, operation)])
  } finally {
    await emulator.close()
  }
  const rows: Array<string> = []
  for (const [operation, captured] of captures) {
    const frames = framesOf(captured.body)
    for (const [chunking, chunks] of [["whole body", [captured.body]], ["a frame per chunk", frames]] as const) {
      const sdk = replayClient(captured, chunks, {})
      const library = replayClient(captured, chunks, { eventStreamSerdeProvider })
      const events = await collect(sdk, operation)
      if (!isDeepStrictEqual(events, await collect(library, operation))) {
        throw new Error(`${operation.name}: the two marshallers gave different events`)
      }
      const clients = [["sdk", sdk], ["library", library]] as const
      for (const [, client] of clients) for (let i = 0; i < replaysPerRound; i++) await collect(client, operation)
      const perEvent: Record<string, Array<number>> = { sdk: [], library: [] }
      for (let round = 0; round < rounds; round++) {
        for (const [name, client] of round % 2 === 0 ? clients : [...clients].reverse()) {
          const before = cpuNow()
          for (let i = 0; i < replaysPerRound; i++) await collect(client, operation)
          perEvent[name]!.push((cpuNow() - before) / replaysPerRound / events.length)
        }
      }
      sdk.destroy()
      library.destroy()
      const cell = (xs: ReadonlyArray<number>) => `${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`
      const row = `| ${operation.name} | ${chunking} | ${events.length} | ${cell(perEvent.sdk!)} | ${
        cell(perEvent.library!)
      } | **${(median(perEvent.library!) / median(perEvent.sdk!)).toFixed(2)}** |`
      rows.push(row)
      process.stdout.write(`${row}\n`)
    }
  }
  writeSection(rows)
}

const writeSection = (rows: ReadonlyArray<string>) =>
  writeReadmeSection("eventStreamDecoding.bench", [
    "## Decoding a streamed answer (`bench/eventStreamDecoding.bench.ts`)",
    "",
    "One 1,000-token answer (about 400 events) of each streaming operation, captured from the emulator, replayed from",
    "memory through the real SDK client (no network): with the SDK's event-stream marshaller, and with the library's",
    "(`src/internal/eventStreamDecoder.ts`, which `BedrockRuntime` gives the SDK client). Both give the same events",
    "(checked on every replay setup). CPU µs per event, user + system, including the SDK client's middleware and the",
    `iteration; ${rounds} rounds of ${replaysPerRound} replays each, alternating; medians with the min–max.`,
    "",
    "| operation | body | events | SDK's marshaller µs / event | library's µs / event | library ÷ SDK |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows
  ], `npm run bench -- --only eventStreamDecoding${quick ? " --quick" : ""}`)

await main()
