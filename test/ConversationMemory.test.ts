import { FileSystem, KeyValueStore } from "@effect/platform"
import { NodeFileSystem, NodeKeyValueStore } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Fiber, Layer, Option, Ref, Schema, TestClock } from "effect"
import * as Conversation from "../src/Conversation.js"
import * as ConversationMemory from "../src/ConversationMemory.js"
import * as DynamoDBMemoryStore from "../src/DynamoDBMemoryStore.js"
import * as FairLock from "../src/internal/fairLock.js"
import * as MemoryStore from "../src/MemoryStore.js"
import * as Message from "../src/Message.js"
import * as Pruning from "../src/Pruning.js"
import { clientConfig, dynaliteServer } from "./support/dynamo.js"

const toolConfig = Conversation.toolConfig([Conversation.toolSpec({ name: "lookup", inputSchema: { type: "object" } })])

const signed: Message.Reasoning = { _tag: "Reasoning", text: "Check the tool.", signature: "EqQBCkgIAR-sig" }

const turn = (question: string, answer: string): ReadonlyArray<Message.Message> => [
  Message.user(question),
  Message.assistant(answer)
]

/** Counts the conflicts a store reports (to show a concurrency test really raced). */
const counting =
  (conflicts: Ref.Ref<number>) => (store: MemoryStore.MemoryStore.Service): MemoryStore.MemoryStore.Service => ({
    ...store,
    save: (id, messages, expected) =>
      store.save(id, messages, expected).pipe(
        Effect.tapErrorTag("VersionConflict", () => Ref.update(conflicts, (n) => n + 1))
      )
  })

/** A memory over a given store service (its own cache, as another process would have). */
const memoryOver = (store: MemoryStore.MemoryStore.Service, options?: ConversationMemory.ConversationMemory.Options) =>
  ConversationMemory.make(options).pipe(Effect.provideService(MemoryStore.MemoryStore, store))

const kvFiles = (directory: string) => NodeKeyValueStore.layerFileSystem(directory)

const tempDirectory = Effect.flatMap(
  FileSystem.FileSystem,
  (fs) => fs.makeTempDirectoryScoped({ prefix: "bedrock-llm-conversations-" })
).pipe(Effect.provide(NodeFileSystem.layer))

const fileStore = (directory: string) =>
  Effect.flatMap(
    Layer.build(MemoryStore.layerKeyValueStore().pipe(Layer.provide(kvFiles(directory)))),
    (context) => Effect.succeed(Context.get(context, MemoryStore.MemoryStore))
  )

const dynamoStore = (endpoint: string) =>
  DynamoDBMemoryStore.make({ tableName: "conversations", clientConfig: clientConfig(endpoint), ttl: "7 days" })

