import { DeleteItemCommand, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb"
import { FileSystem, KeyValueStore } from "@effect/platform"
import { NodeFileSystem, NodeKeyValueStore } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option, Schema, TestClock } from "effect"
import * as DynamoDBMemoryStore from "../src/DynamoDBMemoryStore.js"
import * as MemoryStore from "../src/MemoryStore.js"
import * as Message from "../src/Message.js"
import { clientConfig, dynaliteServer, dynamoClient } from "./support/dynamo.js"

const conversation: ReadonlyArray<Message.Message> = [
  Message.user(["What is on this picture?", Message.image(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]), "png")]),
  Message.assistant([
    { _tag: "Reasoning", text: "A tiny PNG.", signature: "EqQBCkgIARABGAIiQ-signature" },
    Message.toolUse("t1", "describe", { detail: "high", tags: ["a", "b"] })
  ]),
  Message.user(Message.toolResult("t1", [Message.json({ label: "pixel", score: 0.5 })])),
  Message.assistant("It is a single pixel.")
]

const tableName = "conversations"

/** A store over a fresh dynalite server and table, all closed with the scope. */
const dynamoLayer = (options: Partial<DynamoDBMemoryStore.Options> = {}) =>
  Layer.unwrapScoped(Effect.gen(function*() {
    const endpoint = yield* dynaliteServer
    yield* DynamoDBMemoryStore.createTable({ tableName, clientConfig: clientConfig(endpoint) })
    return DynamoDBMemoryStore.layer({ tableName, clientConfig: clientConfig(endpoint), ...options })
  }))

/** A KeyValueStore over files in a temporary directory removed with the scope. */
const kvFiles = Layer.unwrapScoped(Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const directory = yield* fs.makeTempDirectoryScoped({ prefix: "bedrock-llm-memory-" })
  return NodeKeyValueStore.layerFileSystem(directory)
})).pipe(Layer.provide(NodeFileSystem.layer))

/** A store over files in a temporary directory removed with the scope. */
const fileLayer = MemoryStore.layerKeyValueStore().pipe(Layer.provide(kvFiles))

const stores: ReadonlyArray<readonly [string, Layer.Layer<MemoryStore.MemoryStore, unknown>]> = [
  ["memory", MemoryStore.layerMemory],
  ["KeyValueStore (memory)", MemoryStore.layerKeyValueStore().pipe(Layer.provide(KeyValueStore.layerMemory))],
  ["KeyValueStore (files)", fileLayer],
  ["DynamoDB (dynalite)", dynamoLayer()]
]

for (const [name, layer] of stores) {
  describe(`MemoryStore contract: ${name}`, () => {
    it.scoped("load, save with versions, conflicts, list and delete", () =>
      Effect.gen(function*() {
        const store = yield* MemoryStore.MemoryStore
        assert.isTrue(Option.isNone(yield* store.load("c1")))
        assert.deepStrictEqual(yield* store.list, [])

        assert.strictEqual(yield* store.save("c1", conversation.slice(0, 1), 0), 1)
        assert.strictEqual(yield* store.save("c1", conversation, 1), 2)
        const loaded = Option.getOrThrow(yield* store.load("c1"))
        assert.strictEqual(loaded.version, 2)
        assert.deepStrictEqual(loaded.messages, conversation)

        const stale = yield* Effect.flip(store.save("c1", [Message.user("lost?")], 1))
        assert.strictEqual(stale._tag, "VersionConflict")
        if (stale._tag === "VersionConflict") {
          assert.strictEqual(stale.conversationId, "c1")
          assert.strictEqual(stale.expectedVersion, 1)
          // DynamoDB returns the current item with the failure (ALL_OLD); dynalite does not
          if (!name.startsWith("DynamoDB") || stale.actualVersion !== undefined) {
            assert.strictEqual(stale.actualVersion, 2)
          }
          assert.isTrue(stale.retryable)
        }
        const created = yield* Effect.flip(store.save("c1", [Message.user("again")], 0))
        assert.strictEqual(created._tag, "VersionConflict")
        const ahead = yield* Effect.flip(store.save("c2", [Message.user("new")], 3))
        assert.strictEqual(ahead._tag, "VersionConflict")
        assert.deepStrictEqual(Option.getOrThrow(yield* store.load("c1")).messages, conversation)

        assert.strictEqual(yield* store.save("c/2 ü", [Message.user("odd id")], 0), 1)
        assert.deepStrictEqual([...(yield* store.list)].sort(), ["c/2 ü", "c1"])

        yield* store.delete("c1")
        yield* store.delete("never-saved")
        assert.isTrue(Option.isNone(yield* store.load("c1")))
        assert.deepStrictEqual(yield* store.list, ["c/2 ü"])
        assert.strictEqual(yield* store.save("c1", [Message.user("fresh")], 0), 1)

        const invalid = yield* Effect.flip(store.save("", [Message.user("x")], 0))
        assert.strictEqual(invalid._tag, "MemoryStoreError")
        if (invalid._tag === "MemoryStoreError") assert.strictEqual(invalid.reason, "InvalidId")
      }).pipe(Effect.provide(layer)))

    it.scoped("concurrent saves from one version: exactly one wins", () =>
      Effect.gen(function*() {
        const store = yield* MemoryStore.MemoryStore
        const results = yield* Effect.all(
          Array.from({ length: 8 }, (_, i) => Effect.either(store.save("race", [Message.user(`writer ${i}`)], 0))),
          { concurrency: "unbounded" }
        )
        const winners = results.filter((result) => result._tag === "Right")
        assert.strictEqual(winners.length, 1)
        for (const result of results) {
          if (result._tag === "Left") assert.strictEqual(result.left._tag, "VersionConflict")
        }
        assert.strictEqual(Option.getOrThrow(yield* store.load("race")).version, 1)
      }).pipe(Effect.provide(layer)))
  })
}

