/**
 * Atomic counters shared by every instance: the primitive under rate-limit windows and budgets. A counter is an item
 * with numeric attributes; `tryAdd` adds to one only while the sum stays within a limit, in one conditional write,
 * so concurrent instances can never together pass the limit. In memory for one instance, in DynamoDB for many.
 *
 * An add may be recorded as a *hold* (an id, the amount and when it expires) on the counter itself: `release` takes a
 * hold back exactly once, whoever asks first (the call that settles it, or the sweep of an instance that finds it
 * expired because the instance that made it died), so a crash between reserving and settling is undone in bounded time.
 *
 * @since 0.1.0
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Dynamo from "../Dynamo.js"
import type { StoreError } from "../StoreError.js"

/**
 * A hold to record with an add: its id (unique per counter) and when it expires (epoch ms).
 *
 * @since 0.1.0
 * @category models
 */
export interface Hold {
  readonly id: string
  readonly expiresAt: number
}

/**
 * A hold that has expired: what it added, to which attribute.
 *
 * @since 0.1.0
 * @category models
 */
export interface ExpiredHold {
  readonly id: string
  readonly attribute: string
  readonly amount: number
}

/**
 * @since 0.1.0
 */
export declare namespace Counters {
  /**
   * The counters.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /**
     * Adds `amount` to `attribute` of counter `key` when the result stays at most `limit`; `false` (and nothing
     * changed) otherwise. `expiresAt` (epoch ms) is when the counter may be forgotten.
     */
    readonly tryAdd: (
      key: string,
      attribute: string,
      amount: number,
      limit: number,
      expiresAt: number,
      hold?: Hold
    ) => Effect.Effect<boolean, StoreError>
    /**
     * Removes the hold and adds the deltas, in one write, if the hold is still there: the counter's attributes after
     * it, or `None` when the hold was already released (and nothing changed).
     */
    readonly release: (
      key: string,
      holdId: string,
      deltas: Readonly<Record<string, number>>,
      expiresAt: number
    ) => Effect.Effect<Option.Option<Readonly<Record<string, number>>>, StoreError>
    /** The holds of a counter that expired before `now`. */
    readonly expiredHolds: (key: string, now: number) => Effect.Effect<ReadonlyArray<ExpiredHold>, StoreError>
    /**
     * Adds each delta (negative ones too) to its attribute, unconditionally; the counter's attributes after the add
     * (DynamoDB returns them with the write, at no extra cost).
     */
    readonly add: (
      key: string,
      deltas: Readonly<Record<string, number>>,
      expiresAt: number
    ) => Effect.Effect<Readonly<Record<string, number>>, StoreError>
    /** The attributes of a counter (missing ones are 0). */
    readonly get: (key: string) => Effect.Effect<Readonly<Record<string, number>>, StoreError>
    /** Succeeds when the store answers (readiness). */
    readonly ping: Effect.Effect<void, StoreError>
    /**
     * Whether independent writes are worth running concurrently: for a remote store, yes (round trips overlap); in
     * memory, no (each write is a few microseconds, and a fiber for each costs more).
     */
    readonly concurrentWrites: boolean
  }
}

/**
 * The counters service.
 *
 * @since 0.1.0
 * @category services
 */
export class Counters extends Context.Tag("bedrock-llm-backend/Counters")<Counters, Counters.Service>() {}

interface MemoryCounter {
  readonly values: Record<string, number>
  readonly holds: Map<string, ExpiredHold & { readonly expiresAt: number }>
  expiresAt: number
}

