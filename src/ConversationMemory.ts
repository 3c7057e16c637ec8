/**
 * Conversation memory: a `Ref`-backed service holding many conversations, one per id, persisted through a
 * `MemoryStore`.
 *
 * - A conversation is loaded from the store on first use and cached in a `Ref`; every change is saved at once
 *   (write-through) with the version it was read at. Reads come from the cache: `refresh` reloads.
 * - Operations on one conversation are serialised in this process, first come first served (a lock per id). When
 *   another writer saved first (`VersionConflict`), the conversation is reloaded and the change re-applied to the
 *   newer messages, up to `maxAttempts` times with a jittered exponential backoff from the second retry on (driven by
 *   `Clock`, so `TestClock` controls it), so two writers never lose a turn.
 * - Appending keeps the conversation valid (`Conversation.check`: first message from the user, roles alternate, tool
 *   results answer the previous tool uses, no empty or blank content) or fails with `InvalidConversation` and changes
 *   nothing. A message whose role is that of the message before it is merged into it (its blocks appended), so two
 *   writers appending a user message each at the same time end with one user message holding both, in save order,
 *   rather than an invalid conversation or a lost message (`sameRole: "reject"` fails instead).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as HashMap from "effect/HashMap"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import * as Conversation from "./Conversation.js"
import * as FairLock from "./internal/fairLock.js"
import * as MemoryStore from "./MemoryStore.js"
import * as Message from "./Message.js"
import * as Pruning from "./Pruning.js"

// ---------------------------------------------------------------------------
// snapshots
// ---------------------------------------------------------------------------

/**
 * A serializable copy of one conversation: `schemaVersion` is the format (1), `version` the store version it was
 * taken at.
 *
 * @since 0.1.0
 * @category models
 */
export const Snapshot = Schema.TaggedStruct("ConversationSnapshot", {
  schemaVersion: Schema.Literal(1),
  id: Schema.String,
  version: Schema.NonNegativeInt,
  messages: Schema.Array(Message.Message)
}).annotations({ identifier: "ConversationSnapshot" })

/**
 * A serializable copy of one conversation.
 *
 * @since 0.1.0
 * @category models
 */
export interface Snapshot extends Schema.Schema.Type<typeof Snapshot> {}

/**
 * A snapshot to and from a JSON string.
 *
 * @since 0.1.0
 * @category models
 */
export const SnapshotFromJson = Schema.parseJson(Snapshot)

// ---------------------------------------------------------------------------
// service
// ---------------------------------------------------------------------------

/**
 * @since 0.1.0
 */
export declare namespace ConversationMemory {
  /**
   * What a write may fail with: the store failed, or conflicts went on past `maxAttempts`.
   *
   * @since 0.1.0
   * @category models
   */
  export type WriteError = MemoryStore.VersionConflict | MemoryStore.MemoryStoreError

