import { assert, describe, it } from "@effect/vitest"
import { DataPointType } from "@opentelemetry/sdk-metrics"
import { Chunk, ConfigProvider, Effect, Either, Exit, Fiber, FiberRef, Stream } from "effect"
import * as BedrockError from "../src/BedrockError.js"
import { ModelConfig } from "../src/Config.js"
import * as Attributes from "../src/internal/telemetry/attributes.js"
import * as Content from "../src/internal/telemetry/content.js"
import { DURATION_BUCKETS, TOKEN_BUCKETS } from "../src/internal/telemetry/conventions.js"
import * as Metrics from "../src/internal/telemetry/metrics.js"
import * as Span from "../src/internal/telemetry/span.js"
import * as Message from "../src/Message.js"
import type * as Response from "../src/Response.js"
import * as Telemetry from "../src/Telemetry.js"
import { fakeCredentials, haiku } from "./support/live.js"
import { counterValue, descriptorOf, histogramPoint, pointsOf, spanNamed, withOtel } from "./support/otel.js"

const response = (overrides?: Partial<Response.Response>): Response.Response => ({
  message: { role: "assistant", content: [Message.text("Paris.")] },
  stopReason: "end_turn",
  usage: { inputTokens: 12, outputTokens: 3, totalTokens: 15 },
  requestId: "req-1",
  ...overrides
})

describe("span attributes", () => {
  it("a request's attributes follow the GenAI conventions, from a ModelConfig", () => {
    const settings = new ModelConfig({
      modelId: haiku,
      maxTokens: 256,
      temperature: 0.2,
      topP: 0.9,
      stopSequences: ["END"],
      guardrail: { identifier: "gr-1", version: "1" }
    })
    const server = Attributes.serverOf({ endpoint: "http://127.0.0.1:4010" })
    assert.deepStrictEqual(Attributes.requestAttributes("chat", settings, { server, api: "converse" }), {
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "aws.bedrock",
      "gen_ai.request.model": haiku,
      "gen_ai.request.max_tokens": 256,
      "gen_ai.request.temperature": 0.2,
      "gen_ai.request.top_p": 0.9,
      "gen_ai.request.stop_sequences": `["END"]`,
      "aws.bedrock.guardrail.id": "gr-1",
      "bedrock_llm.api": "converse",
      "server.address": "127.0.0.1",
      "server.port": 4010
    })
    assert.deepStrictEqual(Attributes.serverOf({ region: "eu-west-1" }), {
      address: "bedrock-runtime.eu-west-1.amazonaws.com",
      port: 443
    })
    assert.strictEqual(Attributes.spanName("chat", haiku), `chat ${haiku}`)
    assert.strictEqual(Attributes.spanName("invoke_agent", undefined), "invoke_agent")
  })

  it("a response's usage counts cached input tokens in gen_ai.usage.input_tokens and on their own", () => {
    const cached = response({
      usage: { inputTokens: 10, outputTokens: 5, totalTokens: 65, cacheReadInputTokens: 40, cacheWriteInputTokens: 10 },
      stopReason: "max_tokens"
    })
    assert.deepStrictEqual(Attributes.responseAttributes(cached, 0.0021), {
      "gen_ai.response.finish_reasons": `["max_tokens"]`,
      "gen_ai.response.id": "req-1",
      "gen_ai.usage.input_tokens": 60,
      "gen_ai.usage.output_tokens": 5,
      "gen_ai.usage.cache_read.input_tokens": 40,
      "gen_ai.usage.cache_creation.input_tokens": 10,
      "bedrock_llm.cost.usd": 0.0021
    })
  })

  it("error.type is the library's error tag, _OTHER for anything else, with the HTTP status when there is one", () => {
    const throttled = new BedrockError.ThrottlingError({ message: "slow down", status: 429 })
    assert.deepStrictEqual(Attributes.errorAttributes(throttled), {
      "error.type": "ThrottlingError",
      "http.response.status_code": 429
    })
    assert.deepStrictEqual(Attributes.errorAttributes(new Error("boom")), { "error.type": "_OTHER" })
    assert.strictEqual(Attributes.errorType({ _tag: "no spaces allowed here" }), "_OTHER")
    assert.strictEqual(Attributes.errorType(undefined), "_OTHER")
  })

  it("tool and agent spans carry the names and ids the conventions ask for", () => {
    assert.deepStrictEqual(Attributes.toolAttributes({ name: "get_weather", toolUseId: "tu-1" }), {
      "gen_ai.operation.name": "execute_tool",
      "gen_ai.provider.name": "aws.bedrock",
      "gen_ai.tool.name": "get_weather",
      "gen_ai.tool.call.id": "tu-1",
      "gen_ai.tool.type": "function"
    })
    assert.deepStrictEqual(Attributes.toolOutcomeAttributes({ _tag: "TimedOut" }), { "error.type": "TimedOut" })
    assert.deepStrictEqual(Attributes.toolOutcomeAttributes({ _tag: "Success" }), {})
    assert.deepStrictEqual(Attributes.agentAttributes({ name: "support", modelId: haiku }), {
      "gen_ai.operation.name": "invoke_agent",
      "gen_ai.provider.name": "aws.bedrock",
      "gen_ai.agent.name": "support",
      "gen_ai.request.model": haiku
    })
    assert.deepStrictEqual(
      Attributes.agentResultAttributes({
        steps: 3,
        usage: { inputTokens: 5, outputTokens: 2, totalTokens: 7 },
        cost: 1
      }),
      {
        "bedrock_llm.agent.steps": 3,
        "gen_ai.usage.input_tokens": 5,
        "gen_ai.usage.output_tokens": 2,
        "bedrock_llm.cost.usd": 1
      }
    )
  })
})

