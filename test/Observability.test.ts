/**
 * The telemetry of real calls through the real client (the AWS SDK against the emulator), exported by
 * `@effect/opentelemetry` to in-memory exporters: the spans and metrics of a generate retried after a throttle, a
 * stream, an embeddings batch with cache hits, an agent run with a failing tool, and a breaker opened by a throttle.
 *
 * Effect's metrics live in one registry per process: every test labels its metrics (`Effect.labelMetrics`) with its
 * own `test` label and reads only those.
 */
import { assert, layer } from "@effect/vitest"
import { Effect, Exit, Layer, MetricLabel, Schema, Stream } from "effect"
import * as Agent from "../src/Agent.js"
import * as BedrockClient from "../src/BedrockClient.js"
import * as EmbeddingsClient from "../src/EmbeddingsClient.js"
import { Emulator } from "../src/emulator/Emulator.js"
import * as Telemetry from "../src/Telemetry.js"
import * as Tool from "../src/Tool.js"
import * as Toolkit from "../src/Toolkit.js"
import { haiku, liveLayer } from "./support/live.js"
import { counterValue, histogramPoint, spanNamed, withOtel } from "./support/otel.js"

const M = Telemetry.metricNames
const A = Telemetry.attributeNames
const titanV2 = "amazon.titan-embed-text-v2:0"

const labelled = (test: string) => Effect.labelMetrics([MetricLabel.make("test", test)])

const Weather = Tool.make("get_weather", {
  description: "Current weather for a city",
  parameters: { city: Schema.String },
  success: Schema.Struct({ city: Schema.String, celsius: Schema.Number }),
  failure: Schema.Struct({ reason: Schema.String })
})

const live = liveLayer().pipe(
  Layer.provideMerge(EmbeddingsClient.layer({ model: titanV2 }).pipe(Layer.provide(liveLayer())))
)

layer(liveLayer(), { excludeTestServices: true })("a model call", (it) => {
  it.effect("a generate retried after a throttle: one chat span, a retry event, the call's metrics", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      emulator.faults.enqueue("throttle")
      const emitted = yield* withOtel(BedrockClient.generate("What is the capital of France?").pipe(labelled("gen")))
      assert.isTrue(Exit.isSuccess(emitted.exit))
      const answer = Exit.isSuccess(emitted.exit) ? emitted.exit.value : undefined
      const chat = spanNamed(emitted.spans, `chat ${haiku}`)
      assert.strictEqual(chat.kind, 2) // SpanKind.CLIENT
      assert.deepInclude(chat.attributes, {
        [A.operationName]: "chat",
        [A.providerName]: "aws.bedrock",
        [A.requestModel]: haiku,
        [A.requestMaxTokens]: 256,
        [A.serverAddress]: "127.0.0.1",
        [A.api]: "converse",
        [A.responseId]: answer?.requestId,
        [A.responseFinishReasons]: `["end_turn"]`,
        [A.usageInputTokens]: answer?.usage.inputTokens,
        [A.usageOutputTokens]: answer?.usage.outputTokens
      })
      assert.notProperty(chat.attributes, A.inputMessages) // content capture is off by default
      const retry = chat.events.find((event) => event.name === "bedrock_llm.retry")
      assert.deepInclude(retry?.attributes, { [A.errorType]: "ThrottlingError", [A.retryAttempt]: 1 })
      // the runtime's per-attempt spans are the chat span's children
      const attempts = emitted.spans.filter((span) => span.name === "BedrockRuntime.Converse")
      assert.lengthOf(attempts, 2)
      assert.isTrue(attempts.every((span) => span.parentSpanContext?.spanId === chat.spanContext().spanId))

      const of = { test: "gen", [A.requestModel]: haiku }
      assert.strictEqual(histogramPoint(emitted.metrics, M.tokenUsage, { ...of, [A.tokenType]: "input" }).sum, 12)
      assert.strictEqual(histogramPoint(emitted.metrics, M.operationDuration, of).count, 1)
      assert.strictEqual(counterValue(emitted.metrics, M.retries, { ...of, [A.errorType]: "ThrottlingError" }), 1)
      assert.strictEqual(counterValue(emitted.metrics, M.throttles, of), 1)
      assert.isAbove(counterValue(emitted.metrics, M.cost, of), 0)
    }))

  it.effect("a stream: one chat span over the whole stream, with the time to first chunk and the usage", () =>
    Effect.gen(function*() {
      const emitted = yield* withOtel(
        Stream.runCollect(BedrockClient.stream("Tell me about foxes.")).pipe(labelled("stream"))
      )
      assert.isTrue(Exit.isSuccess(emitted.exit))
      const chat = spanNamed(emitted.spans, `chat ${haiku}`)
      const ttfc = chat.attributes[A.responseTimeToFirstChunk]
      assert.isNumber(ttfc)
      assert.isAbove(chat.attributes[A.usageOutputTokens] as number, 0)
      assert.strictEqual(chat.attributes[A.responseFinishReasons], `["end_turn"]`)
      const attempt = spanNamed(emitted.spans, "BedrockRuntime.ConverseStream")
      assert.strictEqual(attempt.parentSpanContext?.spanId, chat.spanContext().spanId)
      const of = { test: "stream", [A.requestModel]: haiku }
      assert.strictEqual(histogramPoint(emitted.metrics, M.timeToFirstChunk, of).count, 1)
      assert.strictEqual(histogramPoint(emitted.metrics, M.operationDuration, of).count, 1)
    }))

  it.effect("with content capture on, the chat span carries the conversation and the answer", () =>
    Effect.gen(function*() {
      const emitted = yield* withOtel(
        BedrockClient.generate("What is the capital of Peru?").pipe(Telemetry.withCaptureContent(true))
      )
      const chat = spanNamed(emitted.spans, `chat ${haiku}`)
      assert.include(chat.attributes[A.inputMessages] as string, "capital of Peru")
      assert.include(chat.attributes[A.outputMessages] as string, `"role":"assistant"`)
    }))
})

