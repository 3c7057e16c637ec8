/**
 * LangChain (`@langchain/aws` `ChatBedrockConverse` and `BedrockEmbeddings`, over the AWS SDK with its default HTTP/2
 * handler). `invoke`, `stream`, and for the agent step the tool loop LangChain
 * documents for chat models: `bindTools`, run each tool call, send back `ToolMessage`s, invoke again (an agent
 * framework such as LangGraph would add its own cost on top).
 */
import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime"
import { BedrockEmbeddings, ChatBedrockConverse } from "@langchain/aws"
import { type BaseMessage, HumanMessage, ToolMessage } from "@langchain/core/messages"
import { tool } from "@langchain/core/tools"
import { z } from "zod"
import {
  type Adapter,
  agentPrompt,
  credentials,
  embedConcurrency,
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

const textOf = (content: unknown): string =>
  typeof content === "string"
    ? content
    : Array.isArray(content)
    ? content.map((part: { text?: string }) => typeof part === "string" ? part : part.text ?? "").join("")
    : ""

export const make = async (endpoint: string): Promise<Adapter> => {
  // `clientOptions.endpoint` is overwritten by `endpointHost` (https only), so the client is passed as LangChain
  // would build it: the SDK's defaults plus region, endpoint and credentials.
  const sdkClient = () => new BedrockRuntimeClient({ region, endpoint, credentials })
  const chat = (maxTokens: number) =>
    new ChatBedrockConverse({ model: modelId, region, credentials, maxTokens, client: sdkClient() })
  const shortModel = chat(shortMaxTokens)
  const streamModels = new Map<number, ChatBedrockConverse>()
  const getWeather = tool(async ({ city }) => JSON.stringify(weather(city)), {
    name: "get_weather",
    description: "Current weather for a city",
    schema: z.object({ city: z.string().describe("The city") })
  })
  const getTime = tool(async ({ city }) => JSON.stringify(time(city)), {
    name: "get_time",
    description: "Current local time in a city",
    schema: z.object({ city: z.string().describe("The city") })
  })
  const toolsByName = { get_weather: getWeather, get_time: getTime } as const
  const withTools = shortModel.bindTools([getWeather, getTime])
  const embeddings = new BedrockEmbeddings({
    model: embeddingModelId,
    region,
    credentials,
    client: sdkClient(),
    dimensions: 256,
    modelParameters: { normalize: true },
    maxConcurrency: embedConcurrency
  })
  const name = "LangChain"
  return {
    name,
    converse: async (n, concurrency) => {
      let chars = 0
      await pool(n, concurrency, async () => {
        const message = await shortModel.invoke(shortPrompt)
        chars += textOf(message.content).length
      })
      return chars
    },
    stream: async (n, concurrency, prompt, maxTokens) => {
      let model = streamModels.get(maxTokens)
      if (model === undefined) streamModels.set(maxTokens, model = chat(maxTokens))
      let events = 0
      const firstEventMs: Array<number> = []
      await pool(n, concurrency, async () => {
        const started = performance.now()
        let first = true
        for await (const chunk of await model.stream(prompt)) {
          events++
          if (first && textOf(chunk.content).length > 0) {
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
        const messages: Array<BaseMessage> = [new HumanMessage(agentPrompt)]
        for (let step = 0; step < 4; step++) {
          const message = await withTools.invoke(messages)
          messages.push(message)
          const calls = message.tool_calls ?? []
          if (calls.length === 0) {
            chars += textOf(message.content).length
            return
          }
          for (const call of calls) {
            const selected = toolsByName[call.name as keyof typeof toolsByName] ?? fail(name, `no tool ${call.name}`)
            const output = await selected.invoke(call.args as { city: string })
            messages.push(new ToolMessage({ content: String(output), tool_call_id: call.id! }))
          }
        }
        fail(name, "agent did not finish")
      })
      return chars
    },
    embed: async (texts) => {
      const vectors = await embeddings.embedDocuments([...texts])
      if (vectors[0]?.length !== 256) fail(name, "bad embedding")
      return vectors.length
    },
    close: async () => {
      shortModel.client.destroy()
      for (const model of streamModels.values()) model.client.destroy()
      embeddings.client.destroy()
    }
  }
}
