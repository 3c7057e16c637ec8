/**
 * The Vercel AI SDK (`ai` with `@ai-sdk/amazon-bedrock`): it signs requests itself (aws4fetch) and speaks HTTP/1.1
 * through Node's fetch. `generateText`, `streamText` (`fullStream`), a two-step tool loop (`stopWhen: stepCountIs(2)`)
 * and `embedMany` (`maxParallelCalls`).
 */
import { createAmazonBedrock } from "@ai-sdk/amazon-bedrock"
import { embedMany, generateText, stepCountIs, streamText, tool } from "ai"
import { z } from "zod"
import {
  type Adapter,
  agentPrompt,
  credentials,
  embeddingModelId,
  fail,
  modelId,
  pool,
  region,
  shortMaxTokens,
  shortPrompt,
  time,
  weather
} from "./Adapter.js"

export const make = async (endpoint: string): Promise<Adapter> => {
  const bedrock = createAmazonBedrock({
    region,
    baseURL: endpoint,
    accessKeyId: credentials.accessKeyId,
    secretAccessKey: credentials.secretAccessKey
  })
  const model = bedrock(modelId)
  const tools = {
    get_weather: tool({
      description: "Current weather for a city",
      inputSchema: z.object({ city: z.string().describe("The city") }),
      execute: async ({ city }) => weather(city)
    }),
    get_time: tool({
      description: "Current local time in a city",
      inputSchema: z.object({ city: z.string().describe("The city") }),
      execute: async ({ city }) => time(city)
    })
  }
  const name = "Vercel AI SDK"
  return {
    name,
    converse: async (n, concurrency) => {
      let chars = 0
      await pool(n, concurrency, async () => {
        const result = await generateText({ model, prompt: shortPrompt, maxOutputTokens: shortMaxTokens })
        chars += result.text.length
      })
      return chars
    },
    stream: async (n, concurrency, prompt, maxTokens) => {
      let events = 0
      const firstEventMs: Array<number> = []
      await pool(n, concurrency, async () => {
        const started = performance.now()
        const result = streamText({ model, prompt, maxOutputTokens: maxTokens, onError: () => {} })
        let first = true
        for await (const part of result.fullStream) {
          events++
          if (part.type === "error") fail(name, String(part.error))
          if (first && part.type === "text-delta") {
            first = false
            firstEventMs.push(performance.now() - started)
          }
        }
      })
      return { events, firstEventMs }
    },
    agent: async (n, concurrency) => {
      let chars = 0
      await pool(n, concurrency, async () => {
        const result = await generateText({
          model,
          prompt: agentPrompt,
          tools,
          stopWhen: stepCountIs(2),
          maxOutputTokens: shortMaxTokens
        })
        if (result.steps.length !== 2) fail(name, `agent took ${result.steps.length} steps`)
        chars += result.text.length
      })
      return chars
    },
    embed: async (texts, concurrency) => {
      const result = await embedMany({
        model: bedrock.embedding(embeddingModelId),
        values: [...texts],
        maxParallelCalls: concurrency,
        providerOptions: { bedrock: { dimensions: 256, normalize: true } }
      })
      if (result.embeddings[0]?.length !== 256) fail(name, "bad embedding")
      return result.embeddings.length
    },
    close: async () => {}
  }
}
