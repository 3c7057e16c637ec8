/**
 * Agent conversations, each owned by the key that made it: stored through the library's `MemoryStore` under
 * `<keyId>/<conversationId>`, so that a key can only ever name its own (another key's id is simply not found), and
 * read and written through `ConversationMemory` (valid conversations, versioned saves that never lose a turn when
 * two instances write at once). A run reloads its conversation from the store first (another instance may have
 * added turns) and drops the cached copy after, so an instance holds no conversation between runs.
 *
 * @since 0.1.0
 */
import { type Agent, ConversationMemory, MemoryStore, type Message } from "bedrock-llm"
import * as DynamoDBMemoryStore from "bedrock-llm/DynamoDBMemoryStore"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { randomBytes } from "node:crypto"
import type { KeyRecord } from "../keys/KeyStore.js"
import type { Settings } from "../ServiceConfig.js"

const idPattern = /^conv_[0-9a-f]{24}$/

/**
 * Whether a string is of the form of a conversation id (`conv_` and 24 hex digits).
 *
 * @since 0.1.0
 * @category utils
 */
export const isConversationId = (id: string): boolean => idPattern.test(id)

const storedId = (key: KeyRecord, id: string) => `${key.id}/${id}`

/**
 * @since 0.1.0
 */
export declare namespace Conversations {
  /**
   * The service.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /** A new conversation id (nothing is stored until a run succeeds). */
    readonly newId: Effect.Effect<string>
    /** The messages of one of the key's conversations, `None` when it has none of that id. */
    readonly get: (
      key: KeyRecord,
      id: string
    ) => Effect.Effect<Option.Option<ReadonlyArray<Message.Message>>, MemoryStore.MemoryStoreError>
    /** The agent memory of a conversation: reloaded when a run reads it, appended to when the run succeeds. */
    readonly memory: (key: KeyRecord, id: string) => Agent.Memory
    /** Drops the cached copy after a run. */
    readonly release: (key: KeyRecord, id: string) => Effect.Effect<void>
    /** The ids of the key's conversations. */
    readonly list: (key: KeyRecord) => Effect.Effect<ReadonlyArray<string>, MemoryStore.MemoryStoreError>
    /** Deletes one of the key's conversations; `false` when it has none of that id. */
    readonly remove: (key: KeyRecord, id: string) => Effect.Effect<boolean, MemoryStore.MemoryStoreError>
  }
}

/**
 * The conversations service.
 *
 * @since 0.1.0
 * @category services
 */
export class Conversations
  extends Context.Tag("bedrock-llm-backend/Conversations")<Conversations, Conversations.Service>()
{}

/**
 * Builds the service over a memory store.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<
  Conversations.Service,
  never,
  MemoryStore.MemoryStore | ConversationMemory.ConversationMemory
> = Effect.gen(function*() {
  const store = yield* MemoryStore.MemoryStore
  const memory = yield* ConversationMemory.ConversationMemory

  const get = (key: KeyRecord, id: string) =>
    isConversationId(id)
      ? Effect.map(store.load(storedId(key, id)), Option.map((stored) => stored.messages))
      : Effect.succeed(Option.none())

  return Conversations.of({
    newId: Effect.sync(() => `conv_${randomBytes(12).toString("hex")}`),
    get,
    memory: (key, id) => {
      const handle = memory.conversation(storedId(key, id))
      return { messages: handle.refresh, append: handle.append }
    },
    release: (key, id) => memory.evict(storedId(key, id)),
    list: (key) =>
      Effect.map(store.list, (ids) => {
        const prefix = `${key.id}/`
        return ids.filter((stored) => stored.startsWith(prefix)).map((stored) => stored.slice(prefix.length)).sort()
      }),
    remove: (key, id) =>
      Effect.flatMap(get(key, id), (found) =>
        Option.isNone(found)
          ? Effect.succeed(false)
          : Effect.as(
            Effect.zipRight(store.delete(storedId(key, id)), memory.evict(storedId(key, id))),
            true
          ))
  })
})

/**
 * The service with the store of the configuration: in memory, or the DynamoDB table `conversationsTable` (on the
 * configured endpoint) when the service's stores are DynamoDB.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (settings: Settings): Layer.Layer<Conversations> => {
  const store = settings.store._tag === "memory"
    ? MemoryStore.layerMemory
    : DynamoDBMemoryStore.layer({
      tableName: settings.conversationsTable,
      ...(settings.store.endpoint === undefined ? {} : { clientConfig: { endpoint: settings.store.endpoint } })
    })
  return Layer.effect(Conversations, make).pipe(Layer.provide(Layer.provideMerge(ConversationMemory.layer(), store)))
}
