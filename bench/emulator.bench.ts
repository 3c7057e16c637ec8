/**
 * The emulator is not the bottleneck (issue 3): its CPU time per Converse and per ConverseStream request, against the
 * raw `@aws-sdk/client-bedrock-runtime` client's CPU time per request, measured in one run.
 *
 * The emulator runs in its own process (`support/emulator-process.ts`) and reports its own `process.cpuUsage()` over
 * IPC; the SDK client (defaults: HTTP/2) runs in this process. Each case is warmed up, then measured in rounds; the
 * median round is quoted with the min–max. Writes its section of `bench/README.md`. `--quick` runs smaller counts.
 */
import { BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand } from "@aws-sdk/client-bedrock-runtime"
import { cpuNow, fmt, median, writeReadmeSection } from "./support/report.js"
import { cpuDelta, spawnEmulator } from "./support/spawnEmulator.js"

const quick = process.argv.includes("--quick")
const rounds = quick ? 3 : 5
const modelId = "anthropic.claude-3-haiku-20240307-v1:0"

interface Case {
  readonly name: string
  readonly streaming: boolean
  readonly prompt: string
  readonly maxTokens: number
  readonly n: number
  readonly concurrency: number
}

const cases: ReadonlyArray<Case> = [1, 16].flatMap((concurrency) => [
  { name: "Converse", streaming: false, prompt: "Hello there", maxTokens: 256, n: quick ? 300 : 2000, concurrency },
  {
    name: "ConverseStream",
    streaming: true,
    prompt: "Hello there",
    maxTokens: 256,
    n: quick ? 300 : 2000,
    concurrency
  },
  {
    name: "ConverseStream, 1,000 tokens",
    streaming: true,
    prompt: "Write 2000 words about tracing",
    maxTokens: 1000,
    n: quick ? 30 : 200,
    concurrency
  }
])

const pool = async (n: number, concurrency: number, task: () => Promise<void>) => {
  let next = 0
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next++ < n) await task()
  }))
}

const main = async () => {
  const emulator = await spawnEmulator({})
  const client = new BedrockRuntimeClient({
    region: "us-east-1",
    endpoint: emulator.url,
    credentials: { accessKeyId: "AKIDBENCHEXAMPLE", secretAccessKey: "bench-secret-not-real" }
  })
  const request = (c: Case) => async () => {
    const input = {
      modelId,
      messages: [{ role: "user" as const, content: [{ text: c.prompt }] }],
      inferenceConfig: { maxTokens: c.maxTokens }
    }
    if (!c.streaming) {
      const output = await client.send(new ConverseCommand(input))
      if (output.output?.message === undefined) throw new Error("no message")
      return
    }
    const output = await client.send(new ConverseStreamCommand(input))
    let events = 0
    for await (const _ of output.stream!) events++
    if (events < 3) throw new Error("short stream")
  }
  const rows: Array<string> = []
  try {
    for (const c of cases) {
      await pool(Math.ceil(c.n / 4), c.concurrency, request(c))
      const client: Array<number> = []
      const server: Array<number> = []
      for (let round = 0; round < rounds; round++) {
        const emulatorBefore = await emulator.cpu()
        const before = cpuNow()
        await pool(c.n, c.concurrency, request(c))
        const clientUs = cpuNow() - before
        const emulatorUs = cpuDelta(emulatorBefore, await emulator.cpu())
        client.push(clientUs / 1000 / c.n)
        server.push(emulatorUs / 1000 / c.n)
      }
      const ratio = median(server) / median(client)
      const row = `| ${c.name} | ${c.concurrency} | ${c.n} | ${fmt(median(server))} (${fmt(Math.min(...server))}–${
        fmt(Math.max(...server))
      }) | ${fmt(median(client))} (${fmt(Math.min(...client))}–${fmt(Math.max(...client))}) | **${fmt(ratio)}** |`
      rows.push(row)
      process.stdout.write(`${row}\n`)
    }
  } finally {
    client.destroy()
    await emulator.close()
  }
  writeSection(rows)
}

const writeSection = (rows: ReadonlyArray<string>) =>
  writeReadmeSection("emulator.bench", [
    "## The emulator is not the bottleneck (`bench/emulator.bench.ts`)",
    "",
    "The emulator runs in its own process and reports its own CPU time (`process.cpuUsage`, user + system) over IPC;",
    "the raw `@aws-sdk/client-bedrock-runtime` client (its defaults: HTTP/2, a new session per request) runs in the",
    `bench process. Each case is warmed up, then measured in ${rounds} rounds; medians with the min–max of the rounds.`,
    "**emulator ÷ SDK** below 1 means the emulator spends less CPU on a request than the client that sends it.",
    "",
    "| operation | concurrency | requests a round | emulator CPU ms / request | SDK client CPU ms / request | emulator ÷ SDK |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows
  ], `npm run bench -- --only emulator${quick ? " --quick" : ""}`)

main().catch((error: unknown) => {
  process.stderr.write(`emulator bench failed: ${error instanceof Error ? error.stack : String(error)}\n`)
  process.exit(1)
})
