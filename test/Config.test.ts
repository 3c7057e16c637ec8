import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Either, Layer, Option, Redacted, Schema } from "effect"
import type * as Config from "effect/Config"
import * as Fs from "node:fs"
import * as BedrockClient from "../src/BedrockClient.js"
import {
  CircuitBreakerConfig,
  ClientConfig,
  ConnectionConfig,
  ModelConfig,
  RetryConfig,
  StaticCredentials
} from "../src/BedrockConfig.js"
import { toSdkInferenceConfig } from "../src/internal/client/requestFields.js"
import * as LocalBedrock from "../src/LocalBedrock.js"

const load = <A>(config: Config.Config<A>, env: Record<string, string>) =>
  Effect.either(Effect.withConfigProvider(config, ConfigProvider.fromMap(new Map(Object.entries(env)))))

const expectFailureNaming = <A>(config: Config.Config<A>, env: Record<string, string>, variable: string) =>
  Effect.gen(function*() {
    const result = yield* load(config, env)
    assert.isTrue(Either.isLeft(result), `expected ${variable} to be rejected`)
    if (Either.isLeft(result)) {
      assert.include(String(result.left), variable)
    }
  })

describe("Config defaults", () => {
  it("ClientConfig", () => {
    const config = new ClientConfig({})
    assert.isUndefined(config.region)
    assert.isUndefined(config.endpoint)
    assert.isUndefined(config.credentials)
    assert.strictEqual(Duration.toMillis(config.requestTimeout), 300_000)
    assert.strictEqual(Duration.toMillis(config.firstEventTimeout), 60_000)
    assert.strictEqual(Duration.toMillis(config.idleTimeout), 60_000)
    assert.strictEqual(config.connection.protocol, "http2")
    assert.isTrue(config.connection.keepAlive)
    assert.strictEqual(config.connection.maxSockets, 50)
    assert.strictEqual(Duration.toMillis(config.connection.connectTimeout), 5_000)
  })

  it("RetryConfig and CircuitBreakerConfig", () => {
    const retry = new RetryConfig({})
    assert.deepStrictEqual(
      [
        retry.maxAttempts,
        Duration.toMillis(retry.baseDelay),
        Duration.toMillis(retry.maxDelay),
        retry.factor,
        retry.jitter,
        Duration.toMillis(retry.maxElapsed),
        retry.honourRetryAfter
      ],
      [4, 200, 20_000, 2, true, 60_000, true]
    )
    const breaker = new CircuitBreakerConfig({})
    assert.deepStrictEqual(
      [
        breaker.failureThreshold,
        Duration.toMillis(breaker.resetTimeout),
        breaker.halfOpenMaxProbes,
        breaker.successThreshold
      ],
      [5, 30_000, 1, 1]
    )
  })

  it("constructors validate", () => {
    assert.throws(() => new ModelConfig({ modelId: "m", temperature: 1.5 }))
    assert.throws(() => new ModelConfig({ modelId: "has space" }))
    assert.throws(() => new RetryConfig({ maxAttempts: 0 }))
    assert.throws(() => new ClientConfig({ endpoint: "ftp://x" }))
  })

  it("decodes from JSON-ish input with durations in milliseconds, and round-trips", () => {
    const decoded = Schema.decodeUnknownSync(RetryConfig)({ baseDelay: 100, maxDelay: 1000, jitter: 0.25 })
    assert.strictEqual(Duration.toMillis(decoded.baseDelay), 100)
    assert.strictEqual(decoded.jitter, 0.25)
    assert.strictEqual(decoded.maxAttempts, 4)
    const encoded = Schema.encodeSync(RetryConfig)(decoded)
    assert.strictEqual(encoded.baseDelay, 100)
  })

  it("explicit credentials stay redacted", () => {
    const config = new ClientConfig({
      credentials: new StaticCredentials({
        accessKeyId: "AKIAFAKEFAKEFAKE1234",
        secretAccessKey: Redacted.make("wJalrXUtnFEMI/FAKE/SECRET/KEYFAKE"),
        sessionToken: Redacted.make("FAKE-SESSION-TOKEN-1")
      })
    })
    const printed = `${String(config)} ${JSON.stringify(config)}`
    assert.notInclude(printed, "wJalrXUtnFEMI/FAKE/SECRET/KEYFAKE")
    assert.notInclude(printed, "FAKE-SESSION-TOKEN-1")
  })
})