describe("MemoryStore.layerKeyValueStore", () => {
  it.effect("keeps JSON { version, messages } under a prefixed key, and reports corrupt data", () =>
    Effect.gen(function*() {
      const kv = yield* KeyValueStore.KeyValueStore
      const store = yield* MemoryStore.makeKeyValueStore({ prefix: "app/" })
      yield* store.save("c1", [Message.user("hi")], 0)
      const raw = JSON.parse(Option.getOrThrow(yield* kv.get("app/conversation-c1")))
      assert.deepStrictEqual(raw, { version: 1, messages: [{ role: "user", content: [{ _tag: "Text", text: "hi" }] }] })
      assert.deepStrictEqual(JSON.parse(Option.getOrThrow(yield* kv.get("app/index"))), ["c1"])
      yield* kv.set("app/conversation-c1", "{not json")
      const error = yield* Effect.flip(store.load("c1"))
      assert.strictEqual(error._tag, "MemoryStoreError")
      assert.strictEqual(error.reason, "Corrupt")
      assert.strictEqual(error.operation, "load")
    }).pipe(Effect.provide(KeyValueStore.layerMemory)))

  it.scoped("two stores over one KeyValueStore share their locks", () =>
    Effect.gen(function*() {
      const a = yield* MemoryStore.makeKeyValueStore()
      const b = yield* MemoryStore.makeKeyValueStore()
      const results = yield* Effect.all(
        Array.from({ length: 6 }, (_, i) => Effect.either((i % 2 === 0 ? a : b).save("x", [Message.user("w")], 0))),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(results.filter((result) => result._tag === "Right").length, 1)
    }).pipe(Effect.provide(kvFiles)))
})

describe("DynamoDBMemoryStore", () => {
  it.scoped("writes the item shape, with a TTL attribute refreshed on every save", () =>
    Effect.gen(function*() {
      const endpoint = yield* dynaliteServer
      const client = yield* dynamoClient(endpoint)
      yield* DynamoDBMemoryStore.createTable({ tableName, client })
      yield* DynamoDBMemoryStore.createTable({ tableName, client })
      const store = yield* DynamoDBMemoryStore.make({ tableName, client, ttl: "1 hour" })
      yield* TestClock.adjust("10 seconds")
      yield* store.save("c1", conversation, 0)
      const get = Effect.promise(() =>
        client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: "c1" } }, ConsistentRead: true }))
      )
      const item = (yield* get).Item!
      assert.deepStrictEqual(item.pk, { S: "c1" })
      assert.deepStrictEqual(item.version, { N: "1" })
      assert.deepStrictEqual(item.expiresAt, { N: String(10 + 3600) })
      assert.deepStrictEqual(item.updatedAt, { N: "10" })
      assert.deepStrictEqual(yield* Schema.decode(Message.MessagesFromJson)(item.messages!.S!), conversation)
      yield* TestClock.adjust("30 minutes")
      yield* store.save("c1", conversation.slice(0, 1), 1)
      assert.deepStrictEqual((yield* get).Item!.expiresAt, { N: String(10 + 1800 + 3600) })
    }))

  it.scoped("an expired item reads as an empty conversation that keeps its version", () =>
    Effect.gen(function*() {
      const endpoint = yield* dynaliteServer
      const client = yield* dynamoClient(endpoint)
      yield* DynamoDBMemoryStore.createTable({ tableName, client })
      const store = yield* DynamoDBMemoryStore.make({ tableName, client, ttl: "1 minute", ttlAttribute: "ttl" })
      yield* store.save("c1", conversation, 0)
      yield* store.save("c2", conversation, 0)
      yield* TestClock.adjust("61 seconds")
      yield* store.save("c2", conversation, 1)
      const expired = Option.getOrThrow(yield* store.load("c1"))
      assert.deepStrictEqual(expired, { messages: [], version: 1 })
      assert.deepStrictEqual(yield* store.list, ["c2"])
      assert.strictEqual(yield* store.save("c1", [Message.user("after expiry")], 1), 2)
      assert.deepStrictEqual(Option.getOrThrow(yield* store.load("c1")).messages, [Message.user("after expiry")])
    }))

  it.scoped("failures are typed and carry no credentials; corrupt items are reported", () =>
    Effect.gen(function*() {
      const endpoint = yield* dynaliteServer
      const secretAccessKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzSECRET"
      const store = yield* DynamoDBMemoryStore.make({
        tableName: "missing",
        clientConfig: {
          ...clientConfig(endpoint),
          credentials: { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey }
        }
      })
      const error = yield* Effect.flip(store.save("c1", conversation, 0))
      assert.strictEqual(error._tag, "MemoryStoreError")
      if (error._tag === "MemoryStoreError") {
        assert.strictEqual(error.reason, "ResourceNotFoundException")
        assert.strictEqual(error.operation, "save")
        assert.strictEqual(error.conversationId, "c1")
        assert.isFalse(error.retryable)
        assert.notInclude(JSON.stringify(error), secretAccessKey)
        assert.notInclude(JSON.stringify(error), "AKIAIOSFODNN7EXAMPLE")
      }
      const loadError = yield* Effect.flip(store.load("c1"))
      assert.strictEqual(loadError.reason, "ResourceNotFoundException")

      const client = yield* dynamoClient(endpoint)
      yield* DynamoDBMemoryStore.createTable({ tableName, client })
      yield* Effect.promise(() =>
        client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: { pk: { S: "bad" }, version: { N: "1" }, messages: { S: "[{\"role\":\"robot\"}]" } }
          })
        )
      )
      const good = yield* DynamoDBMemoryStore.make({ tableName, client })
      const corrupt = yield* Effect.flip(good.load("bad"))
      assert.strictEqual(corrupt.reason, "Corrupt")
      yield* Effect.promise(() =>
        client.send(new DeleteItemCommand({ TableName: tableName, Key: { pk: { S: "bad" } } }))
      )
      assert.isTrue(Option.isNone(yield* good.load("bad")))
    }))
})