describe("ConversationMemory", () => {
  it.effect("append, read, clear, snapshot and restore", () =>
    Effect.gen(function*() {
      const memory = yield* ConversationMemory.ConversationMemory
      const chat = memory.conversation("chat-1")
      assert.strictEqual(chat.id, "chat-1")
      assert.deepStrictEqual(yield* chat.messages, [])

      const afterOne = yield* chat.append(Message.user("Hi"))
      assert.deepStrictEqual(afterOne, [Message.user("Hi")])
      yield* chat.append([
        Message.assistant([signed, Message.toolUse("t1", "lookup", { q: "x" })]),
        Message.user(Message.toolResult("t1", "found")),
        Message.assistant("Done.")
      ])
      const messages = yield* ConversationMemory.messages("chat-1")
      assert.strictEqual(messages.length, 4)
      yield* Conversation.validate(messages, { toolConfig })
      assert.deepStrictEqual(yield* memory.messages("other"), [])

      const snapshot = yield* chat.snapshot
      assert.strictEqual(snapshot.version, 2)
      assert.strictEqual(snapshot.schemaVersion, 1)
      assert.strictEqual(snapshot.id, "chat-1")
      const json = yield* Schema.encode(ConversationMemory.SnapshotFromJson)(snapshot)
      const decoded = yield* Schema.decode(ConversationMemory.SnapshotFromJson)(json)
      assert.deepStrictEqual(decoded, snapshot)

      yield* chat.clear
      assert.deepStrictEqual(yield* chat.messages, [])
      assert.strictEqual((yield* chat.snapshot).version, 3)
      yield* chat.clear
      assert.strictEqual((yield* chat.snapshot).version, 3, "clearing an empty conversation writes nothing")

      yield* chat.restore(decoded)
      assert.deepStrictEqual(yield* chat.messages, messages)
      yield* memory.restore("copy", decoded)
      assert.deepStrictEqual(yield* memory.messages("copy"), messages)
      const store = yield* MemoryStore.MemoryStore
      assert.deepStrictEqual(Option.getOrThrow(yield* store.load("copy")).messages, messages)
    }).pipe(Effect.provide(ConversationMemory.layer().pipe(Layer.provideMerge(MemoryStore.layerMemory)))))

  it.effect("appends that would break the conversation fail with InvalidConversation and change nothing", () =>
    Effect.gen(function*() {
      const chat = yield* ConversationMemory.conversation("c")
      const first = yield* Effect.flip(chat.append(Message.assistant("I speak first")))
      assert.strictEqual(first._tag, "InvalidConversation")
      if (first._tag === "InvalidConversation") assert.strictEqual(first.rule, "first-message-from-user")
      yield* chat.append(turn("q", "a"))
      const orphan = yield* Effect.flip(chat.append(Message.user(Message.toolResult("nope", "x"))))
      assert.strictEqual(orphan._tag === "InvalidConversation" && orphan.rule, "tool-result-without-tool-use")
      const blank = yield* Effect.flip(chat.append(Message.user("   ")))
      assert.strictEqual(blank._tag === "InvalidConversation" && blank.rule, "blank-text")
      yield* chat.append(Message.user("next"))
      yield* chat.append(Message.assistant(Message.toolUse("t1", "lookup", {})))
      const unanswered = yield* Effect.flip(chat.append(Message.user("ignoring the tool")))
      assert.strictEqual(unanswered._tag === "InvalidConversation" && unanswered.rule, "tool-use-unanswered")
      assert.deepStrictEqual(yield* chat.messages, [
        ...turn("q", "a"),
        Message.user("next"),
        Message.assistant(Message.toolUse("t1", "lookup", {}))
      ])
      const invalidRestore = yield* Effect.flip(chat.restore({
        _tag: "ConversationSnapshot",
        schemaVersion: 1,
        id: "x",
        version: 1,
        messages: [Message.assistant("no")]
      }))
      assert.strictEqual(invalidRestore._tag, "InvalidConversation")
    }).pipe(Effect.provide(ConversationMemory.layerMemory())))

  it.effect("a message with the role of the one before it is merged; sameRole: reject refuses it", () =>
    Effect.gen(function*() {
      const merging = yield* memoryOver(yield* MemoryStore.makeMemory)
      yield* merging.append("c", Message.user("Hello"))
      const merged = yield* merging.append("c", [Message.user(["and also", Message.image(new Uint8Array(4), "png")])])
      assert.deepStrictEqual(merged, [
        Message.user(["Hello", "and also", Message.image(new Uint8Array(4), "png")])
      ])
      const rejecting = yield* memoryOver(yield* MemoryStore.makeMemory, { sameRole: "reject" })
      yield* rejecting.append("c", Message.user("Hello"))
      const error = yield* Effect.flip(rejecting.append("c", Message.user("again")))
      assert.strictEqual(error._tag === "InvalidConversation" && error.rule, "roles-alternate")
      assert.deepStrictEqual(yield* rejecting.messages("c"), [Message.user("Hello")])
    }))

  it.effect("two writers appending the same role at once: the later one is merged, nothing is lost", () =>
    Effect.gen(function*() {
      const conflicts = yield* Ref.make(0)
      const store = counting(conflicts)(yield* MemoryStore.makeMemory)
      const writerA = yield* memoryOver(store)
      const writerB = yield* memoryOver(store)
      yield* writerA.append("c", turn("q1", "a1"))
      yield* writerB.messages("c")
      yield* writerA.append("c", Message.user("from A"))
      const afterB = yield* writerB.append("c", Message.user("from B"))
      assert.strictEqual(yield* Ref.get(conflicts), 1)
      const expected = [...turn("q1", "a1"), Message.user(["from A", "from B"])]
      assert.deepStrictEqual(afterB, expected)
      assert.deepStrictEqual(yield* writerA.refresh("c"), expected)

      const rejectingB = yield* memoryOver(store, { sameRole: "reject" })
      yield* rejectingB.messages("c")
      yield* writerA.append("c", Message.assistant("answer"))
      const refused = yield* Effect.flip(rejectingB.append("c", Message.assistant("competing answer")))
      assert.strictEqual(refused._tag === "InvalidConversation" && refused.rule, "roles-alternate")
      assert.deepStrictEqual(yield* rejectingB.messages("c"), [...expected, Message.assistant("answer")])
    }))

  it.effect("conflicts are retried a bounded number of times, then surface typed", () =>
    Effect.gen(function*() {
      const attempts = yield* Ref.make(0)
      const base = yield* MemoryStore.makeMemory
      const hostile: MemoryStore.MemoryStore.Service = {
        ...base,
        save: (id, _messages, expected) =>
          Effect.zipRight(
            Ref.update(attempts, (n) => n + 1),
            Effect.fail(
              new MemoryStore.VersionConflict({ message: "busy", conversationId: id, expectedVersion: expected })
            )
          )
      }
      const memory = yield* memoryOver(hostile, { maxAttempts: 5 })
      const fiber = yield* Effect.fork(Effect.flip(memory.append("c", Message.user("hi"))))
      yield* TestClock.adjust("0 millis")
      assert.strictEqual(yield* Ref.get(attempts), 2, "the first retry is immediate, the next waits")
      yield* TestClock.adjust("10 millis")
      assert.isAtLeast(yield* Ref.get(attempts), 3, "the second wait is at most the 10 ms base")
      yield* TestClock.adjust("1 second")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "VersionConflict")
      assert.strictEqual(yield* Ref.get(attempts), 5)
      assert.deepStrictEqual(yield* memory.messages("c"), [])

      const broken: MemoryStore.MemoryStore.Service = {
        ...base,
        save: (id) =>
          Effect.fail(
            new MemoryStore.MemoryStoreError({
              message: "disk full",
              operation: "save",
              conversationId: id,
              reason: "IO",
              retryable: false
            })
          )
      }
      const failing = yield* memoryOver(broken)
      const ioError = yield* Effect.flip(failing.append("c", Message.user("hi")))
      assert.strictEqual(ioError._tag, "MemoryStoreError")
    }))

  it.effect("prune applies a strategy and saves the result; autoPrune runs after every append", () =>
    Effect.gen(function*() {
      const store = yield* MemoryStore.makeMemory
      const memory = yield* memoryOver(store)
      for (let i = 0; i < 5; i++) yield* memory.append("c", turn(`q${i}`, `a${i}`))
      const pruned = yield* memory.prune("c", Pruning.slidingWindow({ maxMessages: 4 }))
      assert.deepStrictEqual(pruned, [...turn("q3", "a3"), ...turn("q4", "a4")])
      assert.deepStrictEqual(Option.getOrThrow(yield* store.load("c")), { messages: pruned, version: 6 })
      const same = yield* memory.prune("c", Pruning.slidingWindow({ maxMessages: 4 }))
      assert.strictEqual(same, pruned)
      assert.strictEqual(Option.getOrThrow(yield* store.load("c")).version, 6, "an unchanged prune writes nothing")

      const failed = yield* Effect.flip(
        memory.prune("c", Pruning.summarize({ keep: 0, summarize: () => Effect.fail("model down") }))
      )
      assert.strictEqual(failed, "model down")
      assert.deepStrictEqual(yield* memory.messages("c"), pruned)
      const summarised = yield* memory.prune(
        "c",
        Pruning.summarize({ keep: 2, summarize: (old) => Effect.succeed(`${old.length} messages`) })
      )
      assert.deepStrictEqual(summarised, [
        Message.user([`${Pruning.SUMMARY_PREFIX}2 messages`, "q4"]),
        Message.assistant("a4")
      ])
      const broken = yield* Effect.flip(memory.prune("c", (messages) => messages.slice(1)))
      assert.strictEqual(broken._tag === "InvalidConversation" && broken.rule, "first-message-from-user")
      assert.deepStrictEqual(yield* memory.messages("c"), summarised)

      const auto = yield* memoryOver(store, { autoPrune: Pruning.slidingWindow({ maxMessages: 3 }) })
      for (let i = 0; i < 4; i++) yield* auto.append("auto", turn(`q${i}`, `a${i}`))
      assert.deepStrictEqual(yield* auto.messages("auto"), turn("q3", "a3"))
    }))

  it.effect("reads come from the cache until refresh; evict drops the cached copy", () =>
    Effect.gen(function*() {
      const store = yield* MemoryStore.makeMemory
      const a = yield* memoryOver(store)
      const b = yield* memoryOver(store)
      yield* a.append("c", turn("q", "a"))
      assert.deepStrictEqual(yield* b.messages("c"), turn("q", "a"))
      yield* a.append("c", turn("q2", "a2"))
      assert.deepStrictEqual(yield* b.messages("c"), turn("q", "a"))
      assert.deepStrictEqual(yield* b.refresh("c"), [...turn("q", "a"), ...turn("q2", "a2")])
      yield* a.append("c", turn("q3", "a3"))
      yield* b.evict("c")
      assert.strictEqual((yield* b.messages("c")).length, 6)
    }))
})