  /**
   * One conversation of the memory.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Handle {
    readonly id: string
    /** Appends one message or several; returns the conversation after the append. */
    readonly append: (
      messages: Message.Message | ReadonlyArray<Message.Message>
    ) => Effect.Effect<ReadonlyArray<Message.Message>, Conversation.InvalidConversation | WriteError>
    /** The messages (loaded on first use, then from the cache). */
    readonly messages: Effect.Effect<ReadonlyArray<Message.Message>, MemoryStore.MemoryStoreError>
    /** Empties the conversation (saved as a new version, so concurrent writers still see a conflict). */
    readonly clear: Effect.Effect<void, WriteError>
    /** A serializable copy with its version. */
    readonly snapshot: Effect.Effect<Snapshot, MemoryStore.MemoryStoreError>
    /** Replaces the messages with those of a snapshot (taken of any conversation); validated. */
    readonly restore: (
      snapshot: Snapshot
    ) => Effect.Effect<void, Conversation.InvalidConversation | WriteError>
    /** Applies a pruning strategy and saves the result (re-applied to newer messages on a conflict). */
    readonly prune: <E = never, R = never>(
      strategy: Pruning.Strategy<E, R>
    ) => Effect.Effect<ReadonlyArray<Message.Message>, E | Conversation.InvalidConversation | WriteError, R>
    /** Reloads from the store, dropping the cached copy. */
    readonly refresh: Effect.Effect<ReadonlyArray<Message.Message>, MemoryStore.MemoryStoreError>
  }

  /**
   * The memory: every operation by conversation id, or a `Handle` bound to one.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    readonly conversation: (id: string) => Handle
    readonly append: (
      id: string,
      messages: Message.Message | ReadonlyArray<Message.Message>
    ) => Effect.Effect<ReadonlyArray<Message.Message>, Conversation.InvalidConversation | WriteError>
    readonly messages: (id: string) => Effect.Effect<ReadonlyArray<Message.Message>, MemoryStore.MemoryStoreError>
    readonly clear: (id: string) => Effect.Effect<void, WriteError>
    readonly snapshot: (id: string) => Effect.Effect<Snapshot, MemoryStore.MemoryStoreError>
    readonly restore: (
      id: string,
      snapshot: Snapshot
    ) => Effect.Effect<void, Conversation.InvalidConversation | WriteError>
    readonly prune: <E = never, R = never>(
      id: string,
      strategy: Pruning.Strategy<E, R>
    ) => Effect.Effect<ReadonlyArray<Message.Message>, E | Conversation.InvalidConversation | WriteError, R>
    readonly refresh: (id: string) => Effect.Effect<ReadonlyArray<Message.Message>, MemoryStore.MemoryStoreError>
    /** Drops the cached copy of a conversation (it is loaded again on next use); the store keeps it. */
    readonly evict: (id: string) => Effect.Effect<void>
  }

  /**
   * Options of `make` / `layer`.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Options {
    /** Saves tried per change when other writers keep saving first (default 20). */
    readonly maxAttempts?: number | undefined
    /**
     * Wait after the n-th conflicting save of a change, before reloading: none after the first, then a random duration
     * between 0 and `min(cap, base * 2^(n - 2))` ("full jitter"; default base 10 ms, cap 500 ms).
     */
    readonly backoff?: {
      readonly base?: Duration.DurationInput | undefined
      readonly cap?: Duration.DurationInput | undefined
    } | undefined
    /** An appended message with the role of the one before it: merged into it (default) or rejected. */
    readonly sameRole?: "merge" | "reject" | undefined
    /** A pure strategy applied after every append (e.g. `Pruning.slidingWindow({ maxMessages: 50 })`). */
    readonly autoPrune?: ((messages: ReadonlyArray<Message.Message>) => ReadonlyArray<Message.Message>) | undefined
  }
}

/**
 * The conversation memory service.
 *
 * @since 0.1.0
 * @category services
 */
export class ConversationMemory
  extends Context.Tag("bedrock-llm/ConversationMemory")<ConversationMemory, ConversationMemory.Service>()
{}

/**
 * The tool configuration memory validates with: tool blocks are allowed (the request that sends the conversation
 * brings its own tools).
 *
 * @since 0.1.0
 * @category utils
 */
export const anyTools: Conversation.ToolConfiguration = { tools: [] }

/**
 * Whether a conversation may be held in memory: empty, or valid by `Conversation.check` with tools allowed.
 *
 * @since 0.1.0
 * @category utils
 */
export const check = (messages: ReadonlyArray<Message.Message>): Option.Option<Conversation.InvalidConversation> =>
  messages.length === 0 ? Option.none() : Conversation.check(messages, { toolConfig: anyTools })

/**
 * Joins messages to a conversation, merging each one whose role is that of the message before it into that message.
 *
 * @since 0.1.0
 * @category utils
 */
export const join = (
  messages: ReadonlyArray<Message.Message>,
  appended: ReadonlyArray<Message.Message>
): ReadonlyArray<Message.Message> => {
  const out = messages.slice()
  for (const message of appended) {
    const last = out[out.length - 1]
    if (last !== undefined && last.role === message.role) {
      out[out.length - 1] = { role: last.role, content: [...last.content, ...message.content] }
    } else {
      out.push(message)
    }
  }
  return out
}

