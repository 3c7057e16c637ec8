/**
 * The Batch API's background finalizer (a batch ends without anyone looking at it, on the clock) and its file
 * listing and deletion, through the official `openai` client.
 */
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import OpenAI from "openai"
import { defaultFinalizeEvery } from "../../src/apis/batch/Batches.js"
import { localCredentials, type TestService } from "../support/service.js"
import { batchService, finishJobs, requestLine, resultLines, submit, upload } from "./support.js"

/** The batch as stored in the bucket, read straight from S3 (a retrieve would finalize it on the way). */
const storedStatus = (service: TestService, keyId: string, id: string) =>
  Effect.promise(async () => {
    const s3 = new S3Client({
      endpoint: service.emulator.batch!.s3Url,
      forcePathStyle: true,
      region: "us-east-1",
      credentials: localCredentials
    })
    const object = await s3.send(
      new GetObjectCommand({
        Bucket: "gateway-batch",
        Key: `bedrock-llm-batch/gateway/keys/${keyId}/batches/${id}.json`
      })
    )
    const batch = JSON.parse(await object.Body!.transformToString()) as { status: string; output_file_id: unknown }
    s3.destroy()
    return batch
  })

/** Waits (bounded) for the finalizer's pass, which runs on its own fiber once the clock has moved. */
const untilStored = (service: TestService, keyId: string, id: string, status: string) =>
  Effect.gen(function*() {
    for (let attempt = 0; attempt < 200; attempt++) {
      const stored = yield* storedStatus(service, keyId, id)
      if (stored.status === status) return stored
      yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
    }
    return yield* Effect.dieMessage(`batch ${id} never became ${status}`)
  })

describe("the Batch API's background finalizer", () => {
  it.scoped("ends a batch whose jobs have ended on its schedule, without a retrieve or a list", () =>
    Effect.gen(function*() {
      const { client, key, service } = yield* batchService
      const file = yield* Effect.promise(() => upload(client, [requestLine("a", "one"), requestLine("b", "two")]))
      const batch = yield* Effect.promise(() => submit(client, file.id))
      yield* finishJobs(service)
      // The jobs have ended, but no time has passed: nothing has looked at the batch yet.
      yield* TestClock.adjust("59 seconds")
      assert.strictEqual((yield* storedStatus(service, key.record.id, batch.id)).status, "in_progress")

      yield* TestClock.adjust(defaultFinalizeEvery)
      const stored = yield* untilStored(service, key.record.id, batch.id, "completed")
      assert.isString(stored.output_file_id)
      const done = yield* Effect.promise(() => client.batches.retrieve(batch.id))
      assert.deepStrictEqual(done.request_counts, { total: 2, completed: 2, failed: 0 })
      const lines = yield* resultLines(client, done.output_file_id!)
      assert.deepStrictEqual(lines.map((line) => line.custom_id).sort(), ["a", "b"])
    }))
})

describe("GET /v1/files and DELETE /v1/files/{id} through the openai client", () => {
  it.scoped("lists the key's files newest first, by purpose, and deletes them (not a running batch's input)", () =>
    Effect.gen(function*() {
      const { client, service } = yield* batchService
      const first = yield* Effect.promise(() => upload(client, [requestLine("a", "one")]))
      yield* TestClock.adjust("1 second") // file ids sort by their creation time
      const second = yield* Effect.promise(() => upload(client, [requestLine("b", "two")]))
      const other = yield* service.createKey()
      const otherClient = new OpenAI({ baseURL: `${service.url}/v1`, apiKey: other.secret, maxRetries: 0 })
      yield* Effect.promise(() => upload(otherClient, [requestLine("c", "three")]))

      const listed = yield* Effect.promise(() => client.files.list())
      assert.deepStrictEqual(listed.data.map((file) => file.id), [second.id, first.id])
      assert.strictEqual(listed.data[0]?.purpose, "batch")
      const ascending = yield* Effect.promise(() => client.files.list({ order: "asc", limit: 1 }))
      assert.deepStrictEqual(ascending.data.map((file) => file.id), [first.id])
      assert.isTrue(ascending.hasNextPage())
      const next = yield* Effect.promise(() => ascending.getNextPage())
      assert.deepStrictEqual(next.data.map((file) => file.id), [second.id])

      const batch = yield* Effect.promise(() => submit(client, first.id))
      const refused = yield* Effect.promise(() => client.files.delete(first.id).then(() => undefined, (e) => e))
      assert.instanceOf(refused, OpenAI.BadRequestError)
      assert.include((refused as Error).message, batch.id)

      yield* finishJobs(service)
      const done = yield* Effect.promise(() => client.batches.retrieve(batch.id))
      const outputs = yield* Effect.promise(() => client.files.list({ purpose: "batch_output" }))
      assert.deepStrictEqual(outputs.data.map((file) => file.id), [done.output_file_id])

      const deleted = yield* Effect.promise(() => client.files.delete(first.id))
      assert.deepStrictEqual(deleted, { id: first.id, object: "file", deleted: true })
      const gone = yield* Effect.promise(() => client.files.retrieve(first.id).then(() => undefined, (e) => e))
      assert.instanceOf(gone, OpenAI.NotFoundError)
      const again = yield* Effect.promise(() => client.files.delete(first.id).then(() => undefined, (e) => e))
      assert.instanceOf(again, OpenAI.NotFoundError)
      const left = yield* Effect.promise(() => client.files.list({ purpose: "batch" }))
      assert.deepStrictEqual(left.data.map((file) => file.id), [second.id])
    }))
})