describe("ConversationMemory persistence", () => {
  it.scoped("survives a restart over files", () =>
    Effect.gen(function*() {
      const directory = yield* tempDirectory
      yield* Effect.scoped(Effect.gen(function*() {
        const memory = yield* memoryOver(yield* fileStore(directory))
        yield* memory.append("chat", turn("Remember 42.", "I will remember 42."))
        yield* memory.append("chat", Message.user("What did I say?"))
      }))
      const memory = yield* memoryOver(yield* fileStore(directory))
      assert.deepStrictEqual(yield* memory.messages("chat"), [
        ...turn("Remember 42.", "I will remember 42."),
        Message.user("What did I say?")
      ])
      assert.strictEqual((yield* memory.snapshot("chat")).version, 2)
    }))

  it.scoped("survives a restart over DynamoDB", () =>
    Effect.gen(function*() {
      const endpoint = yield* dynaliteServer
      yield* DynamoDBMemoryStore.createTable({ tableName: "conversations", clientConfig: clientConfig(endpoint) })
      yield* Effect.scoped(Effect.gen(function*() {
        const memory = yield* memoryOver(yield* dynamoStore(endpoint))
        yield* memory.append("chat", [Message.user("Remember 42."), Message.assistant([signed, "Noted."])])
      }))
      const memory = yield* memoryOver(yield* dynamoStore(endpoint))
      assert.deepStrictEqual(yield* memory.messages("chat"), [
        Message.user("Remember 42."),
        Message.assistant([signed, "Noted."])
      ])
    }))
})