describe("MemoryStore.make", () => {
  const calls: Array<string> = []
  const store = MemoryStore.make({
    load: (id) => Effect.sync(() => (calls.push(`load ${id}`), Option.none())),
    save: (id, _messages, expectedVersion) => Effect.sync(() => (calls.push(`save ${id}`), expectedVersion + 1)),
    delete: (id) => Effect.sync(() => void calls.push(`delete ${id}`)),
    list: Effect.succeed(["a"])
  })

  it.effect("checks ids and versions once, before the primitive runs", () =>
    Effect.gen(function*() {
      for (const operation of [store.load(""), store.delete(""), store.save("", [], 0)]) {
        const error = yield* Effect.flip(operation)
        assert.strictEqual(error._tag === "MemoryStoreError" && error.reason, "InvalidId")
      }
      for (const version of [-1, 1.5, Number.NaN]) {
        const error = yield* Effect.flip(store.save("a", [], version))
        assert.strictEqual(error._tag === "MemoryStoreError" && error.reason, "InvalidVersion")
      }
      assert.deepStrictEqual(calls, [])
      assert.strictEqual(yield* store.save("a", [], 2), 3)
      assert.deepStrictEqual(calls, ["save a"])
    }))

  it.effect("the in-memory store gets the same checks", () =>
    Effect.gen(function*() {
      const memory = yield* MemoryStore.makeMemory
      const error = yield* Effect.flip(memory.load(""))
      assert.strictEqual(error.reason, "InvalidId")
    }))
})
