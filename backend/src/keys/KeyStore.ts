/**
 * The key store: every gateway key's record (never its secret; it is found by the secret's SHA-256), with an
 * in-memory layer for one instance and a DynamoDB layer shared by every instance.
 *
 * @since 0.1.0
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb"
import { Config as LibraryConfig } from "bedrock-llm"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Dynamo from "../Dynamo.js"
import { StoreError } from "../StoreError.js"
import * as ApiKey from "./ApiKey.js"

/**
 * The APIs of the gateway a key may be allowed to use.
 *
 * @since 0.1.0
 * @category models
 */
export const ApiName = Schema.Literal("openai", "anthropic", "bedrock", "agents")

/**
 * @since 0.1.0
 * @category models
 */
export type ApiName = typeof ApiName.Type

/**
 * A model pattern: a model id, inference profile id or alias, where `*` matches any run of characters (`*` alone:
 * every model; `anthropic.claude-*`; `*.anthropic.claude-sonnet-4*`).
 *
 * @since 0.1.0
 * @category models
 */
export const ModelPattern = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z0-9.:_/*@-]{1,256}$/),
  Schema.annotations({ description: "a model id or alias; `*` matches any characters" })
)

const PositiveInt = Schema.Int.pipe(Schema.positive())
const NonNegativeInt = Schema.Int.pipe(Schema.nonNegative())
const EpochMillis = Schema.Int.pipe(Schema.nonNegative())

/**
 * What an administrator sets on a key.
 *
 * @since 0.1.0
 * @category models
 */
export const KeySettings = Schema.Struct({
  name: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(200)),
  allowedModels: Schema.Array(ModelPattern),
  allowedApis: Schema.Array(ApiName),
  /** Requests per minute. */
  rpm: Schema.optional(PositiveInt),
  /** Tokens per minute (input + output). */
  tpm: Schema.optional(PositiveInt),
  /** Monthly budget in micro-USD (1 USD = 1,000,000); calendar months in UTC. */
  monthlyBudgetMicroUsd: Schema.optional(NonNegativeInt),
  /** A Bedrock guardrail applied to every call of the key (it replaces any guardrail a request asks for). */
  guardrail: Schema.optional(LibraryConfig.GuardrailConfig),
  /** Epoch milliseconds after which the key is refused. */
  expiresAt: Schema.optional(EpochMillis)
})

/**
 * @since 0.1.0
 * @category models
 */
export type KeySettings = typeof KeySettings.Type

/**
 * A key as the gateway knows it: its settings, id and bookkeeping. Never the secret, nor its hash.
 *
 * @since 0.1.0
 * @category models
 */