describe("content capture", () => {
  it("messages become the conventions' role/parts JSON, without bytes and with credentials scrubbed", () => {
    const attributes = Content.inputContentAttributes([
      Message.user([
        Message.text(`my key is ${fakeCredentials.accessKeyId}`),
        { _tag: "Image", format: "png", source: { _tag: "Bytes", bytes: new Uint8Array([1, 2, 3]) } }
      ]),
      { role: "assistant", content: [{ _tag: "ToolUse", toolUseId: "tu-1", name: "lookup", input: { q: "x" } }] },
      Message.user([Message.toolResult("tu-1", "found")])
    ], { text: "Be brief." })
    const input = JSON.parse(attributes["gen_ai.input.messages"] as string)
    assert.deepStrictEqual(input, [
      { role: "user", parts: [{ type: "text", content: "my key is [REDACTED]" }, { type: "image", format: "png" }] },
      { role: "assistant", parts: [{ type: "tool_call", id: "tu-1", name: "lookup", arguments: { q: "x" } }] },
      { role: "tool", parts: [{ type: "tool_call_response", id: "tu-1", response: ["found"] }] }
    ])
    assert.deepStrictEqual(JSON.parse(attributes["gen_ai.system_instructions"] as string), [
      { type: "text", content: "Be brief." }
    ])
    const output = JSON.parse(
      Content.outputContentAttributes(response({ stopReason: "tool_use" }))["gen_ai.output.messages"] as string
    )
    assert.deepStrictEqual(output, [{
      role: "assistant",
      parts: [{ type: "text", content: "Paris." }],
      finish_reason: "tool_call"
    }])
  })

  it("a content attribute longer than the limit is cut and says so", () => {
    const long = Content.contentJson("x".repeat(Content.MAX_CONTENT_CHARS * 2))
    assert.strictEqual(long.length, Content.MAX_CONTENT_CHARS)
    assert.isTrue(long.endsWith(Content.TRUNCATED))
  })

  const readSwitch = (env: Record<string, string>) =>
    Effect.runSync(Effect.either(
      Effect.withConfigProvider(Telemetry.captureContentConfig, ConfigProvider.fromMap(new Map(Object.entries(env))))
    ))

  it("the switch reads OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT, off without it, and names it when invalid", () => {
    const variable = Telemetry.CAPTURE_CONTENT_VARIABLE
    assert.deepStrictEqual(readSwitch({}), Either.right(false))
    assert.deepStrictEqual(readSwitch({ [variable]: "true" }), Either.right(true))
    assert.deepStrictEqual(readSwitch({ [variable]: "SPAN_ONLY" }), Either.right(true))
    assert.deepStrictEqual(readSwitch({ [variable]: "NO_CONTENT" }), Either.right(false))
    const invalid = readSwitch({ [variable]: "maybe" })
    assert.isTrue(Either.isLeft(invalid))
    if (Either.isLeft(invalid)) assert.include(String(invalid.left), variable)
  })

  it.effect("layerCaptureContent turns the switch on for what it is provided to", () =>
    Effect.gen(function*() {
      assert.isFalse(yield* FiberRef.get(Telemetry.captureContent))
      assert.isTrue(yield* Effect.provide(FiberRef.get(Telemetry.captureContent), Telemetry.layerCaptureContent()))
      assert.isTrue(yield* Telemetry.withCaptureContent(FiberRef.get(Telemetry.captureContent), true))
    }))
})

