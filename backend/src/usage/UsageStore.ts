/**
 * Usage per key, model and day (UTC): requests, input, output, cache-read and cache-write tokens, and cost in
 * integer micro-USD. Counters are only ever added to (atomic `ADD` in DynamoDB), so instances never overwrite each
 * other.
 *
 * @since 0.1.0
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Dynamo from "../Dynamo.js"
import * as Window from "../limits/Window.js"
import type { StoreError } from "../StoreError.js"

/**
 * The counters of one key, model and day.
 *
 * @since 0.1.0
 * @category models
 */
export const UsageRow = Schema.Struct({
  keyId: Schema.String,
  modelId: Schema.String,
  /** `YYYY-MM-DD`, UTC. */
  day: Schema.String,
  requests: Schema.Int,
  inputTokens: Schema.Int,
  outputTokens: Schema.Int,
  cacheReadTokens: Schema.Int,
  cacheWriteTokens: Schema.Int,
  costMicroUsd: Schema.Int
})

/**
 * @since 0.1.0
 * @category models
 */
export interface UsageRow extends Schema.Schema.Type<typeof UsageRow> {}

/**
 * What one call adds (its day is the `Clock`'s when it is recorded).
 *
 * @since 0.1.0
 * @category models
 */
export type UsageEntry = Omit<UsageRow, "day">

/**
 * Which rows a report holds; days are inclusive `YYYY-MM-DD` bounds.
 *
 * @since 0.1.0
 * @category models
 */
export interface UsageFilter {
  readonly keyId?: string | undefined
  readonly modelId?: string | undefined
  readonly from?: string | undefined
  readonly to?: string | undefined
}

/**
 * @since 0.1.0
 */
export declare namespace UsageStore {
  /**
   * The store.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    readonly record: (entry: UsageEntry) => Effect.Effect<void, StoreError>
    /** Rows sorted by day, key and model. */
    readonly query: (filter: UsageFilter) => Effect.Effect<ReadonlyArray<UsageRow>, StoreError>
    /** Succeeds when the store answers (readiness). */
    readonly ping: Effect.Effect<void, StoreError>
  }
}

/**
 * The usage store service.
 *
 * @since 0.1.0
 * @category services
 */
export class UsageStore extends Context.Tag("bedrock-llm-backend/UsageStore")<UsageStore, UsageStore.Service>() {}

const counterFields = [
  "requests",
  "inputTokens",
  "outputTokens",
  "cacheReadTokens",
  "cacheWriteTokens",
  "costMicroUsd"
] as const

const matches = (row: UsageRow, filter: UsageFilter): boolean =>
  (filter.keyId === undefined || row.keyId === filter.keyId) &&
  (filter.modelId === undefined || row.modelId === filter.modelId) &&
  (filter.from === undefined || row.day >= filter.from) &&
  (filter.to === undefined || row.day <= filter.to)

const byDayKeyModel = (a: UsageRow, b: UsageRow): number =>
  a.day.localeCompare(b.day) || a.keyId.localeCompare(b.keyId) || a.modelId.localeCompare(b.modelId)