layer(live, { excludeTestServices: true })("embeddings and agents", (it) => {
  it.effect("an embeddings batch: embeddings spans, cache hits and misses, progress to the end", () =>
    Effect.gen(function*() {
      const client = yield* EmbeddingsClient.EmbeddingsClient
      yield* client.embedMany(["alpha", "beta"]).pipe(labelled("emb"))
      const seen: Array<Telemetry.Progress> = []
      const emitted = yield* withOtel(
        client.embedMany(["alpha", "beta", "gamma", "gamma"], {
          onProgress: (progress) => Effect.sync(() => void seen.push(progress))
        }).pipe(labelled("emb"))
      )
      assert.isTrue(Exit.isSuccess(emitted.exit))
      const span = spanNamed(emitted.spans, `embeddings ${titanV2}`)
      assert.deepInclude(span.attributes, {
        [A.operationName]: "embeddings",
        [A.requestModel]: titanV2,
        [A.embeddingsTexts]: 1
      })
      assert.isAbove(span.attributes[A.usageInputTokens] as number, 0)
      const of = { test: "emb", [A.requestModel]: titanV2 }
      assert.strictEqual(counterValue(emitted.metrics, M.embeddingsCache, { ...of, [A.cacheOutcome]: "hit" }), 2)
      assert.strictEqual(counterValue(emitted.metrics, M.embeddingsCache, { ...of, [A.cacheOutcome]: "miss" }), 3)
      const last = seen[seen.length - 1]!
      assert.deepInclude(last, { total: 4, done: 4, failed: 0, ended: true })
      assert.isAbove(last.inputTokens, 0)
    }))

  it.effect("an agent run with a failing tool: invoke_agent over its chat and execute_tool spans, tool metrics", () =>
    Effect.gen(function*() {
      const toolkit = Toolkit.make(Weather)
      const agent = Agent.make({ toolkit, name: "forecaster" })
      const emitted = yield* withOtel(
        agent.run("Use get_weather for Atlantis.").pipe(
          Effect.provide(toolkit.toLayer({
            get_weather: ({ city }) => Effect.fail({ reason: `no weather station in ${city}` })
          })),
          labelled("agent")
        )
      )
      assert.isTrue(Exit.isSuccess(emitted.exit))
      const run = spanNamed(emitted.spans, "invoke_agent forecaster")
      assert.deepInclude(run.attributes, { [A.operationName]: "invoke_agent", [A.agentName]: "forecaster" })
      assert.strictEqual(run.attributes[A.agentSteps], 2)
      const chats = emitted.spans.filter((span) => span.name === `chat ${haiku}`)
      assert.lengthOf(chats, 2)
      assert.isTrue(chats.every((span) => span.parentSpanContext?.spanId === run.spanContext().spanId))
      const tool = spanNamed(emitted.spans, "execute_tool get_weather")
      assert.deepInclude(tool.attributes, { [A.toolName]: "get_weather", [A.errorType]: "Failure" })
      assert.isString(tool.attributes[A.toolCallId])
      assert.strictEqual(tool.spanContext().traceId, run.spanContext().traceId)
      const of = { test: "agent" }
      assert.strictEqual(counterValue(emitted.metrics, M.agentSteps, { ...of, [A.agentName]: "forecaster" }), 2)
      assert.strictEqual(
        counterValue(emitted.metrics, M.toolCalls, { ...of, [A.toolName]: "get_weather", [A.errorType]: "Failure" }),
        1
      )
    }))
})

const oneFailureOpens = liveLayer({ client: { circuitBreaker: { failureThreshold: 1 }, retry: { maxAttempts: 1 } } })

layer(oneFailureOpens, { excludeTestServices: true })("the circuit breaker", (it) => {
  it.effect("a throttle opens the client's breaker: one Closed to Open transition, labelled with the model", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      emulator.faults.enqueue("throttle")
      const emitted = yield* withOtel(
        Effect.gen(function*() {
          const throttled = yield* Effect.flip(BedrockClient.generate("What is the capital of France?"))
          const rejected = yield* Effect.flip(BedrockClient.generate("And of Peru?"))
          return [throttled._tag, rejected._tag]
        }).pipe(labelled("breaker"))
      )
      assert.deepStrictEqual(Exit.isSuccess(emitted.exit) ? emitted.exit.value : [], [
        "ThrottlingError",
        "CircuitOpenError"
      ])
      const transition = (from: string, to: string) => ({
        test: "breaker",
        [A.breakerFrom]: from,
        [A.breakerTo]: to,
        [A.requestModel]: haiku
      })
      assert.strictEqual(counterValue(emitted.metrics, M.breakerTransitions, transition("Closed", "Open")), 1)
      assert.strictEqual(counterValue(emitted.metrics, M.breakerTransitions, { test: "breaker" }), 1)
    }))
})
