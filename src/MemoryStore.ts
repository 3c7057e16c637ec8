/**
 * Persistence of conversations behind a `MemoryStore` service, with optimistic concurrency: every conversation has a
 * version (0 when absent), `save` succeeds only when the caller read the current version and returns the next one,
 * and fails with `VersionConflict` when someone else wrote first.
 *
 * Two layers here:
 *
 * - `layerMemory`: an in-process map (tests, single-process apps);
 * - `layerKeyValueStore`: any `@effect/platform` `KeyValueStore`, e.g. files through
 *   `NodeKeyValueStore.layerFileSystem(dir)`. A `KeyValueStore` has no compare-and-set, so the version check runs
 *   under a per-key first-come-first-served lock held in this process (shared by every `MemoryStore` built over the
 *   same `KeyValueStore` instance). Writers in other processes over the same files are NOT safe: their version checks
 *   race, and a reader may see a half-written file. Use DynamoDB for several processes.
 *
 * The DynamoDB store, safe across processes, is its own module (`bedrock-llm/DynamoDBMemoryStore`), so that
 * `@aws-sdk/client-dynamodb` is loaded (and installed) only by the apps that use it.
 *
 * @example
 * ```ts
 * import { NodeKeyValueStore } from "@effect/platform-node"
 * import { MemoryStore } from "bedrock-llm"
 * import { Layer } from "effect"
 *
 * // Conversations in files under ./conversations, versioned; MemoryStore.layerMemory keeps them in the process.
 * const StoreLive = MemoryStore.layerKeyValueStore().pipe(
 *   Layer.provide(NodeKeyValueStore.layerFileSystem("./conversations"))
 * )
 * ```
 *
 * @since 0.1.0
 */
import * as KeyValueStore from "@effect/platform/KeyValueStore"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as HashMap from "effect/HashMap"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import { TypeId } from "./internal/errorTypeId.js"
import * as FairLock from "./internal/fairLock.js"
import { encodeAll } from "./internal/messagesJson.js"
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
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId

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
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
}

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

// ---------------------------------------------------------------------------
// for store implementations
// ---------------------------------------------------------------------------

/**
 * The `VersionConflict` of a save of `conversationId` that expected `expectedVersion` (and found `actualVersion`).
 *
 * @since 0.1.0
 * @category errors
 */
export const versionConflict = (
  conversationId: string,
  expectedVersion: number,
  actualVersion?: number | undefined
): VersionConflict =>
  new VersionConflict({
    conversationId,
    expectedVersion,
    message: `conversation "${conversationId}" was saved by someone else: expected version ${expectedVersion}` +
      (actualVersion === undefined ? "" : `, found ${actualVersion}`),
    ...(actualVersion !== undefined ? { actualVersion } : {})
  })

/**
 * A `MemoryStoreError` whose message names the operation, the conversation, the reason and the detail, scrubbed of
 * credentials.
 *
 * @since 0.1.0
 * @category errors
 */
export const storeError = (
  operation: Operation,
  conversationId: string | undefined,
  reason: string,
  detail: string,
  retryable = false
): MemoryStoreError =>
  new MemoryStoreError({
    operation,
    reason,
    retryable,
    message: redact(
      `${operation}${conversationId === undefined ? "" : ` "${conversationId}"`} failed: ${reason}${
        detail ? `: ${detail}` : ""
      }`
    ),
    ...(conversationId !== undefined ? { conversationId } : {})
  })

/**
 * The `Corrupt` `MemoryStoreError` of stored data of `conversationId` that does not decode (or messages that do not
 * encode).
 *
 * @since 0.1.0
 * @category errors
 */
export const corrupt =
  (operation: Operation, conversationId: string) => (error: { readonly message: string }): MemoryStoreError =>
    storeError(operation, conversationId, "Corrupt", error.message)

/**
 * Fails with an `InvalidId` `MemoryStoreError` when the conversation id is empty.
 *
 * @since 0.1.0
 * @category utils
 */
export const checkId = (operation: Operation, id: string): Effect.Effect<void, MemoryStoreError> =>
  id.length === 0
    ? Effect.fail(storeError(operation, id, "InvalidId", "a conversation id must not be empty"))
    : Effect.void

// ---------------------------------------------------------------------------
// constructor
// ---------------------------------------------------------------------------

