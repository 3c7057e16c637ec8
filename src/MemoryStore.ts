/**
 * Persistence of conversations behind a `MemoryStore` service, with optimistic concurrency: every conversation has a
 * version (0 when absent), `save` succeeds only when the caller read the current version and returns the next one,
 * and fails with `VersionConflict` when someone else wrote first.
 *
 * Three layers:
 *
 * - `layerMemory`: an in-process map (tests, single-process apps);
 * - `layerKeyValueStore`: any `@effect/platform` `KeyValueStore`, e.g. files through
 *   `NodeKeyValueStore.layerFileSystem(dir)`. A `KeyValueStore` has no compare-and-set, so the version check runs
 *   under a per-key first-come-first-served lock held in this process (shared by every `MemoryStore` built over the
 *   same `KeyValueStore` instance). Writers in other processes over the same files are NOT safe: their version checks
 *   race, and a reader may see a half-written file. Use DynamoDB for several processes;
 * - `layerDynamoDB`: an Amazon DynamoDB table through `@aws-sdk/client-dynamodb`, one item per conversation
 *   `{ pk, version, messages, updatedAt, expiresAt? }` written with a conditional `PutItem`, safe across processes.
 *
 * @since 0.1.0
 */
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  type ScanCommandOutput,
  UpdateTimeToLiveCommand
} from "@aws-sdk/client-dynamodb"
import type { AttributeValue } from "@aws-sdk/client-dynamodb"
import * as KeyValueStore from "@effect/platform/KeyValueStore"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as HashMap from "effect/HashMap"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as ParseResult from "effect/ParseResult"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as FairLock from "./internal/fairLock.js"
import { redact } from "./internal/redact.js"
import * as Message from "./Message.js"

// ---------------------------------------------------------------------------
// models and errors
// ---------------------------------------------------------------------------

/**
 * A stored conversation and its version (1 after the first save, +1 per save).
 *
 * @since 0.1.0
 * @category models
 */
export interface Stored {
  readonly messages: ReadonlyArray<Message.Message>
  readonly version: number
}

/**
 * The operations of a store, named in errors.
 *
 * @since 0.1.0
 * @category models
 */
export const Operation = Schema.Literal("load", "save", "delete", "list", "createTable")

/**
 * The operations of a store, named in errors.
 *
 * @since 0.1.0
 * @category models
 */
export type Operation = typeof Operation.Type

/**
 * Someone else saved the conversation since it was read: reload, re-apply the change and save again.
 *
 * @since 0.1.0
 * @category errors
 */
export class VersionConflict extends Schema.TaggedError<VersionConflict>("bedrock-llm/VersionConflict")(
  "VersionConflict",
  {
    message: Schema.String,
    conversationId: Schema.String,
    expectedVersion: Schema.Number,
    actualVersion: Schema.optional(Schema.Number)
  }
) {
  /**
   * Always: after a reload the change can be applied again.
   *
   * @since 0.1.0
   */
  get retryable(): boolean {
    return true
  }
}

/**
 * A store failure other than a conflict (I/O, corrupt data, AWS errors); the message never holds credentials.
 *
 * @since 0.1.0
 * @category errors
 */
export class MemoryStoreError extends Schema.TaggedError<MemoryStoreError>("bedrock-llm/MemoryStoreError")(
  "MemoryStoreError",
  {
    message: Schema.String,
    operation: Operation,
    conversationId: Schema.optional(Schema.String),
    /** What went wrong: an AWS exception name, `"Corrupt"`, `"InvalidId"`, a platform error tag ... */
    reason: Schema.String,
    retryable: Schema.Boolean
  }
) {}

/**
 * @since 0.1.0
 */
