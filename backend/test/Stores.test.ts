import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { hash as hashOf } from "../src/keys/ApiKey.js"
import * as KeyStore from "../src/keys/KeyStore.js"
import * as Budget from "../src/limits/Budget.js"
import * as Counters from "../src/limits/Counters.js"
import * as RateLimiter from "../src/limits/RateLimiter.js"
import * as Sweeper from "../src/limits/Sweeper.js"
import * as UsageStore from "../src/usage/UsageStore.js"
import { dynaliteWithTables, dynamoOn, tables } from "./support/dynalite.js"
import { openKey } from "./support/service.js"

type Stores = KeyStore.KeyStore | Counters.Counters | UsageStore.UsageStore | RateLimiter.RateLimiter | Budget.Budget

const withLimits = <E, R>(stores: Layer.Layer<KeyStore.KeyStore | Counters.Counters | UsageStore.UsageStore, E, R>) =>
  Layer.merge(RateLimiter.layer, Budget.layer).pipe(Layer.provideMerge(stores))

const kinds: ReadonlyArray<readonly [string, Layer.Layer<Stores, unknown>]> = [
  ["memory", withLimits(Layer.mergeAll(KeyStore.layerMemory, Counters.layerMemory, UsageStore.layerMemory))],
  [
    "DynamoDB (dynalite)",
    withLimits(Layer.unwrapScoped(Effect.map(dynaliteWithTables, (endpoint) =>
      Layer.mergeAll(
        KeyStore.layerDynamo(tables.keysTable),
        Counters.layerDynamo(tables.limitsTable),
        UsageStore.layerDynamo(tables.usageTable)
      ).pipe(Layer.provide(dynamoOn(endpoint))))))
  ]
]

const minute = 60_000