/**
 * Counters in this process's memory; expired counters are swept as time passes (the `Clock`'s).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMemory: Effect.Effect<Counters.Service> = Effect.sync(() => {
  const counters = new Map<string, MemoryCounter>()
  let nextSweep = 0
  const sweep = (now: number) => {
    if (now < nextSweep) return
    nextSweep = now + 60_000
    for (const [key, counter] of counters) if (counter.expiresAt <= now) counters.delete(key)
  }
  const counter = (key: string, expiresAt: number, now: number): MemoryCounter => {
    sweep(now)
    let found = counters.get(key)
    if (found === undefined || found.expiresAt <= now) {
      found = { values: {}, holds: new Map(), expiresAt }
      counters.set(key, found)
    }
    found.expiresAt = Math.max(found.expiresAt, expiresAt)
    return found
  }
  const addTo = (found: MemoryCounter, deltas: Readonly<Record<string, number>>) => {
    for (const [attribute, delta] of Object.entries(deltas)) {
      found.values[attribute] = (found.values[attribute] ?? 0) + delta
    }
    return { ...found.values }
  }
  return Counters.of({
    tryAdd: (key, attribute, amount, limit, expiresAt, hold) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const found = counter(key, expiresAt, now)
        const current = found.values[attribute] ?? 0
        if (current + amount > limit) return false
        found.values[attribute] = current + amount
        if (hold !== undefined) found.holds.set(hold.id, { id: hold.id, attribute, amount, expiresAt: hold.expiresAt })
        return true
      }),
    add: (key, deltas, expiresAt) =>
      Effect.map(Clock.currentTimeMillis, (now) => addTo(counter(key, expiresAt, now), deltas)),
    release: (key, holdId, deltas, expiresAt) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const found = counters.get(key)
        if (found === undefined || found.expiresAt <= now || !found.holds.delete(holdId)) return Option.none()
        return Option.some(addTo(counter(key, expiresAt, now), deltas))
      }),
    expiredHolds: (key, now) =>
      Effect.sync(() => {
        const holds = counters.get(key)?.holds.values() ?? []
        return [...holds].filter((hold) => hold.expiresAt <= now).map(({ amount, attribute, id }) => ({
          id,
          attribute,
          amount
        }))
      }),
    get: (key) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const found = counters.get(key)
        return found === undefined || found.expiresAt <= now ? {} : { ...found.values }
      }),
    ping: Effect.void,
    concurrentWrites: false
  })
})

/**
 * The in-memory counters as a layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory: Layer.Layer<Counters> = Layer.effect(Counters, makeMemory)

const epochSeconds = (ms: number) => String(Math.ceil(ms / 1000))

const numbersOf = (item: Record<string, AttributeValue> | undefined): Record<string, number> => {
  const values: Record<string, number> = {}
  for (const [attribute, value] of Object.entries(item ?? {})) {
    if (attribute !== "expiresAt" && attribute !== "pk" && value.N !== undefined) values[attribute] = Number(value.N)
  }
  return values
}

/** Holds are attributes of the counter's item, named by this prefix and the hold's id, each a map. */
const holdPrefix = "hold_"

const holdsOf = (item: Record<string, AttributeValue> | undefined) => {
  const holds: Array<ExpiredHold & { readonly expiresAt: number }> = []
  for (const [name, value] of Object.entries(item ?? {})) {
    if (!name.startsWith(holdPrefix) || value.M === undefined) continue
    holds.push({
      id: name.slice(holdPrefix.length),
      attribute: value.M["attribute"]?.S ?? "",
      amount: Number(value.M["amount"]?.N ?? "0"),
      expiresAt: Number(value.M["expiresAt"]?.N ?? "0")
    })
  }
  return holds
}

