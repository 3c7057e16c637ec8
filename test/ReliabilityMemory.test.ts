import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import * as Agent from "../src/Agent.js"
import * as DynamoDBMemoryStore from "../src/DynamoDBMemoryStore.js"
import * as Tool from "../src/Tool.js"
import * as Toolkit from "../src/Toolkit.js"
import { dynamoStore, memoryOver, restartableDynalite, tableName, tempDirectory } from "./soak/memory.js"
import { clientConfig } from "./support/dynamo.js"
import { liveLayer } from "./support/live.js"

// Two writers appending to one conversation (DynamoDB on dynalite, and files) are covered by
// test/ConversationMemory.test.ts ("two concurrent writers lose nothing", 100 turns each); `npm run soak` runs 1,000.

const Weather = Tool.make("get_weather", {
  description: "Current weather for a city",
  parameters: { city: Schema.String },
  success: Schema.Struct({ city: Schema.String, celsius: Schema.Number })
})

describe("memory store failure mid-run", () => {
  it.scopedLive(
    "the store's server stops: the agent fails typed with its transcript, keeps its memory, resumes after restart",
    () =>
      Effect.gen(function*() {
        const directory = yield* tempDirectory("bedrock-llm-dynalite-")
        const dynamo = yield* restartableDynalite(directory)
        const endpoint = yield* dynamo.start
        yield* DynamoDBMemoryStore.createTable({ tableName, clientConfig: clientConfig(endpoint) })
        const memory = yield* memoryOver(yield* dynamoStore(endpoint))
        const chat = memory.conversation("chat-1")
        const toolkit = Toolkit.make(Weather)
        const agent = Agent.make({ toolkit, memory: chat })
        const handlers = toolkit.toLayer({ get_weather: ({ city }) => Effect.succeed({ city, celsius: 21 }) })
        const run = (prompt: string) => agent.run(prompt).pipe(Effect.provide(handlers))

        const first = yield* run("Use get_weather for Paris.")
        const afterFirst = yield* chat.messages
        assert.isAbove(afterFirst.length, 1)
        assert.include(first.text, "get_weather returned")

        yield* dynamo.stop
        const failed = yield* Effect.flip(run("Use get_weather for Oslo."))
        assert.strictEqual(failed._tag, "AgentMemoryError")
        if (failed._tag === "AgentMemoryError") {
          assert.strictEqual(failed.operation, "write")
          assert.strictEqual((failed.error as { readonly _tag: string })._tag, "MemoryStoreError")
          assert.isAtLeast(failed.transcript.length, 4, "the failed run's transcript is carried")
          assert.include(JSON.stringify(failed.transcript), "Oslo")
        }
        assert.deepStrictEqual(yield* chat.messages, afterFirst, "the in-memory conversation is intact")

        assert.strictEqual(yield* dynamo.start, endpoint)
        const resumed = yield* run("Use get_weather for Rome.")
        assert.include(resumed.text, "Rome")
        const afterResume = yield* chat.messages
        assert.deepStrictEqual(afterResume.slice(0, afterFirst.length), afterFirst)
        assert.include(JSON.stringify(afterResume), "Rome")
        const reader = yield* memoryOver(yield* dynamoStore(endpoint))
        assert.deepStrictEqual(yield* reader.messages("chat-1"), afterResume, "the store agrees after the restart")
      }).pipe(Effect.provide(liveLayer())),
    60_000
  )
})