export declare namespace MemoryStore {
  /**
   * The store.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /** The conversation and its version, or none when it was never saved (or was deleted). */
    readonly load: (id: string) => Effect.Effect<Option.Option<Stored>, MemoryStoreError>
    /** Writes the conversation if its version is still `expectedVersion` (0: absent); returns the new version. */
    readonly save: (
      id: string,
      messages: ReadonlyArray<Message.Message>,
      expectedVersion: number
    ) => Effect.Effect<number, VersionConflict | MemoryStoreError>
    /** Removes the conversation (its version starts again at 0). */
    readonly delete: (id: string) => Effect.Effect<void, MemoryStoreError>
    /** The ids of the stored conversations. */
    readonly list: Effect.Effect<ReadonlyArray<string>, MemoryStoreError>
  }
}

/**
 * The conversation store service.
 *
 * @since 0.1.0
 * @category services
 */
export class MemoryStore extends Context.Tag("bedrock-llm/MemoryStore")<MemoryStore, MemoryStore.Service>() {}

const conflict = (id: string, expectedVersion: number, actualVersion?: number | undefined): VersionConflict =>
  new VersionConflict({
    conversationId: id,
    expectedVersion,
    message: `conversation "${id}" was saved by someone else: expected version ${expectedVersion}` +
      (actualVersion === undefined ? "" : `, found ${actualVersion}`),
    ...(actualVersion !== undefined ? { actualVersion } : {})
  })

const storeError = (
  operation: Operation,
  id: string | undefined,
  reason: string,
  detail: string,
  retryable = false
): MemoryStoreError =>
  new MemoryStoreError({
    operation,
    reason,
    retryable,
    message: redact(
      `${operation}${id === undefined ? "" : ` "${id}"`} failed: ${reason}${detail ? `: ${detail}` : ""}`
    ),
    ...(id !== undefined ? { conversationId: id } : {})
  })

const checkId = (operation: Operation, id: string): Effect.Effect<void, MemoryStoreError> =>
  id.length === 0
    ? Effect.fail(storeError(operation, id, "InvalidId", "a conversation id must not be empty"))
    : Effect.void

const encodeMessage = Schema.encodeEither(Message.Message)
const encodedCache = new WeakMap<Message.Message, Message.MessageEncoded>()

/** The encoded form of each message, computed once per message object (conversations are saved whole, often). */
const encodeAll = (
  messages: ReadonlyArray<Message.Message>
): Effect.Effect<ReadonlyArray<Message.MessageEncoded>, ParseResult.ParseError> =>
  Effect.forEach(messages, (message) => {
    const cached = encodedCache.get(message)
    if (cached !== undefined) return Effect.succeed(cached)
    return Effect.tap(encodeMessage(message), (encoded) => Effect.sync(() => encodedCache.set(message, encoded)))
  })

const encodeMessages = (messages: ReadonlyArray<Message.Message>) =>
  Effect.map(encodeAll(messages), (encoded) => JSON.stringify(encoded))
const decodeMessages = Schema.decode(Message.MessagesFromJson)

const corrupt = (operation: Operation, id: string) => (error: { readonly message: string }): MemoryStoreError =>
  storeError(operation, id, "Corrupt", error.message)

// ---------------------------------------------------------------------------
// in memory
// ---------------------------------------------------------------------------

/**
 * A store in an in-process map.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMemory: Effect.Effect<MemoryStore.Service> = Effect.map(
  Ref.make(HashMap.empty<string, Stored>()),
  (state) =>
    MemoryStore.of({
      load: (id) => Effect.map(Ref.get(state), HashMap.get(id)),
      save: (id, messages, expectedVersion) =>
        Effect.zipRight(
          checkId("save", id),
          Effect.flatten(
            Ref.modify(
              state,
              (map): readonly [Effect.Effect<number, VersionConflict>, HashMap.HashMap<string, Stored>] => {
                const actual = Option.match(HashMap.get(map, id), {
                  onNone: () => 0,
                  onSome: (s) => s.version
                })
                if (actual !== expectedVersion) return [Effect.fail(conflict(id, expectedVersion, actual)), map]
                const version = actual + 1
                return [Effect.succeed(version), HashMap.set(map, id, { messages, version })]
              }
            )
          )
        ),
      delete: (id) => Ref.update(state, HashMap.remove(id)),
      list: Effect.map(Ref.get(state), (map) => Array.from(HashMap.keys(map)))
    })
)

/**
 * A store in an in-process map.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory: Layer.Layer<MemoryStore> = Layer.effect(MemoryStore, makeMemory)

// ---------------------------------------------------------------------------
// KeyValueStore
// ---------------------------------------------------------------------------

/**
 * Options of `layerKeyValueStore`: a prefix for every key (default none).
 *
 * @since 0.1.0
 * @category models
 */
