/**
 * The floor: `@aws-sdk/client-bedrock-runtime` used directly, as its README shows (default HTTP/2 handler, which for
 * Bedrock Runtime sets `disableConcurrentStreams: true`). Variants: `mux` (one multiplexed HTTP/2 session) and `h1`
 * (`NodeHttpHandler`, keep-alive).
 */
import {
  BedrockRuntimeClient,
  type ContentBlock,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  type Message
} from "@aws-sdk/client-bedrock-runtime"
import { NodeHttp2Handler, NodeHttpHandler } from "@smithy/node-http-handler"
import * as Http from "node:http"
import {
  type Adapter,
  agentPrompt,
  cityParameters,
  credentials,
  embeddingModelId,
  fail,
  modelId,
  pool,
  region,
  shortMaxTokens,
  shortPrompt,
  time,
  tools,
  weather
} from "./Adapter.js"

export type Variant = "default" | "mux" | "h1"

const handlerOf = (variant: Variant) =>
  variant === "mux"
    ? { requestHandler: new NodeHttp2Handler({ disableConcurrentStreams: false }) }
    : variant === "h1"
    ? { requestHandler: new NodeHttpHandler({ httpAgent: new Http.Agent({ keepAlive: true, maxSockets: 256 }) }) }
    : {}

export const make = async (endpoint: string, variant: Variant = "default"): Promise<Adapter> => {
  const client = new BedrockRuntimeClient({ region, endpoint, credentials, ...handlerOf(variant) })
  const name = variant === "default" ? "raw SDK" : `raw SDK (${variant})`
  const user = (text: string): Message => ({ role: "user", content: [{ text }] })
  const textOf = (content: ReadonlyArray<ContentBlock> | undefined): string =>
    (content ?? []).map((block) => block.text ?? "").join("")

  const converseOnce = async (messages: Array<Message>, withTools: boolean) => {
    const output = await client.send(
      new ConverseCommand({
        modelId,
        messages,
        inferenceConfig: { maxTokens: shortMaxTokens },
        ...(withTools
          ? {
            toolConfig: {
              tools: tools.map((tool) => ({ toolSpec: { ...tool, inputSchema: { json: cityParameters } } }))
            }
          }
          : {})
      })
    )
    return output.output?.message ?? fail(name, "no message")
  }

  return {
    name,
    converse: async (n, concurrency) => {
      let chars = 0
      await pool(n, concurrency, async () => {
        const message = await converseOnce([user(shortPrompt)], false)
        chars += textOf(message.content).length
      })
      return chars
    },
    stream: async (n, concurrency, prompt, maxTokens) => {
      let events = 0
      const firstEventMs: Array<number> = []
      await pool(n, concurrency, async () => {
        const started = performance.now()
        const output = await client.send(
          new ConverseStreamCommand({ modelId, messages: [user(prompt)], inferenceConfig: { maxTokens } })
        )
        let first = true
        for await (const event of output.stream ?? fail(name, "no stream")) {
          events++
          if (first && event.contentBlockDelta?.delta?.text !== undefined) {
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
        const messages: Array<Message> = [user(agentPrompt)]
        for (let step = 0; step < 4; step++) {
          const message = await converseOnce(messages, true)
          messages.push(message)
          const uses = (message.content ?? []).flatMap((block) => block.toolUse === undefined ? [] : [block.toolUse])
          if (uses.length === 0) {
            chars += textOf(message.content).length
            return
          }
          messages.push({
            role: "user",
            content: uses.map((use) => {
              const city = (use.input as { city?: string } | undefined)?.city ?? ""
              const result = use.name === "get_weather" ? weather(city) : time(city)
              return { toolResult: { toolUseId: use.toolUseId!, content: [{ json: result }], status: "success" } }
            })
          })
        }
        fail(name, "agent did not finish")
      })
      return chars
    },
    embed: async (texts, concurrency) => {
      let vectors = 0
      await pool(texts.length, concurrency, async (i) => {
        const output = await client.send(
          new InvokeModelCommand({
            modelId: embeddingModelId,
            contentType: "application/json",
            accept: "application/json",
            body: JSON.stringify({ inputText: texts[i], dimensions: 256, normalize: true })
          })
        )
        const body = JSON.parse(new TextDecoder().decode(output.body)) as { embedding?: Array<number> }
        if (body.embedding?.length !== 256) fail(name, "bad embedding")
        vectors++
      })
      return vectors
    },
    close: async () => client.destroy()
  }
}
