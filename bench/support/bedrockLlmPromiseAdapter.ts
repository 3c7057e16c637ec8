/**
 * This library through its Promise facade (`src/Promise.ts`, `createClient`): the same defaults as the Effect API,
 * called from plain async code with a Promise pool. No agent loop in the facade.
 */
import * as Message from "../../dist/Message.js"
import { createClient } from "../../dist/Promise.js"
import * as Response from "../../dist/Response.js"
import {
  type Adapter,
  credentials,
  embedConcurrency,
  embeddingModelId,
  fail,
  modelId,
  pool,
  region,
  shortMaxTokens,
  shortPrompt
} from "../compare/clients/Adapter.js"

export const make = async (endpoint: string): Promise<Adapter> => {
  const client = createClient({
    region,
    endpoint,
    credentials,
    modelId,
    model: { maxTokens: shortMaxTokens },
    embeddingModelId,
    embeddings: { dimensions: 256, normalize: true, cache: false, concurrency: embedConcurrency }
  })
  const name = "bedrock-llm (Promise)"
  return {
    name,
    converse: async (n, concurrency) => {
      let chars = 0
      await pool(n, concurrency, async () => {
        const response = await client.generate(shortPrompt)
        chars += Response.text(response).length
      })
      return chars
    },
    stream: async (n, concurrency, prompt, maxTokens) => {
      let events = 0
      const firstEventMs: Array<number> = []
      await pool(n, concurrency, async () => {
        const started = performance.now()
        let first = true
        for await (const event of client.stream({ messages: [Message.user(prompt)], model: { maxTokens } })) {
          events++
          if (first && event._tag === "ContentBlockDelta" && event.delta._tag === "TextDelta") {
            first = false
            firstEventMs.push(performance.now() - started)
          }
        }
      })
      return { events, firstEventMs }
    },
    embed: async (texts) => {
      const vectors = await client.embed(texts)
      if (vectors[0]?.length !== 256) fail(name, "bad embedding")
      return vectors.length
    },
    close: () => client.close()
  }
}