export interface KeyValueStoreOptions {
  readonly prefix?: string | undefined
}

const StoredJson = Schema.parseJson(Schema.Struct({
  version: Schema.Int,
  messages: Schema.Array(Message.Message)
}))
const VersionJson = Schema.parseJson(Schema.Struct({ version: Schema.Int }))
const IndexJson = Schema.parseJson(Schema.Array(Schema.String))

interface Locks {
  readonly keys: Map<string, FairLock.FairLock>
  readonly index: FairLock.FairLock
}

const locksByStore = new WeakMap<KeyValueStore.KeyValueStore, Locks>()

const locksOf = (store: KeyValueStore.KeyValueStore): Locks => {
  const existing = locksByStore.get(store)
  if (existing !== undefined) return existing
  const created: Locks = { keys: new Map(), index: FairLock.unsafeMake() }
  locksByStore.set(store, created)
  return created
}

const lockFor = (locks: Locks, key: string): FairLock.FairLock => {
  const existing = locks.keys.get(key)
  if (existing !== undefined) return existing
  const created = FairLock.unsafeMake()
  locks.keys.set(key, created)
  return created
}

const platformError =
  (operation: Operation, id: string | undefined) => (error: { readonly message: string; readonly _tag: string }) =>
    storeError(operation, id, error._tag, error.message)

