/**
 * Atomic counters shared by every instance: the primitive under rate-limit windows and budgets. A counter is an item
 * with numeric attributes; `tryAdd` adds to one only while the sum stays within a limit, in one conditional write,
 * so concurrent instances can never together pass the limit. In memory for one instance, in DynamoDB for many.
 *
 * @since 0.1.0
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Dynamo from "../Dynamo.js"
import type { StoreError } from "../StoreError.js"

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
      expiresAt: number
    ) => Effect.Effect<boolean, StoreError>
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
      found = { values: {}, expiresAt }
      counters.set(key, found)
    }
    found.expiresAt = Math.max(found.expiresAt, expiresAt)
    return found
  }
  return Counters.of({
    tryAdd: (key, attribute, amount, limit, expiresAt) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const found = counter(key, expiresAt, now)
        const current = found.values[attribute] ?? 0
        if (current + amount > limit) return false
        found.values[attribute] = current + amount
        return true
      }),
    add: (key, deltas, expiresAt) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const found = counter(key, expiresAt, now)
        for (const [attribute, delta] of Object.entries(deltas)) {
          found.values[attribute] = (found.values[attribute] ?? 0) + delta
        }
        return { ...found.values }
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

/**
 * Counters in a DynamoDB table with a string partition key `pk`: `tryAdd` is one `UpdateItem` with `ADD` and the
 * condition `attribute_not_exists(a) OR a <= :limitMinusAmount` (DynamoDB conditions compare, they cannot add);
 * `expiresAt` is written in epoch seconds for the table's TTL.
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
      tryAdd: (key, attribute, amount, limit, expiresAt) =>
        amount > limit ? Effect.succeed(false) : Dynamo.conditional(Dynamo.updateItem(store, "reserve", {
          TableName: table,
          Key: { pk: { S: key } },
          UpdateExpression: "ADD #a :amount SET expiresAt = if_not_exists(expiresAt, :expiresAt)",
          ConditionExpression: "attribute_not_exists(#a) OR #a <= :max",
          ExpressionAttributeNames: { "#a": attribute },
          ExpressionAttributeValues: {
            ":amount": { N: String(amount) },
            ":max": { N: String(limit - amount) },
            ":expiresAt": { N: epochSeconds(expiresAt) }
          }
        })).pipe(Effect.provide(context)),
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