interface Entry {
  readonly lock: FairLock.FairLock
  readonly state: Ref.Ref<Option.Option<MemoryStore.Stored>>
}

const ensureValid = (
  messages: ReadonlyArray<Message.Message>
): Effect.Effect<ReadonlyArray<Message.Message>, Conversation.InvalidConversation> =>
  Option.match(check(messages), { onNone: () => Effect.succeed(messages), onSome: Effect.fail })

/**
 * Builds a memory over the `MemoryStore` in context.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: ConversationMemory.Options = {}
): Effect.Effect<ConversationMemory.Service, never, MemoryStore.MemoryStore> =>
  Effect.gen(function*() {
    const store = yield* MemoryStore.MemoryStore
    const entries = yield* Ref.make(HashMap.empty<string, Entry>())
    const maxAttempts = Math.max(1, options.maxAttempts ?? 20)
    const backoffBase = Duration.toMillis(Duration.decode(options.backoff?.base ?? "10 millis"))
    const backoffCap = Duration.toMillis(Duration.decode(options.backoff?.cap ?? "500 millis"))
    const backoff = (retry: number): Effect.Effect<void> =>
      retry < 2 ? Effect.void : Effect.flatMap(
        Random.nextRange(0, Math.min(backoffCap, backoffBase * 2 ** (retry - 2))),
        (millis) => Effect.sleep(Duration.millis(millis))
      )
    const sameRole = options.sameRole ?? "merge"

    const entryOf = (id: string): Effect.Effect<Entry> =>
      Ref.modify(entries, (map) =>
        Option.match(HashMap.get(map, id), {
          onSome: (entry) => [entry, map],
          onNone: () => {
            const entry: Entry = {
              lock: FairLock.unsafeMake(),
              state: Ref.unsafeMake(Option.none<MemoryStore.Stored>())
            }
            return [entry, HashMap.set(map, id, entry)]
          }
        }))

    const reload = (id: string, entry: Entry) =>
      store.load(id).pipe(
        Effect.map(Option.getOrElse((): MemoryStore.Stored => ({ messages: [], version: 0 }))),
        Effect.tap((stored) => Ref.set(entry.state, Option.some(stored)))
      )

    const current = (id: string, entry: Entry) =>
      Effect.flatMap(
        Ref.get(entry.state),
        Option.match({ onSome: Effect.succeed, onNone: () => reload(id, entry) })
      )

    const withEntry = <A, E, R>(id: string, f: (entry: Entry) => Effect.Effect<A, E, R>) =>
      Effect.flatMap(entryOf(id), (entry) => entry.lock.withLock(f(entry)))

    const write = <E, R>(
      id: string,
      change: (messages: ReadonlyArray<Message.Message>) => Effect.Effect<ReadonlyArray<Message.Message>, E, R>
    ): Effect.Effect<ReadonlyArray<Message.Message>, E | ConversationMemory.WriteError, R> =>
      withEntry(id, (entry) =>
        Effect.gen(function*() {
          let stored = yield* current(id, entry)
          for (let attempt = 1;; attempt++) {
            const next = yield* change(stored.messages)
            if (next === stored.messages) return next
            const saved = yield* Effect.either(store.save(id, next, stored.version))
            if (saved._tag === "Right") {
              yield* Ref.set(entry.state, Option.some({ messages: next, version: saved.right }))
              return next
            }
            if (saved.left._tag !== "VersionConflict" || attempt >= maxAttempts) return yield* saved.left
            yield* backoff(attempt)
            stored = yield* reload(id, entry)
          }
        }))

    const append = (id: string, input: Message.Message | ReadonlyArray<Message.Message>) => {
      const appended: ReadonlyArray<Message.Message> = Array.isArray(input)
        ? input as ReadonlyArray<Message.Message>
        : [input as Message.Message]
      return write(id, (messages) => {
        if (appended.length === 0) return Effect.succeed(messages)
        const joined = sameRole === "merge" ? join(messages, appended) : [...messages, ...appended]
        return Effect.flatMap(
          ensureValid(joined),
          (valid) => options.autoPrune === undefined ? Effect.succeed(valid) : ensureValid(options.autoPrune(valid))
        )
      })
    }

    const messages = (id: string) => withEntry(id, (entry) => Effect.map(current(id, entry), (s) => s.messages))

    const refresh = (id: string) => withEntry(id, (entry) => Effect.map(reload(id, entry), (s) => s.messages))

    const clear = (id: string) =>
      Effect.asVoid(write(id, (messages) => Effect.succeed(messages.length === 0 ? messages : [])))

    const snapshot = (id: string) =>
      withEntry(id, (entry) =>
        Effect.map(current(id, entry), (stored): Snapshot => ({
          _tag: "ConversationSnapshot",
          schemaVersion: 1,
          id,
          version: stored.version,
          messages: stored.messages
        })))

    const restore = (id: string, taken: Snapshot) => Effect.asVoid(write(id, () => ensureValid(taken.messages)))

    const prune = <E, R>(id: string, strategy: Pruning.Strategy<E, R>) =>
      write(id, (messages) =>
        Effect.flatMap(
          Pruning.run(messages, strategy),
          (pruned) => pruned === messages ? Effect.succeed(messages) : ensureValid(pruned)
        ))

    const evict = (id: string) => withEntry(id, () => Ref.update(entries, HashMap.remove(id)))

    const conversation = (id: string): ConversationMemory.Handle => ({
      id,
      append: (input) => append(id, input),
      messages: messages(id),
      clear: clear(id),
      snapshot: snapshot(id),
      restore: (taken) => restore(id, taken),
      prune: (strategy) => prune(id, strategy),
      refresh: refresh(id)
    })

    return ConversationMemory.of({
      conversation,
      append,
      messages,
      clear,
      snapshot,
      restore,
      prune,
      refresh,
      evict
    })
  })

/**
 * The memory over the `MemoryStore` in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options?: ConversationMemory.Options
): Layer.Layer<ConversationMemory, never, MemoryStore.MemoryStore> => Layer.effect(ConversationMemory, make(options))

/**
 * The memory over an in-process store (nothing persisted).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory = (options?: ConversationMemory.Options): Layer.Layer<ConversationMemory> =>
  Layer.provide(layer(options), MemoryStore.layerMemory)

// ---------------------------------------------------------------------------
// accessors
// ---------------------------------------------------------------------------

/**
 * The handle of one conversation of the memory in context.
 *
 * @since 0.1.0
 * @category utils
 */
