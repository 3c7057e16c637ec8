/**
 * What every client under test implements, and the fixed inputs every client gets. Each adapter drives the whole
 * scenario in its own idiom (a Promise pool for Promise APIs, `Effect.forEach` for Effect APIs), so that what is
 * measured is what a user of that client would run.
 */

export const modelId = "anthropic.claude-3-haiku-20240307-v1:0"
export const embeddingModelId = "amazon.titan-embed-text-v2:0"
export const region = "us-east-1"
export const credentials = { accessKeyId: "AKIDBENCHEXAMPLE", secretAccessKey: "bench-secret-not-real" } as const

/** Short Converse prompt (the emulator answers with a ~60-token deterministic text). */
export const shortPrompt = "Hello there, how are you today?"
/** The emulator writes 2,000 words for this; `longMaxTokens` cuts it at 1,000 output tokens. */
export const longPrompt = "Write 2000 words about distributed tracing and observability"
export const longMaxTokens = 1000
/** Names both tools, so the emulator asks for both in one turn, then answers from their results. */
export const agentPrompt = "What is the weather and the time in Paris?"
export const shortMaxTokens = 256
/** Requests in flight while embedding (clients that take it as an option get it there). */
export const embedConcurrency = 16

export const weather = (city: string) => ({ city, temperature: 21, conditions: "sunny" })
export const time = (city: string) => ({ city, time: "14:05" })

/** JSON Schema of both tools' input. */
export const cityParameters = {
  type: "object",
  properties: { city: { type: "string", description: "The city" } },
  required: ["city"]
}

export const tools = [
  { name: "get_weather", description: "Current weather for a city" },
  { name: "get_time", description: "Current local time in a city" }
] as const

export interface StreamResult {
  /** Events the client's API yielded, over all streams. */
  readonly events: number
  /** Milliseconds from the call to the first text delta, one entry per stream. */
  readonly firstEventMs: ReadonlyArray<number>
}

export interface Adapter {
  readonly name: string
  /** `n` Converse calls of `shortPrompt`, `concurrency` at a time; resolves with the characters of text received. */
  readonly converse: (n: number, concurrency: number) => Promise<number>
  /** `n` ConverseStream calls of `prompt`, `concurrency` at a time. */
  readonly stream: (n: number, concurrency: number, prompt: string, maxTokens: number) => Promise<StreamResult>
  /** `n` agent runs of `agentPrompt` (two tool calls, then the answer); resolves with the characters of answers. */
  readonly agent?: ((n: number, concurrency: number) => Promise<number>) | undefined
  /** Embeds the texts, `concurrency` requests at a time; resolves with the number of vectors. */
  readonly embed?: ((texts: ReadonlyArray<string>, concurrency: number) => Promise<number>) | undefined
  readonly close: () => Promise<void>
}

/** What a client module exports: `make(endpoint)`. */
export type MakeAdapter = (endpoint: string) => Promise<Adapter>

/** Runs `task(i)` for i in [0, n), at most `concurrency` at a time. */
export const pool = async (n: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> => {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < n) await task(next++)
  }
  await Promise.all(Array.from({ length: Math.min(n, concurrency) }, worker))
}

export const fail = (client: string, what: string): never => {
  throw new Error(`${client}: ${what}`)
}
