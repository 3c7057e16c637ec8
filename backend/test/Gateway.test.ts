import { assert, describe, it } from "@effect/vitest"
import { Config as LibraryConfig } from "bedrock-llm"
import * as Effect from "effect/Effect"
import { call, frozenClock, middleOfAMinute, startService } from "./support/service.js"

const model = "anthropic.claude-3-haiku-20240307-v1:0"
const noRetry = new LibraryConfig.RetryConfig({ maxAttempts: 1 })

const generate = (url: string, token: string, body: Record<string, unknown>) =>
  call(`${url}/probe/generate`, { token, body: { model, prompt: "Hello! What is the capital of France?", ...body } })

describe("admission over HTTP", () => {
  it.scopedLive("RPM: of 10 concurrent calls with a limit of 3, exactly 3 reach Bedrock; the rest get 429 and Retry-After", () =>
    Effect.gen(function*() {
      const service = yield* startService({ clock: frozenClock(middleOfAMinute) })
      const key = yield* service.createKey({ rpm: 3 })
      const results = yield* Effect.all(
        Array.from({ length: 10 }, () => generate(service.url, key.secret, { maxTokens: 20 })),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(results.filter((r) => r.status === 200).length, 3)
      const refused = results.filter((r) => r.status === 429)
      assert.strictEqual(refused.length, 7)
      for (const r of refused) {
        assert.strictEqual(r.body.error.type, "RateLimited")
        assert.strictEqual(r.headers.get("retry-after"), "40")
      }
      assert.strictEqual(service.bedrockRequests(), 3)
    }))

  it.scopedLive("budget: concurrent calls never commit more than the budget; refusals are 429 BudgetExhausted", () =>
    Effect.gen(function*() {
      const service = yield* startService()
      // Haiku: $0.25 / $1.25 per million tokens; 40 bytes of prompt and 200 output tokens reserve about $0.00026.
      const key = yield* service.createKey({ monthlyBudgetMicroUsd: 1_000 })
      const results = yield* Effect.all(
        Array.from({ length: 12 }, () => generate(service.url, key.secret, { maxTokens: 200 })),
        { concurrency: "unbounded" }
      )
      const served = results.filter((r) => r.status === 200)
      const refused = results.filter((r) => r.status === 429)
      assert.isAbove(served.length, 0)
      assert.isAbove(refused.length, 0)
      assert.strictEqual(served.length + refused.length, 12)
      for (const r of refused) {
        assert.strictEqual(r.body.error.type, "BudgetExhausted")
        assert.isAbove(Number(r.headers.get("retry-after")), 0)
      }
      const month = yield* call(`${service.url}/admin/keys/${key.record.id}`, { token: service.adminKey })
      const spent = served.reduce((sum, r) => sum + r.body.costMicroUsd, 0)
      assert.strictEqual(Math.round(month.body.month.spentUsd * 1e6), spent)
      assert.strictEqual(month.body.month.committedUsd, month.body.month.spentUsd)
      assert.isAtMost(spent, 1_000)
      assert.strictEqual(service.bedrockRequests(), served.length)
    }))

  it.scopedLive("bad calls are refused before Bedrock: unknown model 404, maxTokens above the model's limit or the key's TPM 400", () =>
    Effect.gen(function*() {
      const service = yield* startService()
      const key = yield* service.createKey({ tpm: 1_000 })
      const unknown = yield* generate(service.url, key.secret, { model: "anthropic.claude-9" })
      assert.deepStrictEqual([unknown.status, unknown.body.error.type], [404, "ModelNotFound"])
      const tooMany = yield* generate(service.url, key.secret, { maxTokens: 4_097 })
      assert.deepStrictEqual([tooMany.status, tooMany.body.error.type], [400, "InvalidRequest"])
      assert.include(tooMany.body.error.message, "4096")
      const overTpm = yield* generate(service.url, key.secret, { maxTokens: 1_000 })
      assert.deepStrictEqual([overTpm.status, overTpm.body.error.type], [400, "InvalidRequest"])
      assert.include(overTpm.body.error.message, "tokens per minute")
      const embeddings = yield* generate(service.url, key.secret, { model: "amazon.titan-embed-text-v2:0" })
      assert.deepStrictEqual([embeddings.status, embeddings.body.error.type], [400, "InvalidRequest"])
      assert.strictEqual(service.bedrockRequests(), 0)
    }))

  it.scopedLive("fallback: a throttled first target before the first byte is retried on the alias's next target", () =>
    Effect.gen(function*() {
      const second = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
      const service = yield* startService({
        settings: {
          retry: noRetry,
          modelAliases: { fast: [{ modelId: model }, { modelId: second, region: "us-west-2" }] }
        }
      })
      const key = yield* service.createKey({ allowedModels: ["fast"] })
      service.emulator.faults.enqueue("throttle")
      const answer = yield* generate(service.url, key.secret, { model: "fast", maxTokens: 30 })
      assert.strictEqual(answer.status, 200)
      assert.strictEqual(answer.body.modelId, second)
      const line = service.logs.find((entry) => entry.path === "/probe/generate")!
      assert.strictEqual(line.fallbacks, 1)
      assert.strictEqual(line.modelId, second)
      const direct = yield* generate(service.url, key.secret, { model })
      assert.strictEqual(direct.status, 403)

      service.emulator.faults.enqueue("throttle", "throttle")
      const exhausted = yield* generate(service.url, key.secret, { model: "fast", maxTokens: 30 })
      assert.deepStrictEqual([exhausted.status, exhausted.body.error.type], [429, "ThrottlingError"])

      service.emulator.faults.enqueue("throttle")
      const streamed = yield* Effect.promise(() =>
        fetch(`${service.url}/probe/stream`, {
          method: "POST",
          headers: { authorization: `Bearer ${key.secret}`, "content-type": "application/json" },
          body: JSON.stringify({ model: "fast", prompt: "Hello!", maxTokens: 30 })
        }).then((response) => response.text())
      )
      assert.include(streamed, "event: Metadata")
      const usage = yield* call(`${service.url}/admin/usage?keyId=${key.record.id}`, { token: service.adminKey })
      assert.deepStrictEqual(usage.body.rows.map((row: { modelId: string }) => row.modelId), [second])
      assert.strictEqual(usage.body.rows[0].requests, 2)
    }))
})