/**
 * A store over a `KeyValueStore`: the conversation `id` is kept under `${prefix}conversation-${id}` as JSON
 * `{ version, messages }` and the ids under `${prefix}index`. Version checks are atomic within this process only.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeKeyValueStore = (
  options: KeyValueStoreOptions = {}
): Effect.Effect<MemoryStore.Service, never, KeyValueStore.KeyValueStore> =>
  Effect.map(KeyValueStore.KeyValueStore, (kv) => {
    const prefix = options.prefix ?? ""
    const keyOf = (id: string) => `${prefix}conversation-${id}`
    const indexKey = `${prefix}index`
    const locks = locksOf(kv)
    const locked = (id: string) => lockFor(locks, keyOf(id)).withLock

    const readIndex = (operation: Operation) =>
      kv.get(indexKey).pipe(
        Effect.mapError(platformError(operation, undefined)),
        Effect.flatMap(Option.match({
          onNone: () => Effect.succeed<ReadonlyArray<string>>([]),
          onSome: (json) => Effect.mapError(Schema.decode(IndexJson)(json), corrupt(operation, indexKey))
        }))
      )

    const updateIndex = (operation: Operation, f: (ids: ReadonlyArray<string>) => ReadonlyArray<string>) =>
      locks.index.withLock(Effect.gen(function*() {
        const ids = yield* readIndex(operation)
        const next = f(ids)
        if (next === ids) return
        const json = yield* Effect.orDie(Schema.encode(IndexJson)(next))
        yield* Effect.mapError(kv.set(indexKey, json), platformError(operation, undefined))
      }))

    const read = (operation: Operation, id: string): Effect.Effect<Option.Option<Stored>, MemoryStoreError> =>
      kv.get(keyOf(id)).pipe(
        Effect.mapError(platformError(operation, id)),
        Effect.flatMap(Option.match({
          onNone: () => Effect.succeedNone,
          onSome: (json) => Effect.asSome(Effect.mapError(Schema.decode(StoredJson)(json), corrupt(operation, id)))
        }))
      )

    const load = (id: string) => Effect.zipRight(checkId("load", id), locked(id)(read("load", id)))

    const save = (id: string, messages: ReadonlyArray<Message.Message>, expectedVersion: number) =>
      Effect.zipRight(
        checkId("save", id),
        locked(id)(Effect.gen(function*() {
          const current = yield* Effect.mapError(kv.get(keyOf(id)), platformError("save", id))
          const actual = Option.isNone(current)
            ? 0
            : (yield* Effect.mapError(Schema.decode(VersionJson)(current.value), corrupt("save", id))).version
          if (actual !== expectedVersion) return yield* conflict(id, expectedVersion, actual)
          const version = actual + 1
          const encoded = yield* Effect.mapError(encodeAll(messages), corrupt("save", id))
          const json = JSON.stringify({ version, messages: encoded })
          if (actual === 0) yield* updateIndex("save", (ids) => ids.includes(id) ? ids : [...ids, id])
          yield* Effect.mapError(kv.set(keyOf(id), json), platformError("save", id))
          return version
        }))
      )

    const remove = (id: string) =>
      Effect.zipRight(
        checkId("delete", id),
        locked(id)(Effect.zipRight(
          kv.remove(keyOf(id)).pipe(
            Effect.catchIf((error) => error._tag === "SystemError" && error.reason === "NotFound", () => Effect.void),
            Effect.mapError(platformError("delete", id))
          ),
          updateIndex("delete", (ids) => ids.includes(id) ? ids.filter((other) => other !== id) : ids)
        ))
      )

    const list = Effect.flatMap(
      readIndex("list"),
      (ids) =>
        Effect.filter(ids, (id) => Effect.mapError(kv.has(keyOf(id)), platformError("list", id)), {
          concurrency: 16
        })
    )

    return MemoryStore.of({
      load,
      save,
      delete: remove,
      list
    })
  })

/**
 * A store over the `KeyValueStore` in context (`NodeKeyValueStore.layerFileSystem(dir)` for files).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerKeyValueStore = (
  options: KeyValueStoreOptions = {}
): Layer.Layer<MemoryStore, never, KeyValueStore.KeyValueStore> => Layer.effect(MemoryStore, makeKeyValueStore(options))

// ---------------------------------------------------------------------------
// DynamoDB
// ---------------------------------------------------------------------------

/**
 * Options of `layerDynamoDB`: the table; a client (kept open) or the config of one (created and destroyed with the
 * layer; default: the SDK's default region and credential chain); a time to live refreshed on every save and written
 * to the `ttlAttribute` (default `"expiresAt"`, epoch seconds) for DynamoDB's TTL to delete idle conversations.
 *
 * @since 0.1.0
 * @category models
 */
export interface DynamoDBOptions {
  readonly tableName: string
  readonly client?: DynamoDBClient | undefined
  readonly clientConfig?: DynamoDBClientConfig | undefined
  readonly ttl?: Duration.DurationInput | undefined
  readonly ttlAttribute?: string | undefined
}

const retryableNames = new Set([
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "RequestLimitExceeded",
  "InternalServerError",
  "ServiceUnavailable",
  "TransactionConflictException",
  "TimeoutError"
])

const fromSdk = (operation: Operation, id: string | undefined) => (error: unknown): MemoryStoreError => {
  const name = error instanceof Error ? error.name : "UnknownError"
  const detail = error instanceof Error ? error.message : String(error)
  const status = (error as { readonly $metadata?: { readonly httpStatusCode?: number } } | null)?.$metadata
    ?.httpStatusCode
  return storeError(operation, id, name, detail, retryableNames.has(name) || (status !== undefined && status >= 500))
}

const acquireClient = (
  options: Pick<DynamoDBOptions, "client" | "clientConfig">
): Effect.Effect<DynamoDBClient, never, Scope.Scope> =>
  options.client !== undefined
    ? Effect.succeed(options.client)
    : Effect.acquireRelease(
      Effect.sync(() => new DynamoDBClient(options.clientConfig ?? {})),
      (client) => Effect.sync(() => client.destroy())
    )