export const conversation = (id: string): Effect.Effect<ConversationMemory.Handle, never, ConversationMemory> =>
  Effect.map(ConversationMemory, (memory) => memory.conversation(id))

/**
 * Appends to a conversation of the memory in context.
 *
 * @since 0.1.0
 * @category utils
 */
export const append = (
  id: string,
  messages: Message.Message | ReadonlyArray<Message.Message>
): Effect.Effect<
  ReadonlyArray<Message.Message>,
  Conversation.InvalidConversation | ConversationMemory.WriteError,
  ConversationMemory
> => Effect.flatMap(ConversationMemory, (memory) => memory.append(id, messages))

/**
 * The messages of a conversation of the memory in context.
 *
 * @since 0.1.0
 * @category utils
 */
export const messages = (
  id: string
): Effect.Effect<ReadonlyArray<Message.Message>, MemoryStore.MemoryStoreError, ConversationMemory> =>
  Effect.flatMap(ConversationMemory, (memory) => memory.messages(id))

/**
 * Prunes a conversation of the memory in context.
 *
 * @since 0.1.0
 * @category utils
 */
export const prune = <E = never, R = never>(
  id: string,
  strategy: Pruning.Strategy<E, R>
): Effect.Effect<
  ReadonlyArray<Message.Message>,
  E | Conversation.InvalidConversation | ConversationMemory.WriteError,
  ConversationMemory | R
> => Effect.flatMap(ConversationMemory, (memory) => memory.prune(id, strategy))
