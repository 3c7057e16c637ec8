/**
 * This library through its Effect API: `BedrockClient` (with its defaults: retry policy, circuit breaker, timeouts,
 * accounting) over `BedrockRuntime`, `Agent` with two tools, `EmbeddingsClient`. Each scenario is one Effect program
 * (`Effect.forEach` with the scenario's concurrency) run on a `ManagedRuntime` built once. Variants: `isolated` (a new
 * HTTP/2 session per request, the SDK's default), `h1` (`ConnectionConfig.protocol: "http1.1"`), `unary-steps` (the
 * default transport; the agent with `streaming: false`, one Converse call per step).
 */
import { Effect, Layer, ManagedRuntime, Redacted, Schema, Stream } from "effect"
import * as BedrockClient from "../../dist/BedrockClient.js"
import * as BedrockRuntime from "../../dist/BedrockRuntime.js"
import { ClientConfig, ConnectionConfig, StaticCredentials } from "../../dist/Config.js"
import * as EmbeddingsClient from "../../dist/EmbeddingsClient.js"
import * as Message from "../../dist/Message.js"
import * as Response from "../../dist/Response.js"
import {
  type Adapter,
  agentPrompt,
  credentials,
  embedConcurrency,
  embeddingModelId,
  modelId,
  region,
  shortMaxTokens,
  shortPrompt,
  time,
  weather
} from "../compare/clients/Adapter.js"

export type Variant = "default" | "isolated" | "h1" | "unary-steps"

const range = (n: number) => Array.from({ length: n }, (_, i) => i)

export const make = async (endpoint: string, variant: Variant = "default"): Promise<Adapter> => {
  const name = variant === "default" ? "bedrock-llm (Effect)" : `bedrock-llm (Effect, ${variant})`
  const runtimeLayer = BedrockRuntime.layer(
    new ClientConfig({
      region,
      endpoint,
      credentials: new StaticCredentials({
        accessKeyId: credentials.accessKeyId,
        secretAccessKey: Redacted.make(credentials.secretAccessKey)
      }),
      connection: new ConnectionConfig({
        protocol: variant === "h1" ? "http1.1" : "http2",
        // `isolated`: the SDK's own default for Bedrock, a new HTTP/2 session per request.
        multiplex: variant !== "isolated",
        maxSockets: 256
      })
    })
  )
  const clientLayer = BedrockClient.layer({ model: { modelId, maxTokens: shortMaxTokens } })
  const embeddingsLayer = EmbeddingsClient.layer({
    model: embeddingModelId,
    defaults: { dimensions: 256, normalize: true },
    cache: false,
    concurrency: embedConcurrency
  })
  const agent = await loadAgent(variant !== "unary-steps")
  // The tool handlers are part of the application's layer, built once, like the client's.
  const runtime = ManagedRuntime.make(
    Layer.mergeAll(clientLayer, embeddingsLayer, agent?.handlers ?? Layer.empty).pipe(Layer.provideMerge(runtimeLayer))
  )

  return {
    name,
    converse: (n, concurrency) =>
      runtime.runPromise(
        Effect.reduceEffect(
          range(n).map(() => Effect.map(BedrockClient.generate(shortPrompt), (r) => Response.text(r).length)),
          Effect.succeed(0),
          (a, b) => a + b,
          { concurrency }
        )
      ),
    stream: (n, concurrency, prompt, maxTokens) => {
      let events = 0
      const firstEventMs: Array<number> = []
      const one = Effect.suspend(() => {
        const started = performance.now()
        let first = true
        return BedrockClient.stream({ messages: [Message.user(prompt)], model: { maxTokens } }).pipe(
          Stream.runForEach((event) =>
            Effect.sync(() => {
              events++
              if (first && event._tag === "ContentBlockDelta" && event.delta._tag === "TextDelta") {
                first = false
                firstEventMs.push(performance.now() - started)
              }
            })
          )
        )
      })
      return runtime.runPromise(Effect.forEach(range(n), () => one, { concurrency, discard: true })).then(() => ({
        events,
        firstEventMs
      }))
    },
    agent: agent === undefined ? undefined : (n, concurrency) =>
      runtime.runPromise(
        Effect.reduceEffect(
          range(n).map(() => agent.run(agentPrompt)),
          Effect.succeed(0),
          (a, b) => a + b,
          { concurrency }
        )
      ),
    embed: (texts) =>
      runtime.runPromise(
        Effect.flatMap(EmbeddingsClient.EmbeddingsClient, (client) =>
          Effect.map(client.embedMany(texts), (vectors) => vectors.length))
      ),
    close: () => runtime.dispose()
  }
}

/**
 * `Agent` (when the module is present): the layer of its get_weather and get_time handlers, and one run (its steps
 * streamed or not) that resolves with the answer's length.
 */
const loadAgent = async (streaming: boolean) => {
  try {
    const Agent = await import("../../dist/Agent.js")
    const Tool = await import("../../dist/Tool.js")
    const Toolkit = await import("../../dist/Toolkit.js")
    const GetWeather = Tool.make("get_weather", {
      description: "Current weather for a city",
      parameters: { city: Schema.String.annotations({ description: "The city" }) }
    })
    const GetTime = Tool.make("get_time", {
      description: "Current local time in a city",
      parameters: { city: Schema.String.annotations({ description: "The city" }) }
    })
    const agent = Agent.make({ toolkit: Toolkit.make(GetWeather, GetTime), limits: { maxSteps: 4 }, streaming })
    const handlers = Layer.mergeAll(
      Tool.toLayer(GetWeather, ({ city }) => Effect.succeed(weather(city))),
      Tool.toLayer(GetTime, ({ city }) => Effect.succeed(time(city)))
    )
    return {
      handlers,
      // The handlers' services come from the runtime's layer (`handlers` is merged into it).
      run: (prompt: string) =>
        Effect.map(agent.run(prompt), (result) => result.text.length).pipe(Effect.orDie) as Effect.Effect<
          number,
          never,
          BedrockClient.BedrockClient
        >
    }
  } catch (error) {
    process.stderr.write(`bedrock-llm Agent unavailable: ${String(error)}\n`)
    return undefined
  }
}