describe("Config from the environment", () => {
  it.effect("ClientConfig.fromEnv reads every variable", () =>
    Effect.gen(function*() {
      const config = yield* Effect.withConfigProvider(
        ClientConfig.fromEnv,
        ConfigProvider.fromMap(
          new Map([
            ["AWS_REGION", "eu-west-3"],
            ["AWS_PROFILE", "dev"],
            ["BEDROCK_ENDPOINT", "http://127.0.0.1:4010"],
            ["BEDROCK_REQUEST_TIMEOUT_MS", "1500"],
            ["BEDROCK_STREAM_FIRST_EVENT_TIMEOUT_MS", "700"],
            ["BEDROCK_STREAM_IDLE_TIMEOUT_MS", "800"],
            ["BEDROCK_HTTP_PROTOCOL", "HTTP1.1"],
            ["BEDROCK_HTTP_KEEP_ALIVE", "false"],
            ["BEDROCK_HTTP_MAX_SOCKETS", "8"],
            ["BEDROCK_HTTP2_MULTIPLEX", "false"],
            ["BEDROCK_CONNECT_TIMEOUT_MS", "250"],
            ["AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKE1234"],
            ["AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/FAKE/SECRET/KEYFAKE"]
          ])
        )
      )
      assert.strictEqual(config.region, "eu-west-3")
      assert.strictEqual(config.profile, "dev")
      assert.strictEqual(config.endpoint, "http://127.0.0.1:4010")
      assert.strictEqual(Duration.toMillis(config.requestTimeout), 1500)
      assert.strictEqual(Duration.toMillis(config.firstEventTimeout), 700)
      assert.strictEqual(Duration.toMillis(config.idleTimeout), 800)
      assert.deepStrictEqual(
        [
          config.connection.protocol,
          config.connection.keepAlive,
          config.connection.maxSockets,
          config.connection.multiplex
        ],
        ["http1.1", false, 8, false]
      )
      assert.strictEqual(Duration.toMillis(config.connection.connectTimeout), 250)
      assert.isUndefined(config.credentials, "credentials are left to the SDK chain by default")
    }))

  it.effect("an empty environment gives the defaults", () =>
    Effect.gen(function*() {
      const config = yield* load(ClientConfig.fromEnv, {})
      assert.isTrue(Either.isRight(config))
      if (Either.isRight(config)) {
        assert.isUndefined(config.right.region)
        assert.strictEqual(config.right.connection.protocol, "http2")
        assert.isTrue(config.right.connection.multiplex, "unary requests share one HTTP/2 session")
        assert.strictEqual(Duration.toMillis(config.right.requestTimeout), 300_000)
      }
    }))

  it.effect("AWS_DEFAULT_REGION is the fallback of AWS_REGION; endpoint fallbacks", () =>
    Effect.gen(function*() {
      const fallback = yield* load(ClientConfig.fromEnv, {
        AWS_DEFAULT_REGION: "us-west-2",
        AWS_ENDPOINT_URL_BEDROCK_RUNTIME: "https://vpce.example.com"
      })
      assert.strictEqual(Either.getOrThrow(fallback).region, "us-west-2")
      assert.strictEqual(Either.getOrThrow(fallback).endpoint, "https://vpce.example.com")
      const both = yield* load(ClientConfig.fromEnv, {
        AWS_REGION: "us-east-1",
        AWS_DEFAULT_REGION: "us-west-2",
        BEDROCK_ENDPOINT: "http://localhost:1",
        AWS_ENDPOINT_URL: "https://other.example.com"
      })
      assert.strictEqual(Either.getOrThrow(both).region, "us-east-1")
      assert.strictEqual(Either.getOrThrow(both).endpoint, "http://localhost:1")
    }))

  it.effect("invalid values fail with a ConfigError naming the variable", () =>
    Effect.gen(function*() {
      yield* expectFailureNaming(ClientConfig.fromEnv, { AWS_REGION: "Mars 1" }, "AWS_REGION")
      yield* expectFailureNaming(ClientConfig.fromEnv, { BEDROCK_ENDPOINT: "not a url" }, "BEDROCK_ENDPOINT")
      yield* expectFailureNaming(
        ClientConfig.fromEnv,
        { BEDROCK_REQUEST_TIMEOUT_MS: "soon" },
        "BEDROCK_REQUEST_TIMEOUT_MS"
      )
      yield* expectFailureNaming(
        ClientConfig.fromEnv,
        { BEDROCK_REQUEST_TIMEOUT_MS: "-5" },
        "BEDROCK_REQUEST_TIMEOUT_MS"
      )
      yield* expectFailureNaming(ClientConfig.fromEnv, { BEDROCK_HTTP_PROTOCOL: "http3" }, "BEDROCK_HTTP_PROTOCOL")
      yield* expectFailureNaming(ClientConfig.fromEnv, { BEDROCK_HTTP_KEEP_ALIVE: "maybe" }, "BEDROCK_HTTP_KEEP_ALIVE")
      yield* expectFailureNaming(
        ModelConfig.fromEnv,
        { BEDROCK_MODEL_ID: "m", BEDROCK_TEMPERATURE: "2" },
        "BEDROCK_TEMPERATURE"
      )
      yield* expectFailureNaming(
        ModelConfig.fromEnv,
        { BEDROCK_MODEL_ID: "m", BEDROCK_MAX_TOKENS: "1.5" },
        "BEDROCK_MAX_TOKENS"
      )
      yield* expectFailureNaming(
        ModelConfig.fromEnv,
        { BEDROCK_MODEL_ID: "m", BEDROCK_STOP_SEQUENCES: "not json" },
        "BEDROCK_STOP_SEQUENCES"
      )
      yield* expectFailureNaming(
        ModelConfig.fromEnv,
        { BEDROCK_MODEL_ID: "m", BEDROCK_GUARDRAIL_ID: "g" },
        "BEDROCK_GUARDRAIL_VERSION"
      )
      yield* expectFailureNaming(ModelConfig.fromEnv, {}, "BEDROCK_MODEL_ID")
      yield* expectFailureNaming(RetryConfig.fromEnv, { BEDROCK_RETRY_MAX_ATTEMPTS: "0" }, "BEDROCK_RETRY_MAX_ATTEMPTS")
      yield* expectFailureNaming(RetryConfig.fromEnv, { BEDROCK_RETRY_JITTER: "1.5" }, "BEDROCK_RETRY_JITTER")
      yield* expectFailureNaming(
        CircuitBreakerConfig.fromEnv,
        { BEDROCK_BREAKER_FAILURE_THRESHOLD: "many" },
        "BEDROCK_BREAKER_FAILURE_THRESHOLD"
      )
      yield* expectFailureNaming(
        CircuitBreakerConfig.fromEnv,
        { BEDROCK_BREAKER_RESET_TIMEOUT_MS: "0" },
        "BEDROCK_BREAKER_RESET_TIMEOUT_MS"
      )
      yield* expectFailureNaming(
        ClientConfig.fromEnvWithStaticCredentials,
        { AWS_ACCESS_KEY_ID: "AKIAFAKEFAKEFAKE1234" },
        "AWS_SECRET_ACCESS_KEY"
      )
    }))

  it.effect("ModelConfig.fromEnv reads model id, inference fields, guardrail, tier and metadata", () =>
    Effect.gen(function*() {
      const model = Either.getOrThrow(
        yield* load(ModelConfig.fromEnv, {
          BEDROCK_MODEL_ID:
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-v1:0",
          BEDROCK_MAX_TOKENS: "512",
          BEDROCK_TEMPERATURE: "0.2",
          BEDROCK_TOP_P: "0.9",
          BEDROCK_TOP_K: "40",
          BEDROCK_STOP_SEQUENCES: "[\"\\n\\nHuman:\", \"END, really\"]",
          BEDROCK_SYSTEM_PROMPT: "Be brief.",
          BEDROCK_ADDITIONAL_MODEL_REQUEST_FIELDS: "{\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":1024}}",
          BEDROCK_GUARDRAIL_ID: "gr-1",
          BEDROCK_GUARDRAIL_VERSION: "DRAFT",
          BEDROCK_GUARDRAIL_TRACE: "enabled",
          BEDROCK_PERFORMANCE_LATENCY: "optimized",
          BEDROCK_SERVICE_TIER: "priority",
          BEDROCK_REQUEST_METADATA: "{\"team\":\"search\"}"
        })
      )
      assert.include(model.modelId, "inference-profile/us.anthropic")
      assert.deepStrictEqual([model.maxTokens, model.temperature, model.topP, model.topK], [512, 0.2, 0.9, 40])
      assert.deepStrictEqual(model.stopSequences, ["\n\nHuman:", "END, really"])
      assert.strictEqual(model.system, "Be brief.")
      assert.deepStrictEqual(model.additionalModelRequestFields, { thinking: { type: "enabled", budget_tokens: 1024 } })
      assert.deepStrictEqual(model.guardrail, { identifier: "gr-1", version: "DRAFT", trace: "enabled" })
      assert.strictEqual(model.latency, "optimized")
      assert.strictEqual(model.serviceTier, "priority")
      assert.deepStrictEqual(model.requestMetadata, { team: "search" })
      const fallback = Either.getOrThrow(yield* load(ModelConfig.fromEnvWithDefaultModel("amazon.nova-micro-v1:0"), {}))
      assert.strictEqual(fallback.modelId, "amazon.nova-micro-v1:0")
    }))

  it.effect("RetryConfig and CircuitBreakerConfig from the environment", () =>
    Effect.gen(function*() {
      const retry = Either.getOrThrow(
        yield* load(RetryConfig.fromEnv, {
          BEDROCK_RETRY_MAX_ATTEMPTS: "6",
          BEDROCK_RETRY_BASE_DELAY_MS: "100",
          BEDROCK_RETRY_MAX_DELAY_MS: "1000",
          BEDROCK_RETRY_FACTOR: "3",
          BEDROCK_RETRY_JITTER: "false",
          BEDROCK_RETRY_MAX_ELAPSED_MS: "5000",
          BEDROCK_RETRY_HONOUR_RETRY_AFTER: "no"
        })
      )
      assert.deepStrictEqual(
        [retry.maxAttempts, Duration.toMillis(retry.baseDelay), Duration.toMillis(retry.maxDelay), retry.factor],
        [6, 100, 1000, 3]
      )
      assert.deepStrictEqual([retry.jitter, Duration.toMillis(retry.maxElapsed), retry.honourRetryAfter], [
        false,
        5000,
        false
      ])
      const ratio = Either.getOrThrow(yield* load(RetryConfig.fromEnv, { BEDROCK_RETRY_JITTER: "0.3" }))
      assert.strictEqual(ratio.jitter, 0.3)
      const breaker = Either.getOrThrow(
        yield* load(CircuitBreakerConfig.fromEnv, {
          BEDROCK_BREAKER_FAILURE_THRESHOLD: "3",
          BEDROCK_BREAKER_RESET_TIMEOUT_MS: "10000",
          BEDROCK_BREAKER_HALF_OPEN_MAX_PROBES: "2",
          BEDROCK_BREAKER_SUCCESS_THRESHOLD: "2"
        })
      )
      assert.deepStrictEqual(
        [
          breaker.failureThreshold,
          Duration.toMillis(breaker.resetTimeout),
          breaker.halfOpenMaxProbes,
          breaker.successThreshold
        ],
        [3, 10_000, 2, 2]
      )
    }))

  it.effect("static credentials from the environment are Redacted", () =>
    Effect.gen(function*() {
      const none = Either.getOrThrow(yield* load(StaticCredentials.fromEnv, {}))
      assert.isTrue(Option.isNone(none))
      const config = Either.getOrThrow(
        yield* load(ClientConfig.fromEnvWithStaticCredentials, {
          AWS_ACCESS_KEY_ID: "AKIAFAKEFAKEFAKE1234",
          AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/FAKE/SECRET/KEYFAKE",
          AWS_SESSION_TOKEN: "FAKE-SESSION-TOKEN-1"
        })
      )
      const credentials = config.credentials!
      assert.strictEqual(credentials.accessKeyId, "AKIAFAKEFAKEFAKE1234")
      assert.isTrue(Redacted.isRedacted(credentials.secretAccessKey))
      assert.strictEqual(Redacted.value(credentials.secretAccessKey), "wJalrXUtnFEMI/FAKE/SECRET/KEYFAKE")
      assert.strictEqual(Redacted.value(credentials.sessionToken!), "FAKE-SESSION-TOKEN-1")
      assert.notInclude(String(config), "KEYFAKE")
    }))
})