describe("ConversationMemory ordering", () => {
  it.effect("concurrent appends through one memory are applied first come, first served", () =>
    Effect.gen(function*() {
      const base = yield* MemoryStore.makeMemory
      const slow: MemoryStore.MemoryStore.Service = {
        ...base,
        save: (id, messages, expected) => Effect.zipRight(Effect.sleep("10 millis"), base.save(id, messages, expected))
      }
      const memory = yield* memoryOver(slow)
      const fibers = yield* Effect.forEach(
        [0, 1, 2, 3, 4],
        (i) => Effect.fork(memory.append("c", turn(`q${i}`, `a${i}`))),
        { concurrency: 1 }
      )
      yield* TestClock.adjust("1 second")
      yield* Fiber.joinAll(fibers)
      assert.deepStrictEqual(
        (yield* memory.messages("c")).map(Message.textOf),
        ["q0", "a0", "q1", "a1", "q2", "a2", "q3", "a3", "q4", "a4"]
      )
    }))

  it.effect("the lock hands over to the oldest waiter and survives interrupted waiters", () =>
    Effect.gen(function*() {
      const lock = FairLock.unsafeMake()
      const order: Array<string> = []
      const repeat = yield* Effect.fork(Effect.forEach(
        [1, 2, 3],
        (i) => lock.withLock(Effect.zipRight(Effect.sleep("10 millis"), Effect.sync(() => order.push(`repeat ${i}`)))),
        { discard: true }
      ))
      yield* TestClock.adjust("0 millis")
      const interrupted = yield* Effect.fork(lock.withLock(Effect.sync(() => order.push("interrupted"))))
      const waiting = yield* Effect.fork(lock.withLock(Effect.sync(() => order.push("waiting"))))
      yield* TestClock.adjust("0 millis")
      yield* Fiber.interrupt(interrupted)
      for (let i = 0; i < 3; i++) yield* TestClock.adjust("10 millis")
      yield* Fiber.join(repeat)
      yield* Fiber.join(waiting)
      // a fiber that releases and asks again queues behind the waiter (an Effect.Semaphore would let it overtake)
      assert.deepStrictEqual(order, ["repeat 1", "waiting", "repeat 2", "repeat 3"])
      assert.strictEqual(yield* lock.withLock(Effect.succeed("free")), "free")
      const failing = yield* Effect.flip(lock.withLock(Effect.fail("boom")))
      assert.strictEqual(failing, "boom")
      assert.strictEqual(yield* lock.withLock(Effect.succeed("released after failure")), "released after failure")
    }))
})