describe("spans through @effect/opentelemetry", () => {
  it.effect("the harness sees a span and a metric emitted through NodeSdk.layer", () =>
    Effect.gen(function*() {
      const model = "harness.model-v1"
      const emitted = yield* withOtel(
        Effect.zipRight(
          Span.annotateSpan(() => Attributes.requestAttributes("chat", { modelId: model, maxTokens: 10 })),
          Metrics.recordCall("chat", model, { durationMillis: 250 })
        ).pipe(Effect.withSpan(Attributes.spanName("chat", model), Span.clientSpan()))
      )
      assert.isTrue(Exit.isSuccess(emitted.exit))
      const span = spanNamed(emitted.spans, `chat ${model}`)
      assert.strictEqual(span.attributes["gen_ai.request.model"], model)
      assert.strictEqual(span.attributes["gen_ai.request.max_tokens"], 10)
      assert.strictEqual(span.kind, 2) // SpanKind.CLIENT
      const duration = histogramPoint(emitted.metrics, "gen_ai.client.operation.duration", {
        "gen_ai.request.model": model,
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "aws.bedrock"
      })
      assert.strictEqual(duration.count, 1)
      assert.strictEqual(duration.sum, 0.25)
      assert.deepStrictEqual(duration.buckets.boundaries, [...DURATION_BUCKETS])
      const descriptor = descriptorOf(emitted.metrics, "gen_ai.client.operation.duration")
      assert.strictEqual(descriptor?.unit, "s")
      assert.strictEqual(
        emitted.metrics.find((m) => m.descriptor.name === "gen_ai.client.operation.duration")?.dataPointType,
        DataPointType.HISTOGRAM
      )
    }))

  it.effect("attributes and content are built only under a recording tracer, content only with the switch on", () =>
    Effect.gen(function*() {
      let built = 0
      const build = () => {
        built++
        return { "gen_ai.usage.input_tokens": 1 }
      }
      const annotated = Effect.zipRight(Span.annotateSpan(build), Span.annotateContent(() => ({ content: "hi" })))
      yield* annotated.pipe(Effect.withSpan("built-in"))
      assert.strictEqual(built, 0)
      const off = yield* withOtel(annotated.pipe(Effect.withSpan("off")))
      assert.strictEqual(built, 1)
      assert.isUndefined(spanNamed(off.spans, "off").attributes["content"])
      const on = yield* withOtel(Telemetry.withCaptureContent(annotated.pipe(Effect.withSpan("on")), true))
      assert.strictEqual(spanNamed(on.spans, "on").attributes["content"], "hi")
    }))

  it.effect("a scoped span covers every pull of a stream and records the time to first chunk on it", () =>
    Effect.gen(function*() {
      const pulls = Effect.gen(function*() {
        const span = yield* Span.scopedSpan("chat stream.model", Span.clientSpan())
        const pull = (n: number) =>
          Effect.zipRight(
            Span.annotateSpan(() => n === 0 ? Attributes.timeToFirstChunkAttributes(120) : { pulls: n + 1 }),
            Effect.withSpan(Effect.void, `runtime ${n}`)
          ).pipe(Span.underSpan(span))
        for (let n = 0; n < 3; n++) yield* pull(n)
      }).pipe(Effect.scoped)
      let underBuiltIn = 0
      yield* Effect.scoped(
        Effect.map(Span.scopedSpan("unrecorded"), (span) => (underBuiltIn += span === undefined ? 1 : 0))
      )
      assert.strictEqual(underBuiltIn, 1)
      const emitted = yield* withOtel(pulls)
      const stream = spanNamed(emitted.spans, "chat stream.model")
      assert.strictEqual(stream.attributes["gen_ai.response.time_to_first_chunk"], 0.12)
      assert.strictEqual(stream.attributes["pulls"], 3)
      assert.strictEqual(spanNamed(emitted.spans, "runtime 2").parentSpanContext?.spanId, stream.spanContext().spanId)
    }))

  it.effect("a retry is a span event with its cause, attempt and delay", () =>
    Effect.gen(function*() {
      const throttled = new BedrockError.ThrottlingError({ message: "slow down", status: 429 })
      const emitted = yield* withOtel(Span.retryEvent(throttled, 1, 212.4).pipe(Effect.withSpan("retried")))
      const [event] = spanNamed(emitted.spans, "retried").events
      assert.strictEqual(event?.name, "bedrock_llm.retry")
      assert.deepStrictEqual(event?.attributes, {
        "error.type": "ThrottlingError",
        "bedrock_llm.retry.attempt": 1,
        "bedrock_llm.retry.delay_ms": 212
      })
    }))
})