export const KeyRecord = Schema.Struct({
  ...KeySettings.fields,
  id: Schema.String,
  /** `sk-bllm-...` and the secret's last four characters. */
  hint: Schema.String,
  createdAt: EpochMillis,
  revokedAt: Schema.optional(EpochMillis)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface KeyRecord extends Schema.Schema.Type<typeof KeyRecord> {}

/**
 * A change of settings: a field left out stays as it is; `null` removes an optional limit.
 *
 * @since 0.1.0
 * @category models
 */
export type KeyPatch = {
  readonly [K in keyof KeySettings]?: KeySettings[K] | undefined | (undefined extends KeySettings[K] ? null : never)
}

/**
 * A created key: its record and its secret, which is shown once and never stored.
 *
 * @since 0.1.0
 * @category models
 */
export interface CreatedKey {
  readonly record: KeyRecord
  readonly secret: Redacted.Redacted<string>
}

/**
 * @since 0.1.0
 */
export declare namespace KeyStore {
  /**
   * The store.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    readonly create: (settings: KeySettings) => Effect.Effect<CreatedKey, StoreError>
    /** The key whose secret has this SHA-256 (revoked and expired keys included: the caller decides). */
    readonly findByHash: (hash: string) => Effect.Effect<Option.Option<KeyRecord>, StoreError>
    readonly get: (id: string) => Effect.Effect<Option.Option<KeyRecord>, StoreError>
    readonly list: Effect.Effect<ReadonlyArray<KeyRecord>, StoreError>
    readonly update: (id: string, patch: KeyPatch) => Effect.Effect<Option.Option<KeyRecord>, StoreError>
    /** Marks the key revoked (it stays listed); revoking twice keeps the first time. */
    readonly revoke: (id: string) => Effect.Effect<Option.Option<KeyRecord>, StoreError>
    /** Succeeds when the store answers (readiness). */
    readonly ping: Effect.Effect<void, StoreError>
  }
}

/**
 * The key store service.
 *
 * @since 0.1.0
 * @category services
 */
export class KeyStore extends Context.Tag("bedrock-llm-backend/KeyStore")<KeyStore, KeyStore.Service>() {}

/**
 * Applies a patch to a record (`null` removes a field).
 *
 * @since 0.1.0
 * @category utils
 */
export const applyPatch = (record: KeyRecord, patch: KeyPatch): KeyRecord => {
  const next: Record<string, unknown> = { ...record }
  for (const [field, value] of Object.entries(patch)) {
    if (value === null) delete next[field]
    else if (value !== undefined) next[field] = value
  }
  return next as unknown as KeyRecord
}

const newKey = (settings: KeySettings) =>
  Effect.all({ secret: ApiKey.generate, id: ApiKey.newId, now: Clock.currentTimeMillis }).pipe(
    Effect.map(({ id, now, secret }) => ({
      secret,
      hash: ApiKey.hash(secret),
      record: { ...settings, id, hint: ApiKey.hint(secret), createdAt: now } as KeyRecord
    }))
  )

/**
 * A store in this process's memory: keys live as long as the process.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMemory: Effect.Effect<KeyStore.Service> = Effect.sync(() => {
  const byId = new Map<string, { hash: string; record: KeyRecord }>()
  const byHash = new Map<string, string>()
  const change = (id: string, f: (record: KeyRecord, now: number) => KeyRecord) =>
    Effect.map(Clock.currentTimeMillis, (now) => {
      const entry = byId.get(id)
      if (entry === undefined) return Option.none<KeyRecord>()
      entry.record = f(entry.record, now)
      return Option.some(entry.record)
    })
  return KeyStore.of({
    create: (settings) =>
      Effect.map(newKey(settings), ({ hash, record, secret }) => {
        byId.set(record.id, { hash, record })
        byHash.set(hash, record.id)
        return { record, secret }
      }),
    findByHash: (hash) =>
      Effect.sync(() => Option.fromNullable(byHash.get(hash)).pipe(Option.map((id) => byId.get(id)!.record))),
    get: (id) => Effect.sync(() => Option.map(Option.fromNullable(byId.get(id)), (entry) => entry.record)),
    list: Effect.sync(() => Array.from(byId.values(), (entry) => entry.record)),
    update: (id, patch) => change(id, (record) => applyPatch(record, patch)),
    revoke: (id) =>
      change(id, (record, now) => record.revokedAt === undefined ? { ...record, revokedAt: now } : record),
    ping: Effect.void
  })
})

/**
 * The in-memory store as a layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory: Layer.Layer<KeyStore> = Layer.effect(KeyStore, makeMemory)

const encodeRecord = Schema.encodeSync(Schema.parseJson(KeyRecord))
const decodeRecord = Schema.decodeUnknownEither(Schema.parseJson(KeyRecord))

/**
 * A store in a DynamoDB table with a string partition key `pk`. Each key is two items: `hash#<sha256>` holding the
 * record (the lookup of every request: one `GetItem`), and `id#<id>` pointing at the hash (administration). Each
 * write is conditioned (creation on the items not existing, changes on the version read).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeDynamo = (table: string): Effect.Effect<KeyStore.Service, never, Dynamo.Dynamo> =>
  Effect.map(Effect.context<Dynamo.Dynamo>(), (context) => {
    const store = "keys"
    const itemOf = (pk: string, operation: string) =>
      Effect.map(
        Dynamo.getItem(store, operation, { TableName: table, Key: { pk: { S: pk } }, ConsistentRead: true }),
        (output) => output.Item
      )
    const decodeItem = (item: Record<string, AttributeValue> | undefined, operation: string) => {
      const json = item?.["record"]?.S
      if (json === undefined) return Effect.succeed(Option.none<KeyRecord>())
      const decoded = decodeRecord(json)
      return Either.isRight(decoded)
        ? Effect.succeed(Option.some(decoded.right))
        : Effect.fail(
          new StoreError({ store, operation, message: `a stored key record does not decode: ${decoded.left.message}` })
        )
    }
    const findByHash = (hash: string) =>
      Effect.flatMap(itemOf(`hash#${hash}`, "findByHash"), (item) => decodeItem(item, "findByHash"))
    const hashOf = (id: string, operation: string) =>
      Effect.map(itemOf(`id#${id}`, operation), (item) => Option.fromNullable(item?.["hash"]?.S))
    const recordItem = (hash: string, record: KeyRecord, version: number) => ({
      pk: { S: `hash#${hash}` },
      keyId: { S: record.id },
      record: { S: encodeRecord(record) },
      version: { N: String(version) }
    })
    /** Read, change, write back conditioned on the version read: concurrent changes never lose one another. */
    const changeOnce = (id: string, operation: string, f: (record: KeyRecord, now: number) => KeyRecord) =>
      Effect.gen(function*() {
        const hash = yield* hashOf(id, operation)
        if (Option.isNone(hash)) return Option.some(Option.none<KeyRecord>())
        const item = yield* itemOf(`hash#${hash.value}`, operation)
        const current = yield* decodeItem(item, operation)
        if (Option.isNone(current)) return Option.some(Option.none<KeyRecord>())
        const version = Number(item?.["version"]?.N ?? "0")
        const next = f(current.value, yield* Clock.currentTimeMillis)
        const written = yield* Dynamo.conditional(Dynamo.putItem(store, operation, {
          TableName: table,
          Item: recordItem(hash.value, next, version + 1),
          ConditionExpression: "version = :version",
          ExpressionAttributeValues: { ":version": { N: String(version) } }
        }))
        return written ? Option.some(Option.some(next)) : Option.none()
      })
    const change = (id: string, operation: string, f: (record: KeyRecord, now: number) => KeyRecord) =>
      Effect.gen(function*() {
        for (let attempt = 0; attempt < 8; attempt++) {
          const outcome = yield* changeOnce(id, operation, f)
          if (Option.isSome(outcome)) return outcome.value
        }
        return yield* new StoreError({ store, operation, message: "the key kept changing concurrently; try again" })
      }).pipe(Effect.provide(context))
    // Two conditional puts (the record, then the id's pointer) rather than a transaction, so that DynamoDB Local
    // and dynalite serve it too; a failed second put removes the first.
    const create = (settings: KeySettings) =>
      Effect.flatMap(newKey(settings), ({ hash, record, secret }) =>
        Dynamo.putItem(store, "create", {
          TableName: table,
          Item: recordItem(hash, record, 1),
          ConditionExpression: "attribute_not_exists(pk)"
        }).pipe(
          Effect.zipRight(
            Dynamo.putItem(store, "create", {
              TableName: table,
              Item: { pk: { S: `id#${record.id}` }, hash: { S: hash } },
              ConditionExpression: "attribute_not_exists(pk)"
            }).pipe(Effect.tapError(() =>
              Effect.ignore(
                Dynamo.deleteItem(store, "create", { TableName: table, Key: { pk: { S: `hash#${hash}` } } })
              )
            ))
          ),
          Effect.as({ record, secret })
        ))
    const list = Effect.gen(function*() {
      const records: Array<KeyRecord> = []
      let start: Record<string, AttributeValue> | undefined
      do {
        const page = yield* Dynamo.scan(store, "list", {
          TableName: table,
          FilterExpression: "begins_with(pk, :hash)",
          ExpressionAttributeValues: { ":hash": { S: "hash#" } },
          ...(start === undefined ? {} : { ExclusiveStartKey: start })
        })
        for (const item of page.Items ?? []) {
          const record = yield* decodeItem(item, "list")
          if (Option.isSome(record)) records.push(record.value)
        }
        start = page.LastEvaluatedKey
      } while (start !== undefined)
      return records.sort((a, b) => a.createdAt - b.createdAt)
    })
    return KeyStore.of({
      create: (settings) => Effect.provide(create(settings), context),
      findByHash: (hash) => Effect.provide(findByHash(hash), context),
      get: (id) =>
        Effect.flatMap(
          hashOf(id, "get"),
          Option.match({ onNone: () => Effect.succeed(Option.none<KeyRecord>()), onSome: findByHash })
        ).pipe(Effect.provide(context)),
      list: Effect.provide(list, context),
      update: (id, patch) => change(id, "update", (record) => applyPatch(record, patch)),
      revoke: (id) =>
        change(id, "revoke", (record, now) => record.revokedAt === undefined ? { ...record, revokedAt: now } : record),
      ping: Effect.provide(Dynamo.describeTable(store, "ping", table), context).pipe(Effect.asVoid)
    })
  })

/**
 * The DynamoDB store as a layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerDynamo = (table: string): Layer.Layer<KeyStore, never, Dynamo.Dynamo> =>
  Layer.effect(KeyStore, makeDynamo(table))