describe("toSdkInferenceConfig", () => {
  it("emits only the fields that are set", () => {
    assert.deepStrictEqual(toSdkInferenceConfig(new ModelConfig({ modelId: "amazon.nova-micro-v1:0" })), {})
  })

  it("maps every field to the Converse request shape", () => {
    const fields = toSdkInferenceConfig(
      new ModelConfig({
        modelId: "us.anthropic.claude-3-5-haiku-20241022-v1:0",
        maxTokens: 256,
        temperature: 0.5,
        topP: 0.8,
        topK: 20,
        stopSequences: ["STOP"],
        system: "You are terse.",
        additionalModelRequestFields: { thinking: { type: "enabled", budget_tokens: 1024 } },
        additionalModelResponseFieldPaths: ["/stop_sequence"],
        guardrail: { identifier: "gr", version: "1", trace: "enabled", streamProcessingMode: "async" },
        latency: "optimized",
        serviceTier: "flex",
        promptVariables: { name: "Ada" },
        requestMetadata: { team: "a" }
      }),
      { streaming: true }
    )
    assert.deepStrictEqual(fields, {
      system: [{ text: "You are terse." }],
      inferenceConfig: { maxTokens: 256, temperature: 0.5, topP: 0.8, stopSequences: ["STOP"] },
      additionalModelRequestFields: { top_k: 20, thinking: { type: "enabled", budget_tokens: 1024 } },
      additionalModelResponseFieldPaths: ["/stop_sequence"],
      guardrailConfig: {
        guardrailIdentifier: "gr",
        guardrailVersion: "1",
        trace: "enabled",
        streamProcessingMode: "async"
      },
      performanceConfig: { latency: "optimized" },
      serviceTier: { type: "flex" },
      promptVariables: { name: { text: "Ada" } },
      requestMetadata: { team: "a" }
    })
  })

  it("drops streamProcessingMode for non-streaming requests", () => {
    const fields = toSdkInferenceConfig(
      new ModelConfig({ modelId: "m.x", guardrail: { identifier: "g", version: "1", streamProcessingMode: "sync" } })
    )
    assert.deepStrictEqual(fields.guardrailConfig, { guardrailIdentifier: "g", guardrailVersion: "1" })
  })

  it("sends topK under the model family's name", () => {
    const topK = (modelId: string) =>
      toSdkInferenceConfig(new ModelConfig({ modelId, topK: 7 })).additionalModelRequestFields
    assert.deepStrictEqual(topK("anthropic.claude-3-haiku-20240307-v1:0"), { top_k: 7 })
    assert.deepStrictEqual(topK("eu.amazon.nova-pro-v1:0"), { inferenceConfig: { topK: 7 } })
    assert.deepStrictEqual(topK("cohere.command-r-v1:0"), { k: 7 })
    assert.deepStrictEqual(topK("mistral.mistral-large-2402-v1:0"), { top_k: 7 })
    assert.isUndefined(topK("meta.llama3-8b-instruct-v1:0"))
    assert.deepStrictEqual(
      topK("arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"),
      { top_k: 7 }
    )
  })

  it("merges user fields over topK (user wins) and deep-merges Nova's inferenceConfig", () => {
    const fields = toSdkInferenceConfig(
      new ModelConfig({
        modelId: "amazon.nova-lite-v1:0",
        topK: 5,
        additionalModelRequestFields: { inferenceConfig: { topK: 9, extra: 1 } }
      })
    )
    assert.deepStrictEqual(fields.additionalModelRequestFields, { inferenceConfig: { topK: 9, extra: 1 } })
  })

  it("a ConnectionConfig can be built on its own", () => {
    assert.strictEqual(new ConnectionConfig({ protocol: "http1.1" }).maxSockets, 50)
  })
})

