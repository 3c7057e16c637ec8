import { assert, describe, it } from "@effect/vitest"
import { Message } from "bedrock-llm"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { Gateway } from "../src/Gateway.js"
import { CurrentKey } from "../src/keys/Authentication.js"
import { call, startService } from "./support/service.js"

const model = "anthropic.claude-3-haiku-20240307-v1:0"

describe("the service on loopback with the emulator behind it", () => {
  it.scopedLive("answers liveness, readiness and the OpenAPI document over HTTP", () =>
    Effect.gen(function*() {
      const service = yield* startService()
      const live = yield* Effect.promise(() => fetch(`${service.url}/health/live`))
      assert.strictEqual(live.status, 200)
      assert.deepStrictEqual(yield* Effect.promise(() => live.json()), { status: "ok" })
      assert.match(live.headers.get("x-request-id") ?? "", /^req_[0-9a-f]{24}$/)
      const ready = yield* Effect.promise(() => fetch(`${service.url}/health/ready`))
      assert.strictEqual(ready.status, 200)
      const openapi = yield* Effect.promise(() => fetch(`${service.url}/openapi.json`).then((r) => r.json()))
      assert.ok("/health/ready" in (openapi as { paths: Record<string, unknown> }).paths)
      const docs = yield* Effect.promise(() => fetch(`${service.url}/docs`))
      assert.strictEqual(docs.status, 200)
      assert.include(yield* Effect.promise(() => docs.text()), "<html")
      assert.strictEqual(service.logs.filter((line) => line.path === "/health/live" && line.status === 200).length, 1)
      assert.strictEqual(service.bedrockRequests(), 0)
    }))

  it.scopedLive("the gateway calls the emulator on behalf of a key and meters the call", () =>
    Effect.gen(function*() {
      const service = yield* startService()
      const key = yield* service.createKey({ monthlyBudgetMicroUsd: 1_000_000 })
      const gateway = Context.get(service.context, Gateway)
      const generated = yield* gateway.generate({ messages: [Message.user("Hello!")] }, { api: "openai", model })
        .pipe(Effect.provideService(CurrentKey, key.record))
      assert.isAbove(generated.response.usage.outputTokens, 0)
      assert.isAbove(generated.costMicroUsd, 0)
      assert.strictEqual(generated.modelId, model)
      const events = yield* Effect.scoped(
        Effect.flatMap(
          gateway.stream({ messages: [Message.user("Hello again!")] }, { api: "openai", model, maxTokens: 50 }),
          Stream.runCollect
        )
      ).pipe(Effect.provideService(CurrentKey, key.record))
      assert.isTrue([...events].some((event) => event._tag === "Metadata"))
      assert.strictEqual(service.bedrockRequests(), 2)
    }))
})

describe("the gateway's other calls", () => {
  it.scopedLive("embeds texts and counts tokens on behalf of a key; both are authorized like every call", () =>
    Effect.gen(function*() {
      const service = yield* startService()
      const gateway = Context.get(service.context, Gateway)
      const key = yield* service.createKey({ allowedModels: ["amazon.titan-embed-*", "anthropic.*"] })
      const embedded = yield* gateway.embed(["one text", "another text"], {
        api: "openai",
        model: "amazon.titan-embed-text-v2:0",
        dimensions: 256
      }).pipe(Effect.provideService(CurrentKey, key.record))
      assert.strictEqual(embedded.vectors.length, 2)
      assert.strictEqual(embedded.vectors[0]!.length, 256)
      assert.isAbove(embedded.inputTokens, 0)
      assert.isAbove(embedded.costMicroUsd, 0)
      const counted = yield* gateway.countTokens({ messages: [Message.user("Count these tokens, please.")] }, {
        api: "anthropic",
        model: "anthropic.claude-3-5-haiku-20241022-v1:0"
      }).pipe(Effect.provideService(CurrentKey, key.record))
      assert.isAbove(counted.inputTokens, 0)
      assert.strictEqual(counted.exact, true)
      assert.strictEqual(service.emulator.stats().requestsByOperation["CountTokens"], 1)
      const refused = yield* Effect.flip(
        gateway.embed(["x"], { api: "openai", model: "cohere.embed-english-v3" }).pipe(
          Effect.provideService(CurrentKey, key.record)
        )
      )
      assert.strictEqual(refused._tag, "Forbidden")
      const usage = yield* call(`${service.url}/admin/usage?keyId=${key.record.id}`, { token: service.adminKey })
      assert.deepStrictEqual(usage.body.rows.map((row: { modelId: string }) => row.modelId), [
        "amazon.titan-embed-text-v2:0"
      ])
    }))
})

describe("Gateway.admit, for callers that speak Bedrock's own shapes", () => {
  it.scopedLive("admits, hands over the target's runtime, and settles what the caller reports", () =>
    Effect.gen(function*() {
      const service = yield* startService()
      const gateway = Context.get(service.context, Gateway)
      const key = yield* service.createKey({ monthlyBudgetMicroUsd: 1_000_000 })
      const reported = yield* Effect.scoped(Effect.gen(function*() {
        const admitted = yield* gateway.admit({ api: "bedrock", model, inputTokens: 20, maxTokens: 50 })
        const target = admitted.targets[0]!
        const output = yield* target.runtime.converse({
          modelId: target.modelId,
          messages: [{ role: "user", content: [{ text: "Hello!" }] }],
          inferenceConfig: { maxTokens: admitted.maxTokens }
        })
        const usage = { inputTokens: output.usage!.inputTokens!, outputTokens: output.usage!.outputTokens! }
        yield* admitted.settle({ target, usage })
        return usage
      })).pipe(Effect.provideService(CurrentKey, key.record))
      const unsettled = yield* Effect.scoped(gateway.admit({ api: "bedrock", model, inputTokens: 20 })).pipe(
        Effect.provideService(CurrentKey, key.record)
      )
      assert.strictEqual(unsettled.maxTokens, 4096)
      const usage = yield* call(`${service.url}/admin/usage?keyId=${key.record.id}`, { token: service.adminKey })
      assert.deepStrictEqual(
        [usage.body.totals.requests, usage.body.totals.inputTokens, usage.body.totals.outputTokens],
        [1, reported.inputTokens, reported.outputTokens]
      )
      const month = yield* call(`${service.url}/admin/keys/${key.record.id}`, { token: service.adminKey })
      assert.strictEqual(month.body.month.committedUsd, month.body.month.spentUsd)
      assert.isAbove(month.body.month.spentUsd, 0)
    }))
})