const numberOf = (value: AttributeValue | undefined): number | undefined =>
  value?.N === undefined ? undefined : Number(value.N)

const MAX_SCAN_PAGES = 100_000

/**
 * A store over a DynamoDB table (partition key `pk`, a string): conditional writes (`attribute_not_exists(pk)` for
 * version 0, else `version = :expected`, so a writer expecting a version never recreates a deleted item) make
 * concurrent writers from any number of processes safe. An
 * item whose `expiresAt` has passed reads as an empty conversation that keeps its version (DynamoDB deletes expired
 * items lazily). Items are limited to 400 KB by DynamoDB: prune long conversations.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeDynamoDB = (
  options: DynamoDBOptions
): Effect.Effect<MemoryStore.Service, never, Scope.Scope> =>
  Effect.map(acquireClient(options), (client) => {
    const TableName = options.tableName
    const ttlAttribute = options.ttlAttribute ?? "expiresAt"
    const ttlMillis = options.ttl === undefined ? undefined : Duration.toMillis(Duration.decode(options.ttl))

    const send = <A>(f: (signal: AbortSignal) => Promise<A>) => Effect.tryPromise({ try: f, catch: (error) => error })

    const toSeconds = (millis: number) => Math.floor(millis / 1000)

    const load = (id: string) =>
      Effect.gen(function*() {
        yield* checkId("load", id)
        const output = yield* Effect.mapError(
          send((abortSignal) =>
            client.send(
              new GetItemCommand({ TableName, Key: { pk: { S: id } }, ConsistentRead: true }),
              { abortSignal }
            )
          ),
          fromSdk("load", id)
        )
        const item = output.Item
        if (item === undefined) return Option.none<Stored>()
        const version = numberOf(item.version)
        if (version === undefined || item.messages?.S === undefined) {
          return yield* storeError("load", id, "Corrupt", "the item has no version or messages attribute")
        }
        const expiresAt = numberOf(item[ttlAttribute])
        const now = yield* Clock.currentTimeMillis
        if (expiresAt !== undefined && expiresAt <= toSeconds(now)) {
          return Option.some<Stored>({ messages: [], version })
        }
        const messages = yield* Effect.mapError(decodeMessages(item.messages.S), corrupt("load", id))
        return Option.some<Stored>({ messages, version })
      })

    const save = (id: string, messages: ReadonlyArray<Message.Message>, expectedVersion: number) =>
      Effect.gen(function*() {
        yield* checkId("save", id)
        const json = yield* Effect.mapError(encodeMessages(messages), corrupt("save", id))
        const now = yield* Clock.currentTimeMillis
        const version = expectedVersion + 1
        const item: Record<string, AttributeValue> = {
          pk: { S: id },
          version: { N: String(version) },
          messages: { S: json },
          updatedAt: { N: String(toSeconds(now)) },
          ...(ttlMillis !== undefined ? { [ttlAttribute]: { N: String(toSeconds(now + ttlMillis)) } } : {})
        }
        yield* send((abortSignal) =>
          client.send(
            new PutItemCommand({
              TableName,
              Item: item,
              ...(expectedVersion === 0
                ? { ConditionExpression: "attribute_not_exists(#pk)", ExpressionAttributeNames: { "#pk": "pk" } }
                : {
                  ConditionExpression: "#version = :expected",
                  ExpressionAttributeNames: { "#version": "version" },
                  ExpressionAttributeValues: { ":expected": { N: String(expectedVersion) } }
                }),
              ReturnValuesOnConditionCheckFailure: "ALL_OLD"
            }),
            { abortSignal }
          )
        ).pipe(
          Effect.mapError((error) =>
            error instanceof ConditionalCheckFailedException ||
              (error instanceof Error && error.name === "ConditionalCheckFailedException")
              ? conflict(id, expectedVersion, numberOf((error as ConditionalCheckFailedException).Item?.version))
              : fromSdk("save", id)(error)
          )
        )
        return version
      })

    const remove = (id: string) =>
      Effect.zipRight(
        checkId("delete", id),
        Effect.asVoid(Effect.mapError(
          send((abortSignal) =>
            client.send(new DeleteItemCommand({ TableName, Key: { pk: { S: id } } }), { abortSignal })
          ),
          fromSdk("delete", id)
        ))
      )

    const list = Effect.gen(function*() {
      const now = toSeconds(yield* Clock.currentTimeMillis)
      const ids: Array<string> = []
      let startKey: Record<string, AttributeValue> | undefined = undefined
      for (let page = 0; page < MAX_SCAN_PAGES; page++) {
        const exclusiveStartKey: Record<string, AttributeValue> | undefined = startKey
        const output: ScanCommandOutput = yield* Effect.mapError(
          send((abortSignal) =>
            client.send(
              new ScanCommand({
                TableName,
                ProjectionExpression: "#pk, #ttl",
                ExpressionAttributeNames: { "#pk": "pk", "#ttl": ttlAttribute },
                ConsistentRead: true,
                ...(exclusiveStartKey !== undefined ? { ExclusiveStartKey: exclusiveStartKey } : {})
              }),
              { abortSignal }
            )
          ),
          fromSdk("list", undefined)
        )
        for (const item of output.Items ?? []) {
          const expiresAt = numberOf(item[ttlAttribute])
          if (item.pk?.S !== undefined && (expiresAt === undefined || expiresAt > now)) ids.push(item.pk.S)
        }
        startKey = output.LastEvaluatedKey
        if (startKey === undefined) break
      }
      return ids
    })

    return MemoryStore.of({ load, save, delete: remove, list })
  })

/**
 * A store over a DynamoDB table (see `makeDynamoDB`); the client, when created here, is destroyed with the layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerDynamoDB = (options: DynamoDBOptions): Layer.Layer<MemoryStore> =>
  Layer.scoped(MemoryStore, makeDynamoDB(options))

/**
 * Options of `createTable`: the table and client as for `layerDynamoDB`; `enableTtl` also turns on DynamoDB's TTL on
 * the `ttlAttribute` (not supported by every local emulator).
 *
 * @since 0.1.0
 * @category models
 */