/**
 * A store in this process's memory.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMemory: Effect.Effect<UsageStore.Service> = Effect.sync(() => {
  const rows = new Map<string, { -readonly [K in keyof UsageRow]: UsageRow[K] }>()
  return UsageStore.of({
    record: (entry) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const day = Window.day(now)
        const id = `${entry.keyId}\u0000${day}\u0000${entry.modelId}`
        const row = rows.get(id)
        if (row === undefined) {
          rows.set(id, { ...entry, day })
          return
        }
        for (const field of counterFields) row[field] += entry[field]
      }),
    query: (filter) =>
      Effect.sync(() =>
        Array.from(rows.values()).filter((row) => matches(row, filter)).map((row) => ({ ...row })).sort(byDayKeyModel)
      ),
    ping: Effect.void
  })
})

/**
 * The in-memory store as a layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory: Layer.Layer<UsageStore> = Layer.effect(UsageStore, makeMemory)

const rowOf = (item: Record<string, AttributeValue>): UsageRow => ({
  keyId: item["keyId"]?.S ?? "",
  modelId: item["modelId"]?.S ?? "",
  day: item["day"]?.S ?? "",
  requests: Number(item["requests"]?.N ?? 0),
  inputTokens: Number(item["inputTokens"]?.N ?? 0),
  outputTokens: Number(item["outputTokens"]?.N ?? 0),
  cacheReadTokens: Number(item["cacheReadTokens"]?.N ?? 0),
  cacheWriteTokens: Number(item["cacheWriteTokens"]?.N ?? 0),
  costMicroUsd: Number(item["costMicroUsd"]?.N ?? 0)
})

/**
 * A store in a DynamoDB table with string keys `pk` (the key id) and `sk` (`day#modelId`): one `UpdateItem` with
 * `ADD` per call; a report for one key is a `Query` over its days, a report over all keys a `Scan`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeDynamo = (table: string): Effect.Effect<UsageStore.Service, never, Dynamo.Dynamo> =>
  Effect.map(Effect.context<Dynamo.Dynamo>(), (context) => {
    const store = "usage"
    const pages = (
      read: (start: Record<string, AttributeValue> | undefined) => Effect.Effect<
        {
          readonly Items?: Array<Record<string, AttributeValue>> | undefined
          readonly LastEvaluatedKey?: Record<string, AttributeValue> | undefined
        },
        StoreError,
        Dynamo.Dynamo
      >
    ) =>
      Effect.gen(function*() {
        const rows: Array<UsageRow> = []
        let start: Record<string, AttributeValue> | undefined
        do {
          const page = yield* read(start)
          for (const item of page.Items ?? []) rows.push(rowOf(item))
          start = page.LastEvaluatedKey
        } while (start !== undefined)
        return rows
      })
    return UsageStore.of({
      record: (entry) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) => {
          const day = Window.day(now)
          return Dynamo.updateItem(store, "record", {
            TableName: table,
            Key: { pk: { S: entry.keyId }, sk: { S: `${day}#${entry.modelId}` } },
            UpdateExpression: `SET keyId = :keyId, modelId = :modelId, #day = :day ADD ${
              counterFields.map((field) => `${field} :${field}`).join(", ")
            }`,
            ExpressionAttributeNames: { "#day": "day" },
            ExpressionAttributeValues: {
              ":keyId": { S: entry.keyId },
              ":modelId": { S: entry.modelId },
              ":day": { S: day },
              ...Object.fromEntries(counterFields.map((field) => [`:${field}`, { N: String(entry[field]) }]))
            }
          })
        }).pipe(Effect.asVoid, Effect.provide(context)),
      query: (filter) =>
        (filter.keyId === undefined
          ? pages((start) =>
            Dynamo.scan(store, "query", {
              TableName: table,
              ...(start === undefined ? {} : { ExclusiveStartKey: start })
            })
          )
          : pages((start) =>
            Dynamo.query(store, "query", {
              TableName: table,
              KeyConditionExpression: "pk = :keyId AND sk BETWEEN :from AND :to",
              ExpressionAttributeValues: {
                ":keyId": { S: filter.keyId! },
                ":from": { S: filter.from ?? "0000-00-00" },
                ":to": { S: `${filter.to ?? "9999-99-99"}#\uffff` }
              },
              ...(start === undefined ? {} : { ExclusiveStartKey: start })
            })
          )).pipe(
            Effect.map((rows) => rows.filter((row) => matches(row, filter)).sort(byDayKeyModel)),
            Effect.provide(context)
          ),
      ping: Dynamo.describeTable(store, "ping", table).pipe(Effect.asVoid, Effect.provide(context))
    })
  })

/**
 * The DynamoDB store as a layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerDynamo = (table: string): Layer.Layer<UsageStore, never, Dynamo.Dynamo> =>
  Layer.effect(UsageStore, makeDynamo(table))
