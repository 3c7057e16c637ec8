/**
 * Memory under concurrency and store failure, shared by `test/ReliabilityMemory.test.ts` and `npm run soak`: two
 * writers appending turns to one conversation (DynamoDB on dynalite, or files), and a dynalite server that can be
 * stopped and restarted on the same port and data directory.
 */
import { NodeFileSystem, NodeKeyValueStore } from "@effect/platform-node"
import * as FileSystem from "@effect/platform/FileSystem"
import * as KeyValueStore from "@effect/platform/KeyValueStore"
import dynalite from "dynalite"
import { Context, Effect, Layer } from "effect"
import type { AddressInfo } from "node:net"
import * as Conversation from "../../src/Conversation.js"
import * as ConversationMemory from "../../src/ConversationMemory.js"
import * as DynamoDBMemoryStore from "../../src/DynamoDBMemoryStore.js"
import * as MemoryStore from "../../src/MemoryStore.js"
import * as Message from "../../src/Message.js"
import { clientConfig } from "../support/dynamo.js"

export const tableName = "conversations"

/** A dynalite server persisting to `path`, on `port` (0: any); `stop` closes it, `start` listens again. */
export const restartableDynalite = (path: string) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      let server: ReturnType<typeof dynalite> | undefined
      let port = 0
      const start = Effect.async<string, Error>((resume) => {
        const next = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
        next.once("error", (error) => resume(Effect.fail(error)))
        next.listen(port, "127.0.0.1", () => {
          server = next
          port = (next.address() as AddressInfo).port
          resume(Effect.succeed(`http://127.0.0.1:${port}`))
        })
      })
      const stop = Effect.async<void>((resume) => {
        const current = server
        server = undefined
        if (current === undefined) return resume(Effect.void)
        current.closeAllConnections?.()
        current.close(() => resume(Effect.void))
      })
      return { start, stop }
    }),
    ({ stop }) => stop
  )

export const tempDirectory = (prefix: string) =>
  Effect.flatMap(FileSystem.FileSystem, (fs) => fs.makeTempDirectoryScoped({ prefix })).pipe(
    Effect.provide(NodeFileSystem.layer)
  )

export const dynamoStore = (endpoint: string) =>
  DynamoDBMemoryStore.make({ tableName, clientConfig: clientConfig(endpoint) })

/**
 * Stores over one `KeyValueStore` of files in `directory`: version checks are atomic within one process and one
 * `KeyValueStore` (see `MemoryStore.makeKeyValueStore`), so writers in a process share it.
 */
export const sharedFileStores = (directory: string) =>
  Effect.map(
    Layer.build(NodeKeyValueStore.layerFileSystem(directory)),
    (context) =>
      MemoryStore.makeKeyValueStore().pipe(
        Effect.provideService(KeyValueStore.KeyValueStore, Context.get(context, KeyValueStore.KeyValueStore))
      )
  )

/** A store over its own `KeyValueStore` of files in `directory` (as another process would have). */
export const fileStore = (directory: string) =>
  Effect.map(
    Layer.build(MemoryStore.layerKeyValueStore().pipe(Layer.provide(NodeKeyValueStore.layerFileSystem(directory)))),
    (context) => Context.get(context, MemoryStore.MemoryStore)
  )

export const memoryOver = (
  store: MemoryStore.MemoryStore.Service,
  options?: ConversationMemory.ConversationMemory.Options
) => ConversationMemory.make(options).pipe(Effect.provideService(MemoryStore.MemoryStore, store))

export interface WritersReport {
  readonly store: string
  readonly turnsPerWriter: number
  readonly messages: number
  readonly missing: number
  readonly outOfOrder: number
  readonly valid: boolean
  readonly conflicts: number
  readonly elapsedMs: number
}

/**
 * Two writers, each with its own memory over its own store client, append `turns` question/answer turns to one
 * conversation at once; a fresh reader then checks that every turn is there, once, in each writer's order.
 */
export const twoWriters = <E, R>(
  name: string,
  storeFor: Effect.Effect<MemoryStore.MemoryStore.Service, E, R>,
  turns: number
) =>
  Effect.gen(function*() {
    const started = Date.now()
    let conflicts = 0
    const counted = Effect.map(storeFor, (store): MemoryStore.MemoryStore.Service => ({
      ...store,
      save: (id, messages, expected) =>
        store.save(id, messages, expected).pipe(Effect.tapErrorTag("VersionConflict", () =>
          Effect.sync(() => {
            conflicts++
          })))
    }))
    const patient = { maxAttempts: 200 }
    const a = yield* memoryOver(yield* counted, patient)
    const b = yield* memoryOver(yield* counted, patient)
    const write = (memory: ConversationMemory.ConversationMemory.Service, writer: string) =>
      Effect.forEach(
        Array.from({ length: turns }, (_, i) => i),
        (i) =>
          Effect.zipLeft(
            memory.append("shared", [Message.user(`${writer}${i}?`), Message.assistant(`${writer}${i}!`)]),
            Effect.yieldNow()
          ),
        { discard: true }
      )
    yield* Effect.all([write(a, "A"), write(b, "B")], { concurrency: 2, discard: true })
    const reader = yield* memoryOver(yield* storeFor)
    const messages = yield* reader.messages("shared")
    const texts = messages.map(Message.textOf)
    let missing = 0
    let outOfOrder = 0
    for (const writer of ["A", "B"]) {
      const mine = texts.filter((text) => text.startsWith(writer))
      const expected = Array.from({ length: turns }, (_, i) => [`${writer}${i}?`, `${writer}${i}!`]).flat()
      missing += expected.filter((text) => !mine.includes(text)).length
      outOfOrder += mine.filter((text, i) => text !== expected[i]).length
    }
    messages.forEach((message, index) => {
      if (
        message.role === "user" && Message.textOf(messages[index + 1]!) !== Message.textOf(message).replace("?", "!")
      ) {
        outOfOrder++
      }
    })
    return {
      store: name,
      turnsPerWriter: turns,
      messages: messages.length,
      missing,
      outOfOrder,
      valid: Conversation.check(messages)._tag === "None",
      conflicts,
      elapsedMs: Date.now() - started
    } satisfies WritersReport
  })