for (const [kind, layer] of kinds) {
  describe(`stores in ${kind}`, () => {
    it.effect("counters: 40 concurrent conditional adds against a limit of 10 admit exactly 10", () =>
      Effect.gen(function*() {
        const counters = yield* Counters.Counters
        const results = yield* Effect.all(
          Array.from({ length: 40 }, () => counters.tryAdd("c#1", "n", 1, 10, minute)),
          { concurrency: "unbounded" }
        )
        assert.strictEqual(results.filter((taken) => taken).length, 10)
        assert.deepStrictEqual(yield* counters.get("c#1"), { n: 10 })
        assert.isFalse(yield* counters.tryAdd("c#2", "n", 11, 10, minute))
        yield* counters.add("c#1", { n: -3, m: 2 }, minute)
        assert.deepStrictEqual(yield* counters.get("c#1"), { n: 7, m: 2 })
      }).pipe(Effect.provide(layer)))

    it.effect("rate limiter: RPM per calendar minute, refused with the seconds left; TPM reserves and settles", () =>
      Effect.gen(function*() {
        const limiter = yield* RateLimiter.RateLimiter
        yield* TestClock.setTime(10 * minute + 15_000)
        const demand = { keyId: "key_a", rpm: 2, tpm: 1_000, tokens: 400 }
        const first = yield* limiter.acquire(demand)
        yield* limiter.acquire(demand)
        const refused = yield* Effect.flip(limiter.acquire(demand))
        assert.strictEqual(refused._tag === "RateLimited" && refused.limit, "rpm")
        assert.strictEqual(refused._tag === "RateLimited" && refused.retryAfterSeconds, 45)
        yield* TestClock.adjust(minute)
        const next = yield* limiter.acquire(demand)
        const tooMany = yield* Effect.flip(limiter.acquire({ ...demand, tokens: 601 }))
        assert.strictEqual(tooMany._tag === "RateLimited" && tooMany.limit, "tpm")
        yield* limiter.settle(next, 100)
        yield* limiter.acquire({ ...demand, tokens: 900 })
        // A settlement lands in the permit's own window, whatever the time now.
        yield* limiter.settle(first, 0)
        const third = yield* Effect.flip(limiter.acquire(demand))
        assert.strictEqual(third._tag === "RateLimited" && third.limit, "rpm")
      }).pipe(Effect.provide(layer)))

    it.effect("budget: reservations never pass the budget; settling gives back the difference", () =>
      Effect.gen(function*() {
        const budget = yield* Budget.Budget
        yield* TestClock.setTime(Date.UTC(2026, 11, 31, 23, 0))
        const reservations = yield* Effect.all(
          Array.from({ length: 20 }, () => Effect.either(budget.reserve("key_b", 1_000, 300))),
          { concurrency: "unbounded" }
        )
        const held = reservations.filter(Either.isRight).map((r) => r.right)
        assert.strictEqual(held.length, 3)
        const refused = reservations.find(Either.isLeft)!.left
        assert.strictEqual(refused._tag === "BudgetExhausted" && refused.retryAfterSeconds, 3600)
        yield* budget.settle(held[0]!, 120)
        assert.deepStrictEqual(yield* budget.status("key_b"), {
          period: "2026-12",
          committedMicroUsd: 720,
          spentMicroUsd: 120
        })
        yield* budget.reserve("key_b", 1_000, 280)
        yield* TestClock.adjust("1 hour")
        yield* budget.settle(held[1]!, 300)
        assert.deepStrictEqual(yield* budget.status("key_b"), {
          period: "2027-01",
          committedMicroUsd: 0,
          spentMicroUsd: 0
        })
        assert.strictEqual(Budget.toMicroUsd(0.1), 100_000)
        assert.strictEqual(Budget.toMicroUsd(0.0000001), 1)
      }).pipe(Effect.provide(layer)))

    it.effect("budget: the sweep on its schedule releases reservations left unsettled once their hold expires", () =>
      Effect.gen(function*() {
        const budget = yield* Budget.Budget
        const keys = yield* KeyStore.KeyStore
        yield* TestClock.setTime(Date.UTC(2026, 11, 10, 12, 0))
        const { record } = yield* keys.create({ ...openKey, monthlyBudgetMicroUsd: 1_000 })
        const committed = Effect.map(budget.status(record.id), (month) => month.committedMicroUsd)
        /** Waits (bounded) for the sweeper fiber's store calls to land. */
        const settled = (expected: number) =>
          Effect.gen(function*() {
            for (let i = 0; i < 200 && (yield* committed) !== expected; i++) {
              yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 5)))
            }
            return yield* committed
          })
        // An instance reserves and dies before settling; ten minutes later another call reserves.
        const stale = yield* budget.reserve(record.id, 1_000, 600)
        yield* TestClock.adjust("10 minutes")
        const live = yield* budget.reserve(record.id, 1_000, 300)
        assert.strictEqual((yield* Effect.flip(budget.reserve(record.id, 1_000, 200)))._tag, "BudgetExhausted")
        yield* Layer.build(Sweeper.layer("1 minute"))
        yield* TestClock.adjust("4 minutes")
        assert.strictEqual(yield* settled(900), 900, "no hold has expired yet (15 minutes)")
        yield* TestClock.adjust("2 minutes")
        assert.strictEqual(yield* settled(300), 300, "the stale reservation is released, the live one kept")
        yield* budget.reserve(record.id, 1_000, 200).pipe(
          Effect.flatMap((reservation) => budget.settle(reservation, 0))
        )
        // A settlement after its reservation was swept still counts what the call cost, once.
        yield* budget.settle(stale, 100)
        yield* budget.settle(live, 50)
        yield* TestClock.adjust("30 minutes")
        assert.deepStrictEqual(yield* budget.status(record.id), {
          period: "2026-12",
          committedMicroUsd: 150,
          spentMicroUsd: 150
        })
        assert.strictEqual(yield* Sweeper.sweepAll, 0)
      }).pipe(Effect.scoped, Effect.provide(layer)))

    it.effect("budget: a longer hold (a batch) outlives the service's hold time and is swept across a month's end", () =>
      Effect.gen(function*() {
        const budget = yield* Budget.Budget
        const keys = yield* KeyStore.KeyStore
        yield* TestClock.setTime(Date.UTC(2026, 10, 30, 23, 0))
        const { record } = yield* keys.create({ ...openKey, monthlyBudgetMicroUsd: 1_000 })
        yield* budget.reserve(record.id, 1_000, 700, { holdFor: Duration.hours(48) })
        yield* TestClock.adjust("1 hour")
        assert.strictEqual(yield* Sweeper.sweepAll, 0, "the batch's hold is kept past the 15-minute default")
        yield* TestClock.adjust("48 hours")
        assert.strictEqual(yield* Sweeper.sweepAll, 1, "last month's expired hold is released in the new month")
        assert.strictEqual(yield* Sweeper.sweepAll, 0)
      }).pipe(Effect.scoped, Effect.provide(layer)))

    it.effect("usage: counters add up per key, model and day; reports filter by key, model and days", () =>
      Effect.gen(function*() {
        const usage = yield* UsageStore.UsageStore
        const entry = {
          keyId: "key_c",
          modelId: "m1",
          requests: 1,
          inputTokens: 10,
          outputTokens: 5,
          cacheReadTokens: 2,
          cacheWriteTokens: 1,
          costMicroUsd: 30
        }
        yield* TestClock.setTime(Date.UTC(2026, 0, 1, 12))
        yield* usage.record(entry)
        yield* usage.record(entry)
        yield* usage.record({ ...entry, modelId: "m2" })
        yield* usage.record({ ...entry, keyId: "key_d" })
        yield* TestClock.adjust("1 day")
        yield* usage.record(entry)
        const all = yield* usage.query({ keyId: "key_c" })
        assert.deepStrictEqual(all.map((row) => [row.day, row.modelId, row.requests, row.costMicroUsd]), [
          ["2026-01-01", "m1", 2, 60],
          ["2026-01-01", "m2", 1, 30],
          ["2026-01-02", "m1", 1, 30]
        ])
        assert.strictEqual((yield* usage.query({ keyId: "key_c", from: "2026-01-02" })).length, 1)
        assert.strictEqual((yield* usage.query({ modelId: "m1" })).length, 3)
        assert.strictEqual((yield* usage.query({ to: "2026-01-01" })).length, 3)
        assert.deepStrictEqual((yield* usage.query({ keyId: "key_c", modelId: "m1", to: "2026-01-01" }))[0], {
          ...entry,
          day: "2026-01-01",
          requests: 2,
          inputTokens: 20,
          outputTokens: 10,
          cacheReadTokens: 4,
          cacheWriteTokens: 2,
          costMicroUsd: 60
        })
      }).pipe(Effect.provide(layer)))

    it.effect("keys: created, found by hash, listed, updated (null removes), revoked; never the secret", () =>
      Effect.gen(function*() {
        const store = yield* KeyStore.KeyStore
        const created = yield* store.create({ ...openKey, rpm: 5, tpm: 500 })
        const hash = hashOf(created.secret)
        assert.deepStrictEqual(yield* store.findByHash(hash), Option.some(created.record))
        assert.deepStrictEqual(yield* store.findByHash("0".repeat(64)), Option.none())
        const updated = yield* store.update(created.record.id, { rpm: null, name: "renamed", tpm: 900 })
        assert.isTrue(Option.isSome(updated))
        const record = Option.getOrThrow(yield* store.get(created.record.id))
        assert.strictEqual(record.name, "renamed")
        assert.strictEqual(record.rpm, undefined)
        assert.strictEqual(record.tpm, 900)
        const revoked = Option.getOrThrow(yield* store.revoke(created.record.id))
        assert.isNumber(revoked.revokedAt)
        assert.deepStrictEqual(Option.getOrThrow(yield* store.findByHash(hash)).revokedAt, revoked.revokedAt)
        yield* store.create({ ...openKey, name: "second" })
        const listed = yield* store.list
        assert.deepStrictEqual(listed.map((key) => key.name).sort(), ["renamed", "second"])
        assert.notInclude(JSON.stringify(listed), hash)
        assert.deepStrictEqual(yield* store.update("key_missing", { rpm: 1 }), Option.none())
        // Concurrent updates of one key never lose one another.
        yield* Effect.all([
          store.update(created.record.id, { rpm: 7 }),
          store.update(created.record.id, { tpm: 70 }),
          store.update(created.record.id, { name: "third" })
        ], { concurrency: "unbounded" })
        const final = Option.getOrThrow(yield* store.get(created.record.id))
        assert.deepStrictEqual([final.rpm, final.tpm, final.name], [7, 70, "third"])
        yield* store.ping
      }).pipe(Effect.provide(layer)))
  })
}
