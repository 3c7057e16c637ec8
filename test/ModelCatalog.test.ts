import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ModelCatalog from "../src/ModelCatalog.js"

const sonnet45 = "anthropic.claude-sonnet-4-5-20250929-v1:0"

const resolvedId = (id: string): string | undefined =>
  Option.getOrUndefined(Option.map(ModelCatalog.resolve(id), (info) => info.id))

const customModel = (id: string) =>
  new ModelCatalog.ModelInfo({
    id,
    family: "other",
    displayName: "Custom",
    contextWindow: 10_000,
    maxOutputTokens: 1_000,
    capabilities: {
      tools: false,
      streamingToolUse: false,
      vision: false,
      documents: false,
      reasoning: false,
      promptCaching: false,
      citations: false
    },
    inputModalities: ["text"],
    prices: { input: 1, output: 2 },
    pricesAsOf: "2026-11-27",
    countTokensSupported: false
  })

describe("ModelCatalog", () => {
  describe("resolve", () => {
    it("resolves base ids", () => {
      assert.strictEqual(resolvedId(sonnet45), sonnet45)
      assert.strictEqual(resolvedId("amazon.nova-pro-v1:0"), "amazon.nova-pro-v1:0")
      assert.strictEqual(resolvedId("meta.llama4-maverick-17b-instruct-v1:0"), "meta.llama4-maverick-17b-instruct-v1:0")
    })

    it("resolves cross-region inference profiles with every prefix", () => {
      for (const prefix of ["us", "eu", "apac", "us-gov", "global", "jp", "au", "ca"]) {
        assert.strictEqual(resolvedId(`${prefix}.${sonnet45}`), sonnet45, prefix)
      }
      assert.strictEqual(resolvedId("us.amazon.nova-lite-v1:0"), "amazon.nova-lite-v1:0")
    })

    it("resolves foundation-model and system inference profile ARNs", () => {
      assert.strictEqual(resolvedId(`arn:aws:bedrock:us-east-1::foundation-model/${sonnet45}`), sonnet45)
      assert.strictEqual(
        resolvedId(`arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.${sonnet45}`),
        sonnet45
      )
      assert.strictEqual(
        resolvedId(`arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:inference-profile/us-gov.${sonnet45}`),
        sonnet45
      )
    })

    it("resolves percent-encoded ids and ARNs", () => {
      assert.strictEqual(resolvedId(encodeURIComponent(sonnet45)), sonnet45)
      assert.strictEqual(
        resolvedId(encodeURIComponent(`arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.${sonnet45}`)),
        sonnet45
      )
      assert.strictEqual(
        resolvedId("anthropic.claude-3-haiku-20240307-v1%3A0"),
        "anthropic.claude-3-haiku-20240307-v1:0"
      )
    })

    it("resolves the provisioned-throughput context suffix to its base model", () => {
      assert.strictEqual(resolvedId("amazon.nova-micro-v1:0:128k"), "amazon.nova-micro-v1:0")
    })

    it("does not resolve unknown ids, malformed encodings or application inference profile ARNs", () => {
      assert.isTrue(Option.isNone(ModelCatalog.resolve("anthropic.claude-9-opus-v1:0")))
      assert.isTrue(Option.isNone(ModelCatalog.resolve("us.nobody.model-v1:0")))
      assert.isTrue(Option.isNone(ModelCatalog.resolve("%E0%A4%A")))
      assert.isTrue(
        Option.isNone(
          ModelCatalog.resolve("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123")
        )
      )
    })

    it("parses id forms", () => {
      const profile = ModelCatalog.parseId(`global.${sonnet45}`)
      assert.strictEqual(profile.kind, "inference-profile")
      assert.deepStrictEqual(profile.profilePrefix, Option.some("global"))
      const arn = ModelCatalog.parseId(`arn:aws:bedrock:ap-northeast-1:123456789012:inference-profile/apac.${sonnet45}`)
      assert.strictEqual(arn.kind, "inference-profile-arn")
      assert.strictEqual(arn.baseId, sonnet45)
      assert.deepStrictEqual(arn.region, Option.some("ap-northeast-1"))
      const app = ModelCatalog.parseId("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123")
      assert.strictEqual(app.kind, "application-inference-profile-arn")
      assert.strictEqual(ModelCatalog.parseId("meta.llama3-1-8b-instruct-v1:0").kind, "base")
      assert.isTrue(ModelCatalog.isGlobalProfile(`global.${sonnet45}`))
      assert.isFalse(ModelCatalog.isGlobalProfile(`us.${sonnet45}`))
    })
  })

  describe("service", () => {
    it.effect("get finds entries and fails with UnknownModel and a hint", () =>
      Effect.gen(function*() {
        const catalog = yield* ModelCatalog.ModelCatalog
        const info = yield* catalog.get(`us.${sonnet45}`)
        assert.strictEqual(info.displayName, "Claude Sonnet 4.5")
        const missing = yield* Effect.flip(catalog.get("anthropic.claude-unknown-v1:0"))
        assert.strictEqual(missing._tag, "UnknownModel")
        assert.strictEqual(missing.id, "anthropic.claude-unknown-v1:0")
        assert.include(missing.hint, "anthropic.")
        const app = yield* Effect.flip(
          catalog.get("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123")
        )
        assert.include(app.hint, "does not name its base model")
        assert.isTrue(Option.isNone(yield* catalog.find("nope")))
      }).pipe(Effect.provide(ModelCatalog.layer)))

    it.effect("register adds entries, including application inference profile ARNs", () =>
      Effect.gen(function*() {
        const catalog = yield* ModelCatalog.ModelCatalog
        const arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123"
        // Looked up (and not found) before it is registered: the answer is not kept past the change.
        assert.isTrue(Option.isNone(yield* catalog.find(arn)))
        yield* catalog.register(customModel(arn))
        assert.strictEqual((yield* catalog.get(arn)).displayName, "Custom")
        assert.strictEqual((yield* catalog.get(encodeURIComponent(arn))).displayName, "Custom")
        assert.isTrue(Option.isNone(ModelCatalog.resolve(arn)), "the defaults are not changed")
      }).pipe(Effect.provide(ModelCatalog.layer)))

    it.effect("alias maps an application inference profile ARN to a base model", () =>
      Effect.gen(function*() {
        const catalog = yield* ModelCatalog.ModelCatalog
        const arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/team-a"
        assert.isTrue(Option.isNone(yield* catalog.find(arn)))
        yield* catalog.alias(arn, `us.${sonnet45}`)
        assert.strictEqual((yield* catalog.get(arn)).id, sonnet45)
        const bad = yield* Effect.flip(catalog.alias("x", "not.a-model"))
        assert.strictEqual(bad._tag, "UnknownModel")
      }).pipe(Effect.provide(ModelCatalog.layer)))

    it.effect("override merges a patch and validates it", () =>
      Effect.gen(function*() {
        const catalog = yield* ModelCatalog.ModelCatalog
        const updated = yield* catalog.override(`eu.${sonnet45}`, {
          prices: { input: 2 },
          capabilities: { citations: false }
        })
        assert.strictEqual(updated.id, sonnet45)
        assert.strictEqual(updated.prices.input, 2)
        assert.strictEqual(updated.prices.output, 15)
        assert.isFalse(updated.capabilities.citations)
        assert.isTrue(updated.capabilities.tools)
        assert.strictEqual((yield* catalog.get(sonnet45)).prices.input, 2)
        const invalid = yield* Effect.flip(catalog.override(sonnet45, { contextWindow: -1 }))
        assert.strictEqual(invalid._tag, "ParseError")
        assert.strictEqual((yield* catalog.get(sonnet45)).contextWindow, 200_000)
      }).pipe(Effect.provide(ModelCatalog.layer)))

    it.effect("layerWith adds and replaces entries", () =>
      Effect.gen(function*() {
        const catalog = yield* ModelCatalog.ModelCatalog
        const all = yield* catalog.all
        assert.strictEqual(all.length, ModelCatalog.defaults.length + 1)
        assert.strictEqual((yield* catalog.get("my.model")).family, "other")
        assert.strictEqual((yield* catalog.get("amazon.nova-pro-v1:0")).displayName, "Custom")
      }).pipe(
        Effect.provide(ModelCatalog.layerWith([customModel("my.model"), customModel("amazon.nova-pro-v1:0")]))
      ))
  })

  describe("cost", () => {
    const usage = {
      inputTokens: 10_000,
      outputTokens: 2_000,
      cacheReadInputTokens: 50_000,
      cacheWriteInputTokens: 4_000
    }

    it.effect("prices input, output and cache tokens (hand-computed)", () =>
      Effect.gen(function*() {
        const catalog = yield* ModelCatalog.ModelCatalog
        // Claude 3.7 Sonnet: 10k x $3 + 2k x $15 + 50k x $0.30 + 4k x $3.75 per million
        const cost = yield* catalog.cost("us.anthropic.claude-3-7-sonnet-20250219-v1:0", usage)
        assert.closeTo(cost.input, 0.03, 1e-12)
        assert.closeTo(cost.output, 0.03, 1e-12)
        assert.closeTo(cost.cacheRead, 0.015, 1e-12)
        assert.closeTo(cost.cacheWrite, 0.015, 1e-12)
        assert.closeTo(cost.total, 0.09, 1e-12)
      }).pipe(Effect.provide(ModelCatalog.layer)))

    it.effect("adds the regional surcharge except on global profiles", () =>
      Effect.gen(function*() {
        const catalog = yield* ModelCatalog.ModelCatalog
        assert.closeTo((yield* catalog.cost(`global.${sonnet45}`, usage)).total, 0.09, 1e-12)
        assert.closeTo((yield* catalog.cost(`us.${sonnet45}`, usage)).total, 0.099, 1e-12)
        assert.closeTo((yield* catalog.cost(sonnet45, usage)).total, 0.099, 1e-12)
      }).pipe(Effect.provide(ModelCatalog.layer)))

    it.effect("bills cache writes at the input price when no cache-write price is listed", () =>
      Effect.gen(function*() {
        const catalog = yield* ModelCatalog.ModelCatalog
        const million = 1_000_000
        const cost = yield* catalog.cost("amazon.nova-micro-v1:0", {
          inputTokens: million,
          outputTokens: million,
          cacheReadInputTokens: million,
          cacheWriteInputTokens: million
        })
        assert.closeTo(cost.cacheWrite, 0.035, 1e-12)
        assert.closeTo(cost.total, 0.035 + 0.14 + 0.00875 + 0.035, 1e-12)
        const plain = yield* catalog.cost("amazon.nova-micro-v1:0", { inputTokens: 0, outputTokens: 0 })
        assert.strictEqual(plain.total, 0)
        const unknown = yield* Effect.flip(catalog.cost("x.y-v1:0", usage))
        assert.strictEqual(unknown._tag, "UnknownModel")
      }).pipe(Effect.provide(ModelCatalog.layer)))
  })

  describe("estimateTokens", () => {
    it("follows the documented formula", () => {
      assert.strictEqual(ModelCatalog.estimateTokens(""), 0)
      assert.strictEqual(ModelCatalog.estimateTokens("hello"), 2)
      assert.strictEqual(ModelCatalog.estimateTokens("The quick brown fox jumps over the lazy dog"), 12)
      assert.strictEqual(ModelCatalog.estimateTokens("x".repeat(400)), 100)
      assert.strictEqual(ModelCatalog.estimateTokens("a b c d"), 6)
      assert.strictEqual(ModelCatalog.estimateTokens("日本語のテキスト"), 8)
      assert.strictEqual(ModelCatalog.estimateTokens("   \n\t "), 2)
    })
  })

  describe("checkMaxTokens", () => {
    const haiku = Option.getOrThrow(ModelCatalog.resolve("anthropic.claude-3-haiku-20240307-v1:0"))
    it("accepts values within the limit and names the limit otherwise", () => {
      assert.isTrue(Either.isRight(ModelCatalog.checkMaxTokens(haiku, 4_096)))
      const over = ModelCatalog.checkMaxTokens(haiku, 4_097)
      assert.isTrue(Either.isLeft(over))
      assert.include(Either.getLeft(over).pipe(Option.getOrThrow), "max output tokens limit of 4096")
      assert.isTrue(Either.isLeft(ModelCatalog.checkMaxTokens(haiku, 0)))
      assert.isTrue(Either.isLeft(ModelCatalog.checkMaxTokens(haiku, 1.5)))
      const titan = Option.getOrThrow(ModelCatalog.resolve("amazon.titan-embed-text-v2:0"))
      assert.include(Either.getLeft(ModelCatalog.checkMaxTokens(titan, 10)).pipe(Option.getOrThrow), "embeddings")
    })
  })

  describe("built-in entries", () => {
    const ids = [
      "anthropic.claude-3-haiku-20240307-v1:0",
      "anthropic.claude-3-5-haiku-20241022-v1:0",
      "anthropic.claude-3-5-sonnet-20241022-v2:0",
      "anthropic.claude-3-7-sonnet-20250219-v1:0",
      "anthropic.claude-sonnet-4-20250514-v1:0",
      sonnet45,
      "anthropic.claude-opus-4-20250514-v1:0",
      "anthropic.claude-opus-4-1-20250805-v1:0",
      "anthropic.claude-haiku-4-5-20251001-v1:0",
      "amazon.nova-micro-v1:0",
      "amazon.nova-lite-v1:0",
      "amazon.nova-pro-v1:0",
      "amazon.nova-premier-v1:0",
      "amazon.nova-2-lite-v1:0",
      "meta.llama3-1-8b-instruct-v1:0",
      "meta.llama3-1-70b-instruct-v1:0",
      "meta.llama3-2-1b-instruct-v1:0",
      "meta.llama3-2-3b-instruct-v1:0",
      "meta.llama3-2-11b-instruct-v1:0",
      "meta.llama3-2-90b-instruct-v1:0",
      "meta.llama3-3-70b-instruct-v1:0",
      "meta.llama4-scout-17b-instruct-v1:0",
      "meta.llama4-maverick-17b-instruct-v1:0",
      "amazon.titan-text-express-v1",
      "amazon.titan-text-lite-v1",
      "amazon.titan-text-premier-v1:0",
      "mistral.mistral-7b-instruct-v0:2",
      "mistral.mixtral-8x7b-instruct-v0:1",
      "mistral.mistral-large-2402-v1:0",
      "mistral.mistral-large-2407-v1:0",
      "mistral.mistral-small-2402-v1:0",
      "cohere.command-r-v1:0",
      "cohere.command-r-plus-v1:0",
      "ai21.jamba-1-5-mini-v1:0",
      "ai21.jamba-1-5-large-v1:0",
      "amazon.titan-embed-text-v1",
      "amazon.titan-embed-text-v2:0",
      "cohere.embed-english-v3",
      "cohere.embed-multilingual-v3",
      "cohere.embed-v4:0"
    ]

    it("include every model the catalog promises", () => {
      for (const id of ids) assert.isTrue(Option.isSome(ModelCatalog.resolve(id)), id)
    })

    it("have unique ids and sane numbers", () => {
      const seen = new Set<string>()
      for (const info of ModelCatalog.defaults) {
        assert.isFalse(seen.has(info.id), `duplicate ${info.id}`)
        seen.add(info.id)
        assert.isAtLeast(info.contextWindow, info.maxOutputTokens, info.id)
        assert.isAtLeast(info.prices.input, 0, info.id)
        assert.isAtLeast(info.prices.output, 0, info.id)
        assert.isAtLeast(info.prices.cacheRead ?? 0, 0, info.id)
        assert.isAtLeast(info.prices.cacheWrite ?? 0, 0, info.id)
        if (info.prices.cacheRead !== undefined) assert.isBelow(info.prices.cacheRead, info.prices.input, info.id)
        assert.match(info.pricesAsOf, /^20\d\d-\d\d-\d\d$/, info.id)
        assert.isTrue(Option.isSome(ModelCatalog.resolve(`us.${info.id}`)), info.id)
      }
    })

    it("give embeddings models dimensions, batch and input limits, and no output", () => {
      const embedders = ModelCatalog.defaults.filter((info) => info.family.endsWith("-embed"))
      assert.strictEqual(embedders.length, 5)
      for (const info of embedders) {
        const embeddings = info.capabilities.embeddings
        assert.isDefined(embeddings, info.id)
        assert.isAbove(embeddings!.dimensions.length, 0, info.id)
        assert.isAbove(embeddings!.maxBatch, 0, info.id)
        assert.strictEqual(info.maxOutputTokens, 0, info.id)
        assert.strictEqual(info.contextWindow, embeddings!.maxInputTokens, info.id)
      }
      const titanV2 = Option.getOrThrow(ModelCatalog.resolve("amazon.titan-embed-text-v2:0"))
      assert.deepStrictEqual(titanV2.capabilities.embeddings?.dimensions, [256, 512, 1024])
      assert.isTrue(titanV2.capabilities.embeddings?.normalize)
      const cohereV3 = Option.getOrThrow(ModelCatalog.resolve("cohere.embed-english-v3"))
      assert.strictEqual(cohereV3.capabilities.embeddings?.maxBatch, 96)
      const cohereV4 = Option.getOrThrow(ModelCatalog.resolve("cohere.embed-v4:0"))
      assert.deepStrictEqual(cohereV4.capabilities.embeddings?.dimensions, [256, 512, 1024, 1536])
    })

    it("mark CountTokens support only on Claude models", () => {
      for (const info of ModelCatalog.defaults) {
        if (info.countTokensSupported) assert.strictEqual(info.family, "anthropic", info.id)
      }
    })
  })
})