describe("metrics through @effect/opentelemetry", () => {
  it.effect("a call's tokens by gen_ai.token.type, its cost, and a throttled failure with its error.type", () =>
    Effect.gen(function*() {
      const model = "metrics.call-v1"
      const throttled = new BedrockError.ThrottlingError({ message: "slow down", status: 429 })
      const emitted = yield* withOtel(Effect.all([
        Metrics.recordCall("chat", model, {
          durationMillis: 1200,
          usage: { inputTokens: 100, outputTokens: 20, totalTokens: 150, cacheReadInputTokens: 30 },
          cost: 0.002
        }),
        Metrics.recordCall("chat", model, { durationMillis: 30, error: throttled }),
        Metrics.recordRetry("chat", model, throttled),
        Metrics.recordTimeToFirstChunk("chat", model, 180)
      ]))
      const of = { "gen_ai.request.model": model }
      const input = histogramPoint(emitted.metrics, "gen_ai.client.token.usage", {
        ...of,
        "gen_ai.token.type": "input"
      })
      const output = histogramPoint(emitted.metrics, "gen_ai.client.token.usage", {
        ...of,
        "gen_ai.token.type": "output"
      })
      assert.strictEqual(input.sum, 130)
      assert.strictEqual(output.sum, 20)
      assert.deepStrictEqual(input.buckets.boundaries, [...TOKEN_BUCKETS])
      assert.strictEqual(descriptorOf(emitted.metrics, "gen_ai.client.token.usage")?.unit, "{token}")
      assert.strictEqual(counterValue(emitted.metrics, "bedrock_llm.client.cost", of), 0.002)
      const failed = histogramPoint(emitted.metrics, "gen_ai.client.operation.duration", {
        ...of,
        "error.type": "ThrottlingError"
      })
      assert.strictEqual(failed.count, 1)
      assert.strictEqual(pointsOf(emitted.metrics, "gen_ai.client.operation.duration", of).length, 2)
      assert.strictEqual(counterValue(emitted.metrics, "bedrock_llm.client.throttles", of), 2)
      assert.strictEqual(
        counterValue(emitted.metrics, "bedrock_llm.client.retries", { ...of, "error.type": "ThrottlingError" }),
        1
      )
      assert.strictEqual(
        histogramPoint(emitted.metrics, "gen_ai.client.operation.time_to_first_chunk", of).sum,
        0.18
      )
      const retries = pointsOf(emitted.metrics, "bedrock_llm.client.retries", of)
      assert.strictEqual(
        emitted.metrics.find((m) => m.descriptor.name === "bedrock_llm.client.retries")?.dataPointType,
        DataPointType.SUM
      )
      for (const point of retries) assert.notProperty(point.attributes, "gen_ai.response.id")
    }))

  it.effect("breaker transitions, embeddings cache, tool calls and agent steps", () =>
    Effect.gen(function*() {
      const model = "metrics.other-v1"
      const emitted = yield* withOtel(Effect.all([
        Metrics.recordBreakerTransition({ from: "Closed", to: "Open" }, model),
        Metrics.recordEmbeddingsCache(model, 7, 3),
        Metrics.recordToolCall("metrics_tool", { _tag: "Success" }, 5),
        Metrics.recordToolCall("metrics_tool", { _tag: "Failure" }, 8),
        Metrics.recordAgentStep("metrics-agent", model),
        Metrics.recordAgentStep("metrics-agent", model)
      ]))
      const of = { "gen_ai.request.model": model }
      assert.strictEqual(
        counterValue(emitted.metrics, "bedrock_llm.circuit_breaker.transitions", {
          ...of,
          "bedrock_llm.circuit_breaker.from": "Closed",
          "bedrock_llm.circuit_breaker.to": "Open"
        }),
        1
      )
      const cache = (outcome: string) =>
        counterValue(emitted.metrics, "bedrock_llm.embeddings.cache.lookups", {
          ...of,
          "bedrock_llm.cache.outcome": outcome
        })
      assert.deepStrictEqual([cache("hit"), cache("miss")], [7, 3])
      const tool = { "gen_ai.tool.name": "metrics_tool" }
      assert.strictEqual(counterValue(emitted.metrics, "bedrock_llm.tool.calls", tool), 2)
      assert.strictEqual(
        counterValue(emitted.metrics, "bedrock_llm.tool.calls", { ...tool, "error.type": "Failure" }),
        1
      )
      assert.strictEqual(
        histogramPoint(emitted.metrics, "gen_ai.client.operation.duration", { ...tool, "error.type": "Failure" }).sum,
        0.008
      )
      assert.strictEqual(
        counterValue(emitted.metrics, "bedrock_llm.agent.steps", { ...of, "gen_ai.agent.name": "metrics-agent" }),
        2
      )
    }))

  it.effect("a fiber's metric labels are added; past the name limit, new names are recorded as _OTHER", () =>
    Effect.gen(function*() {
      const labelled = yield* withOtel(
        Metrics.recordAgentStep("labelled-agent", "labels.model").pipe(
          Effect.labelMetrics([{ key: "tenant", value: "a" } as never])
        )
      )
      assert.strictEqual(
        counterValue(labelled.metrics, "bedrock_llm.agent.steps", {
          "gen_ai.agent.name": "labelled-agent",
          tenant: "a"
        }),
        1
      )
      const names = Array.from({ length: Metrics.MAX_NAMES + 5 }, (_, i) => `bounded_tool_${i}`)
      const emitted = yield* withOtel(
        Effect.forEach(names, (name) => Metrics.recordToolCall(name, { _tag: "Success" }, 1))
      )
      const perTool = pointsOf(emitted.metrics, "bedrock_llm.tool.calls").filter((point) =>
        String(point.attributes["gen_ai.tool.name"]).startsWith("bounded_tool_")
      )
      assert.isAtMost(perTool.length, Metrics.MAX_NAMES)
      assert.isAtLeast(counterValue(emitted.metrics, "bedrock_llm.tool.calls", { "gen_ai.tool.name": "_OTHER" }), 5)
    }))
})