const TURNS = 100

/**
 * Back-to-back appends are the worst case for optimistic concurrency: a writer that must reload before each retry can
 * keep losing to one that does not while the latter is busy. More attempts than the default keep the test robust on a
 * loaded machine; every attempt still goes through the same reload / re-apply / backoff path.
 */
const patient: ConversationMemory.ConversationMemory.Options = { maxAttempts: 60 }

const writeTurns = (memory: ConversationMemory.ConversationMemory.Service, writer: string) =>
  Effect.forEach(
    Array.from({ length: TURNS }, (_, i) => i),
    (i) => Effect.zipLeft(memory.append("shared", turn(`${writer}${i}?`, `${writer}${i}!`)), Effect.yieldNow()),
    { discard: true }
  )

const checkNothingLost = (messages: ReadonlyArray<Message.Message>) =>
  Effect.gen(function*() {
    assert.strictEqual(messages.length, 4 * TURNS)
    yield* Conversation.validate(messages)
    for (const writer of ["A", "B"]) {
      const texts = messages.map(Message.textOf).filter((text) => text.startsWith(writer))
      assert.deepStrictEqual(
        texts,
        Array.from({ length: TURNS }, (_, i) => [`${writer}${i}?`, `${writer}${i}!`]).flat()
      )
    }
    messages.forEach((message, index) => {
      if (message.role === "user") {
        assert.strictEqual(Message.textOf(messages[index + 1]!), Message.textOf(message).replace("?", "!"))
      }
    })
  })

describe("ConversationMemory: two concurrent writers lose nothing", () => {
  // live clock: the writers race over real I/O, and a writer that keeps losing backs off (jittered, a few ms)
  it.scopedLive("over files", () =>
    Effect.gen(function*() {
      const directory = yield* tempDirectory
      const conflicts = yield* Ref.make(0)
      const kv = Context.get(yield* Layer.build(kvFiles(directory)), KeyValueStore.KeyValueStore)
      const storeFor = Effect.map(
        MemoryStore.makeKeyValueStore().pipe(Effect.provideService(KeyValueStore.KeyValueStore, kv)),
        counting(conflicts)
      )
      const a = yield* memoryOver(yield* storeFor, patient)
      const b = yield* memoryOver(yield* storeFor, patient)
      yield* Effect.all([writeTurns(a, "A"), writeTurns(b, "B")], { concurrency: 2, discard: true })
      assert.isAbove(yield* Ref.get(conflicts), 0, "the writers raced")
      const fresh = yield* memoryOver(yield* fileStore(directory))
      yield* checkNothingLost(yield* fresh.messages("shared"))
    }))

  it.scopedLive("over DynamoDB", () =>
    Effect.gen(function*() {
      const endpoint = yield* dynaliteServer
      yield* DynamoDBMemoryStore.createTable({ tableName: "conversations", clientConfig: clientConfig(endpoint) })
      const conflicts = yield* Ref.make(0)
      const a = yield* memoryOver(counting(conflicts)(yield* dynamoStore(endpoint)), patient)
      const b = yield* memoryOver(counting(conflicts)(yield* dynamoStore(endpoint)), patient)
      yield* Effect.all([writeTurns(a, "A"), writeTurns(b, "B")], { concurrency: 2, discard: true })
      assert.isAbove(yield* Ref.get(conflicts), 0, "the writers raced")
      const fresh = yield* memoryOver(yield* dynamoStore(endpoint))
      yield* checkNothingLost(yield* fresh.messages("shared"))
    }))
})