/**
 * Counters in a DynamoDB table with a string partition key `pk`: `tryAdd` is one `UpdateItem` with `ADD` and the
 * condition `attribute_not_exists(a) OR a <= :limitMinusAmount` (DynamoDB conditions compare, they cannot add);
 * `expiresAt` is written in epoch seconds for the table's TTL. A hold is a map attribute `hold_<id>` of the item,
 * written with the add and removed by `release` under the condition that it exists.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeDynamo = (table: string): Effect.Effect<Counters.Service, never, Dynamo.Dynamo> =>
  Effect.map(Effect.context<Dynamo.Dynamo>(), (context) => {
    const store = "limits"
    const get = (key: string) =>
      Dynamo.getItem(store, "get", { TableName: table, Key: { pk: { S: key } }, ConsistentRead: true }).pipe(
        Effect.map((output) => numbersOf(output.Item)),
        Effect.provide(context)
      )
    return Counters.of({
      tryAdd: (key, attribute, amount, limit, expiresAt, hold) =>
        amount > limit ? Effect.succeed(false) : Dynamo.conditional(Dynamo.updateItem(store, "reserve", {
          TableName: table,
          Key: { pk: { S: key } },
          UpdateExpression: `ADD #a :amount SET expiresAt = if_not_exists(expiresAt, :expiresAt)${
            hold === undefined ? "" : ", #h = :hold"
          }`,
          ConditionExpression: "attribute_not_exists(#a) OR #a <= :max",
          ExpressionAttributeNames: { "#a": attribute, ...(hold === undefined ? {} : { "#h": holdPrefix + hold.id }) },
          ExpressionAttributeValues: {
            ":amount": { N: String(amount) },
            ":max": { N: String(limit - amount) },
            ":expiresAt": { N: epochSeconds(expiresAt) },
            ...(hold === undefined ? {} : {
              ":hold": {
                M: {
                  attribute: { S: attribute },
                  amount: { N: String(amount) },
                  expiresAt: { N: String(hold.expiresAt) }
                }
              }
            })
          }
        })).pipe(Effect.provide(context)),
      release: (key, holdId, deltas, expiresAt) => {
        const entries = Object.entries(deltas).filter(([, delta]) => delta !== 0)
        return Dynamo.updateItem(store, "release", {
          TableName: table,
          Key: { pk: { S: key } },
          UpdateExpression: `REMOVE #h${
            entries.length === 0 ? "" : ` ADD ${entries.map((_, i) => `#a${i} :d${i}`).join(", ")}`
          } SET expiresAt = if_not_exists(expiresAt, :expiresAt)`,
          ConditionExpression: "attribute_exists(#h)",
          ExpressionAttributeNames: {
            "#h": holdPrefix + holdId,
            ...Object.fromEntries(entries.map(([attribute], i) => [`#a${i}`, attribute]))
          },
          ExpressionAttributeValues: {
            ...Object.fromEntries(entries.map(([, delta], i) => [`:d${i}`, { N: String(delta) }])),
            ":expiresAt": { N: epochSeconds(expiresAt) }
          },
          ReturnValues: "ALL_NEW"
        }).pipe(
          Effect.map((output) => Option.some(numbersOf(output.Attributes))),
          Effect.catchIf((error) => error.condition, () => Effect.succeed(Option.none())),
          Effect.provide(context)
        )
      },
      expiredHolds: (key, now) =>
        Dynamo.getItem(store, "holds", { TableName: table, Key: { pk: { S: key } }, ConsistentRead: true }).pipe(
          Effect.map((output) => holdsOf(output.Item).filter((hold) => hold.expiresAt <= now)),
          Effect.map((holds) => holds.map(({ amount, attribute, id }) => ({ id, attribute, amount }))),
          Effect.provide(context)
        ),
      add: (key, deltas, expiresAt) => {
        const entries = Object.entries(deltas).filter(([, delta]) => delta !== 0)
        if (entries.length === 0) return get(key)
        return Dynamo.updateItem(store, "settle", {
          TableName: table,
          Key: { pk: { S: key } },
          UpdateExpression: `ADD ${
            entries.map((_, i) => `#a${i} :d${i}`).join(", ")
          } SET expiresAt = if_not_exists(expiresAt, :expiresAt)`,
          ExpressionAttributeNames: Object.fromEntries(entries.map(([attribute], i) => [`#a${i}`, attribute])),
          ExpressionAttributeValues: {
            ...Object.fromEntries(entries.map(([, delta], i) => [`:d${i}`, { N: String(delta) }])),
            ":expiresAt": { N: epochSeconds(expiresAt) }
          },
          ReturnValues: "ALL_NEW"
        }).pipe(Effect.map((output) => numbersOf(output.Attributes)), Effect.provide(context))
      },
      get,
      ping: Dynamo.describeTable(store, "ping", table).pipe(Effect.asVoid, Effect.provide(context)),
      concurrentWrites: true
    })
  })

/**
 * The DynamoDB counters as a layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerDynamo = (table: string): Layer.Layer<Counters, never, Dynamo.Dynamo> =>
  Layer.effect(Counters, makeDynamo(table))