describe("progress", () => {
  it("advance, fraction, rate and the time left", () => {
    const started = Telemetry.start(10_000, 0)
    const later = Telemetry.advance(started, { done: 4_000, failed: 200, inputTokens: 12_000, cost: 0.0012 }, 2_000)
    assert.strictEqual(later.done, 4_200)
    assert.strictEqual(later.failed, 200)
    assert.strictEqual(Telemetry.fraction(later), 0.42)
    assert.strictEqual(Telemetry.ratePerSecond(later), 2_100)
    assert.strictEqual(Telemetry.remainingMillis(later), (5_800 / 2_100) * 1000)
    assert.strictEqual(
      Telemetry.renderBar(later, { label: "embeddings", width: 10 }),
      "embeddings [████░░░░░░]  42% 4,200/10,000 · 200 failed · 12.0k tokens · $0.0012 · 2,100/s · 3s left"
    )
  })

  it.effect("a reporter publishes every change until the work ends, and the bar draws at most every interval", () =>
    Effect.gen(function*() {
      const writes: Array<string> = []
      const bar = Telemetry.terminalBar({ write: (text) => writes.push(text), intervalMillis: 100, width: 4 })
      const seen: Array<number> = []
      const reporter = yield* Telemetry.makeReporter(3, (progress) => {
        seen.push(progress.done)
        return bar(progress)
      })
      const changes = yield* Effect.fork(Stream.runCollect(reporter.changes))
      for (let i = 0; i < 3; i++) yield* Effect.yieldNow()
      yield* reporter.advance({ done: 1 })
      yield* reporter.advance({ done: 1 })
      yield* reporter.advance({ failed: 1 })
      yield* reporter.end
      const final = yield* reporter.current
      const published = Chunk.toReadonlyArray(yield* Fiber.join(changes))
      assert.deepStrictEqual(published.map((progress) => [progress.done, progress.ended]), [
        [0, false],
        [1, false],
        [2, false],
        [3, false],
        [3, true]
      ])
      assert.deepStrictEqual(seen, [1, 2, 3, 3])
      assert.isTrue(final.ended)
      // TestClock stands still: the first change is drawn, the next two are within the interval, the end is drawn
      assert.strictEqual(writes.length, 2)
      assert.isTrue(writes[1]!.endsWith("\n"))
      assert.include(writes[1]!, "3/3 · 1 failed")
    }))

  it.effect("track ends the report when the work fails, so a stream of its changes ends too", () =>
    Effect.gen(function*() {
      let reporterOf: Telemetry.Reporter | undefined
      const result = yield* Effect.either(Telemetry.track(5, (reporter) => {
        reporterOf = reporter
        return Effect.zipRight(reporter.advance({ done: 2 }), Effect.fail("boom"))
      }))
      assert.deepStrictEqual(result, Either.left("boom"))
      const last = yield* reporterOf!.current
      assert.deepStrictEqual([last.done, last.ended], [2, true])
    }))
})