describe("every documented BEDROCK_* variable is checked, on the emulator too", () => {
  /** A value each variable must refuse. `BEDROCK_SYSTEM_PROMPT` is free text: no value is wrong. */
  const invalid: Record<string, string> = {
    BEDROCK_ENDPOINT: "ftp://example.com",
    BEDROCK_REQUEST_TIMEOUT_MS: "abc",
    BEDROCK_STREAM_FIRST_EVENT_TIMEOUT_MS: "0",
    BEDROCK_STREAM_IDLE_TIMEOUT_MS: "-5",
    BEDROCK_HTTP_PROTOCOL: "http3",
    BEDROCK_HTTP_KEEP_ALIVE: "maybe",
    BEDROCK_HTTP_MAX_SOCKETS: "-3",
    BEDROCK_HTTP2_MULTIPLEX: "sometimes",
    BEDROCK_CONNECT_TIMEOUT_MS: "soon",
    BEDROCK_EMULATOR: "yes please",
    BEDROCK_MODEL_ID: "has spaces",
    BEDROCK_MAX_TOKENS: "1.5",
    BEDROCK_TEMPERATURE: "2",
    BEDROCK_TOP_P: "-1",
    BEDROCK_TOP_K: "x",
    BEDROCK_STOP_SEQUENCES: "[1",
    BEDROCK_ADDITIONAL_MODEL_REQUEST_FIELDS: "[]",
    BEDROCK_GUARDRAIL_ID: "guardrail-without-a-version",
    BEDROCK_GUARDRAIL_VERSION: "7",
    BEDROCK_GUARDRAIL_TRACE: "loud",
    BEDROCK_GUARDRAIL_STREAM_MODE: "later",
    BEDROCK_PERFORMANCE_LATENCY: "fast",
    BEDROCK_SERVICE_TIER: "gold",
    BEDROCK_REQUEST_METADATA: `{"a":1}`,
    BEDROCK_RETRY_MAX_ATTEMPTS: "0",
    BEDROCK_RETRY_BASE_DELAY_MS: "x",
    BEDROCK_RETRY_MAX_DELAY_MS: "x",
    BEDROCK_RETRY_FACTOR: "0.5",
    BEDROCK_RETRY_JITTER: "2",
    BEDROCK_RETRY_MAX_ELAPSED_MS: "x",
    BEDROCK_RETRY_HONOUR_RETRY_AFTER: "perhaps",
    BEDROCK_BREAKER_FAILURE_THRESHOLD: "0",
    BEDROCK_BREAKER_RESET_TIMEOUT_MS: "x",
    BEDROCK_BREAKER_HALF_OPEN_MAX_PROBES: "-1",
    BEDROCK_BREAKER_SUCCESS_THRESHOLD: "x"
  }

  const documented = () => {
    const source = Fs.readFileSync(new URL("../src/BedrockConfig.ts", import.meta.url), "utf8")
    const header = source.slice(0, source.indexOf("@since"))
    return new Set([...header.matchAll(/`(BEDROCK_[A-Z0-9_]+)`/g)].map((match) => match[1]!))
  }

  it("the list above is the module's table (a new variable needs a case here)", () => {
    assert.deepStrictEqual(
      [...documented()].filter((name) => name !== "BEDROCK_SYSTEM_PROMPT").sort(),
      Object.keys(invalid).sort()
    )
  })

  it.effect("the examples' wiring (LocalBedrock.layer, BedrockClient.layerConfig) fails naming the variable", () =>
    Effect.forEach(Object.entries(invalid), ([name, value]) =>
      Effect.gen(function*() {
        const env = new Map([["BEDROCK_EMULATOR", "1"], [name, value]])
        const wiring = BedrockClient.layerConfig({ defaultModelId: "amazon.nova-micro-v1:0" }).pipe(
          Layer.provideMerge(LocalBedrock.layer())
        )
        const error = yield* Effect.flip(Effect.scoped(Layer.build(wiring))).pipe(
          Effect.withConfigProvider(ConfigProvider.fromMap(env))
        )
        assert.include(String(error), name, `${name}=${value}`)
      })))
})