export interface CreateTableOptions {
  readonly tableName: string
  readonly client?: DynamoDBClient | undefined
  readonly clientConfig?: DynamoDBClientConfig | undefined
  readonly enableTtl?: boolean | undefined
  readonly ttlAttribute?: string | undefined
}

/**
 * Creates the table for `layerDynamoDB` (on-demand billing, partition key `pk`) if it does not exist and waits until
 * it is active (for tests and development; production tables belong in infrastructure as code).
 *
 * @since 0.1.0
 * @category constructors
 */
export const createTable = (options: CreateTableOptions): Effect.Effect<void, MemoryStoreError> =>
  Effect.scoped(Effect.gen(function*() {
    const client = yield* acquireClient(options)
    const TableName = options.tableName
    const send = <A>(f: (signal: AbortSignal) => Promise<A>) =>
      Effect.mapError(Effect.tryPromise({ try: f, catch: (error) => error }), fromSdk("createTable", undefined))
    yield* send((abortSignal) =>
      client.send(
        new CreateTableCommand({
          TableName,
          AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
          KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
          BillingMode: "PAY_PER_REQUEST"
        }),
        { abortSignal }
      )
    ).pipe(Effect.catchIf((error) => error.reason === "ResourceInUseException", () => Effect.void))
    yield* send((abortSignal) => client.send(new DescribeTableCommand({ TableName }), { abortSignal })).pipe(
      Effect.repeat({
        schedule: Schedule.spaced("500 millis"),
        until: (output) => output.Table?.TableStatus === "ACTIVE",
        times: 240
      })
    )
    if (options.enableTtl === true) {
      yield* send((abortSignal) =>
        client.send(
          new UpdateTimeToLiveCommand({
            TableName,
            TimeToLiveSpecification: { AttributeName: options.ttlAttribute ?? "expiresAt", Enabled: true }
          }),
          { abortSignal }
        )
      )
    }
  }))