const checkVersion = (id: string, expectedVersion: number): Effect.Effect<void, MemoryStoreError> =>
  Number.isSafeInteger(expectedVersion) && expectedVersion >= 0
    ? Effect.void
    : Effect.fail(
      storeError("save", id, "InvalidVersion", `the expected version must be an integer >= 0, got ${expectedVersion}`)
    )

/**
 * A store from its four primitives, as `KeyValueStore.make` builds a `KeyValueStore`: what every store shares is
 * written here once. An empty conversation id fails every operation with an `InvalidId` `MemoryStoreError`, an
 * expected version that is not an integer from 0 fails `save` with `InvalidVersion`, both before the primitive runs;
 * so a primitive sees only a non-empty id and a valid version, and needs only to read, compare-and-write, remove and
 * list.
 *
 * @example
 * ```ts
 * import { MemoryStore } from "bedrock-llm"
 * import { Effect, Option } from "effect"
 *
 * // A store that keeps nothing: every save starts again at version 1.
 * const forgetful = MemoryStore.make({
 *   load: () => Effect.succeed(Option.none()),
 *   save: (id, _messages, expectedVersion) =>
 *     expectedVersion === 0 ? Effect.succeed(1) : Effect.fail(MemoryStore.versionConflict(id, expectedVersion, 0)),
 *   delete: () => Effect.void,
 *   list: Effect.succeed([])
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (primitives: MemoryStore.Service): MemoryStore.Service =>
  MemoryStore.of({
    load: (id) => Effect.zipRight(checkId("load", id), primitives.load(id)),
    save: (id, messages, expectedVersion) =>
      Effect.zipRight(
        Effect.zipRight(checkId("save", id), checkVersion(id, expectedVersion)),
        primitives.save(id, messages, expectedVersion)
      ),
    delete: (id) => Effect.zipRight(checkId("delete", id), primitives.delete(id)),
    list: primitives.list
  })

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
    make({
      load: (id) => Effect.map(Ref.get(state), HashMap.get(id)),
      save: (id, messages, expectedVersion) =>
        Effect.flatten(
          Ref.modify(
            state,
            (map): readonly [Effect.Effect<number, VersionConflict>, HashMap.HashMap<string, Stored>] => {
              const actual = Option.match(HashMap.get(map, id), {
                onNone: () => 0,
                onSome: (s) => s.version
              })
              if (actual !== expectedVersion) return [Effect.fail(versionConflict(id, expectedVersion, actual)), map]
              const version = actual + 1
              return [Effect.succeed(version), HashMap.set(map, id, { messages, version })]
            }
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

    const load = (id: string) => locked(id)(read("load", id))

    const save = (id: string, messages: ReadonlyArray<Message.Message>, expectedVersion: number) =>
      locked(id)(Effect.gen(function*() {
        const current = yield* Effect.mapError(kv.get(keyOf(id)), platformError("save", id))
        const actual = Option.isNone(current)
          ? 0
          : (yield* Effect.mapError(Schema.decode(VersionJson)(current.value), corrupt("save", id))).version
        if (actual !== expectedVersion) return yield* versionConflict(id, expectedVersion, actual)
        const version = actual + 1
        const encoded = yield* Effect.mapError(encodeAll(messages), corrupt("save", id))
        const json = JSON.stringify({ version, messages: encoded })
        if (actual === 0) yield* updateIndex("save", (ids) => ids.includes(id) ? ids : [...ids, id])
        yield* Effect.mapError(kv.set(keyOf(id), json), platformError("save", id))
        return version
      }))

    const remove = (id: string) =>
      locked(id)(Effect.zipRight(
        kv.remove(keyOf(id)).pipe(
          Effect.catchIf((error) => error._tag === "SystemError" && error.reason === "NotFound", () => Effect.void),
          Effect.mapError(platformError("delete", id))
        ),
        updateIndex("delete", (ids) => ids.includes(id) ? ids.filter((other) => other !== id) : ids)
      ))

    const list = Effect.flatMap(
      readIndex("list"),
      (ids) =>
        Effect.filter(ids, (id) => Effect.mapError(kv.has(keyOf(id)), platformError("list", id)), {
          concurrency: 16
        })
    )

    return make({ load, save, delete: remove, list })
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
