import { assert, describe, it } from "@effect/vitest"
import * as Emulator from "bedrock-llm/emulator"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { dynaliteWithTables } from "./support/dynalite.js"
import { call, shiftedClock, startService } from "./support/service.js"

const model = "anthropic.claude-3-haiku-20240307-v1:0"
const keyCacheTtl = Duration.millis(500)

describe("three instances sharing one DynamoDB (dynalite)", () => {
  it.scopedLive(
    "one key's concurrent calls across all three never pass its RPM or its budget; a revoked key is refused everywhere within the key cache TTL",
    () =>
      Effect.gen(function*() {
        const endpoint = yield* dynaliteWithTables
        const emulator = yield* Emulator.make()
        // Every instance starts its clock one second into the same minute: a minute's window holds the whole test.
        const clock = shiftedClock(Date.UTC(2026, 11, 15, 12, 0, 1))
        const instances = yield* Effect.all(
          Array.from({ length: 3 }, () =>
            startService({ sharedEmulator: emulator, dynamoEndpoint: endpoint, clock, settings: { keyCacheTtl } })),
          { concurrency: "unbounded" }
        )
        const [a] = instances
        const create = (body: Record<string, unknown>) =>
          Effect.map(
            call(`${a!.url}/admin/keys`, {
              token: a!.adminKey,
              body: { name: "shared", allowedModels: ["*"], allowedApis: ["openai"], ...body }
            }),
            (response) =>
              response.body as { readonly key: { readonly id: string }; readonly secret: string }
          )
        const burst = (secret: string, count: number) =>
          Effect.all(
            Array.from({ length: count }, (_, i) =>
              call(`${instances[i % 3]!.url}/probe/generate`, {
                token: secret,
                body: { model, prompt: "Hello! What is the capital of France?", maxTokens: 100 }
              })),
            { concurrency: "unbounded" }
          )

        // RPM: 30 concurrent calls, 10 per instance, against 6 per minute.
        const limited = yield* create({ rpm: 6 })
        const before = emulator.stats().requests
        const rpm = yield* burst(limited.secret, 30)
        assert.strictEqual(rpm.filter((r) => r.status === 200).length, 6)
        assert.isTrue(rpm.filter((r) => r.status === 429).every((r) => r.body.error.type === "RateLimited"))
        assert.strictEqual(emulator.stats().requests - before, 6)

        // Budget: 30 concurrent calls whose worst cases add up to far more than the budget.
        const budgeted = yield* create({ monthlyBudgetUsd: 0.0005 })
        const spentCalls = yield* burst(budgeted.secret, 30)
        const served = spentCalls.filter((r) => r.status === 200)
        assert.isAbove(served.length, 0)
        assert.isAbove(spentCalls.filter((r) => r.status === 429 && r.body.error.type === "BudgetExhausted").length, 0)
        const month = yield* call(`${instances[2]!.url}/admin/keys/${budgeted.key.id}`, {
          token: instances[2]!.adminKey
        })
        assert.strictEqual(month.status, 200, JSON.stringify(month.body))
        assert.isAtMost(month.body.month.spentUsd, 0.0005)
        assert.strictEqual(month.body.month.committedUsd, month.body.month.spentUsd)
        const spent = served.reduce((sum, r) => sum + r.body.costMicroUsd, 0)
        assert.strictEqual(Math.round(month.body.month.spentUsd * 1e6), spent)
        const usage = yield* call(`${instances[1]!.url}/admin/usage?keyId=${budgeted.key.id}`, {
          token: instances[1]!.adminKey
        })
        assert.strictEqual(usage.body.totals.requests, served.length)

        // Revocation: the key is cached on every instance, revoked on one, refused on all within the TTL.
        const revoked = yield* create({})
        const warm = yield* burst(revoked.secret, 3)
        assert.deepStrictEqual(warm.map((r) => r.status), [200, 200, 200])
        yield* call(`${a!.url}/admin/keys/${revoked.key.id}/revoke`, { token: a!.adminKey, method: "POST" })
        const refusedEverywhere = yield* Effect.promise(async () => {
          // Bounded: 40 rounds of 50 ms, four times the 500 ms TTL.
          for (let round = 0; round < 40; round++) {
            const statuses = await Promise.all(instances.map((instance) =>
              fetch(`${instance.url}/probe/generate`, {
                method: "POST",
                headers: { authorization: `Bearer ${revoked.secret}`, "content-type": "application/json" },
                body: JSON.stringify({ model, prompt: "Hi", maxTokens: 5 })
              }).then((response) => response.status)
            ))
            if (statuses.every((status) => status === 401)) return true
            await new Promise((resolve) => setTimeout(resolve, 50))
          }
          return false
        })
        assert.isTrue(refusedEverywhere)
      }),
    { timeout: 60_000 }
  )
})
