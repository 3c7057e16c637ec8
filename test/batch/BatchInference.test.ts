import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Either, Fiber, Queue, Stream, TestClock } from "effect"
import * as BatchInference from "../../src/BatchInference.js"
import * as Emulator from "../../src/emulator/Emulator.js"
import * as Response from "../../src/Response.js"
import { batchEmulator, claudeHaiku, converseRecord, credentials, novaMicro, serviceOn } from "./helpers.js"

const records = (count: number) => Stream.range(0, count - 1).pipe(Stream.map(converseRecord))

/** Every object in the test bucket of an emulator's S3 server. */
const objectKeys = (emulator: Emulator.RunningEmulator) =>
  Effect.promise(async () => {
    const { ListObjectsV2Command, S3Client } = await import("@aws-sdk/client-s3")
    const s3 = new S3Client({ endpoint: emulator.batch!.s3Url, forcePathStyle: true, region: "us-east-1", credentials })
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: "batch-test" }))
    s3.destroy()
    return (listed.Contents ?? []).map((object) => object.Key)
  })

const failedIds = (results: ReadonlyArray<BatchInference.RecordResult>, tag: string) =>
  results.filter((entry) => Either.isLeft(entry.result) && entry.result.left._tag === tag).map((entry) =>
    entry.recordId
  ).sort()

describe("BatchInference", () => {
  it.scopedLive(
    "10,000 streamed records are split into jobs by the quotas and each is answered once, by its id",
    () =>
      Effect.gen(function*() {
        const quotas = { maxRecordsPerJob: 3_000, maxRecordsPerFile: 1_000 }
        const emulator = yield* batchEmulator({ quotas })
        const batch = yield* Effect.provide(BatchInference.BatchInference, serviceOn(emulator, { quotas }))
        const submission = yield* batch.submit(records(10_000), { modelId: novaMicro })
        assert.deepStrictEqual(submission.jobs.map((job) => job.records), [3_000, 3_000, 3_000, 1_000])
        assert.strictEqual(submission.invocationType, "Converse")
        const last = yield* batch.watch(submission).pipe(Stream.runLast)
        assert.isTrue(last._tag === "Some" && last.value.finished)
        assert.deepStrictEqual(
          last._tag === "Some" ? last.value.jobs.map((job) => job.status) : [],
          ["Completed", "Completed", "Completed", "Completed"]
        )
        const results = Chunk.toReadonlyArray(yield* Stream.runCollect(batch.results(submission)))
        assert.strictEqual(results.length, 10_000)
        const ids = new Set(results.map((entry) => entry.recordId))
        assert.strictEqual(ids.size, 10_000)
        let outOfOrder = 0
        for (const [position, entry] of results.entries()) {
          assert.isTrue(Either.isRight(entry.result), entry.recordId)
          const index = Number(entry.recordId.slice(3))
          if (index !== position) outOfOrder++
          if (Either.isRight(entry.result)) {
            assert.include(Response.text(entry.result.right), `document ${index}`)
          }
        }
        assert.isAbove(outOfOrder, 0, "Bedrock's output is not in input order; matching must go by record id")
        const cost = yield* batch.cost(submission)
        assert.strictEqual(cost.manifests.reduce((sum, manifest) => sum + manifest.successRecordCount, 0), 10_000)
        assert.isAbove(cost.inputTokens, 0)
        assert.closeTo(cost.usd, cost.onDemandUsd / 2, 1e-12)
      }),
    { timeout: 120_000 }
  )

  it.scopedLive("a record the model rejects and a job that completes partially report exactly the records concerned", () =>
    Effect.gen(function*() {
      const emulator = yield* batchEmulator({})
      const batch = yield* Effect.provide(BatchInference.BatchInference, serviceOn(emulator))
      emulator.batch!.injectFault({ _tag: "PartiallyComplete", afterRecords: 150 })
      const invalid = new Set([3, 77, 120])
      const native = Stream.range(0, 199).pipe(Stream.map((index): BatchInference.NativeRecord => ({
        recordId: `n${index}`,
        body: invalid.has(index)
          ? { anthropic_version: "bedrock-2023-05-31", messages: [{ role: "user", content: `item ${index}` }] }
          : {
            anthropic_version: "bedrock-2023-05-31",
            max_tokens: 16,
            messages: [{ role: "user", content: `item ${index}` }]
          }
      })))
      const submission = yield* batch.submit(native, { modelId: claudeHaiku })
      assert.strictEqual(submission.invocationType, "InvokeModel")
      const final = yield* Stream.runLast(batch.watch(submission))
      assert.strictEqual(final._tag === "Some" ? final.value.jobs[0]?.status : undefined, "PartiallyCompleted")
      const results = Chunk.toReadonlyArray(yield* Stream.runCollect(batch.results(submission)))
      assert.strictEqual(results.length, 200)
      assert.strictEqual(new Set(results.map((entry) => entry.recordId)).size, 200)
      assert.deepStrictEqual(failedIds(results, "RecordFailed"), ["n120", "n3", "n77"])
      const missing = failedIds(results, "RecordNotProcessed")
      assert.deepStrictEqual(missing, Array.from({ length: 50 }, (_, i) => `n${150 + i}`).sort())
      const answered = results.filter((entry) => Either.isRight(entry.result))
      assert.strictEqual(answered.length, 147)
      for (const entry of answered) {
        if (Either.isRight(entry.result)) {
          assert.include(Response.text(entry.result.right), `item ${entry.recordId.slice(1)}`)
        }
      }
    }))

  it.scopedLive("a job that fails or expires leaves every record it did not answer named", () =>
    Effect.gen(function*() {
      const emulator = yield* batchEmulator({})
      const batch = yield* Effect.provide(BatchInference.BatchInference, serviceOn(emulator))
      emulator.batch!.injectFault({ _tag: "Expire", afterRecords: 40 })
      const expired = yield* batch.submit(records(120), { modelId: novaMicro })
      yield* Stream.runDrain(batch.watch(expired))
      const afterExpiry = Chunk.toReadonlyArray(yield* Stream.runCollect(batch.results(expired)))
      assert.strictEqual(afterExpiry.filter((entry) => Either.isRight(entry.result)).length, 40)
      const notProcessed = afterExpiry.flatMap((entry) =>
        Either.isLeft(entry.result) && entry.result.left._tag === "RecordNotProcessed" ? [entry.result.left] : []
      )
      assert.strictEqual(notProcessed.length, 80)
      assert.strictEqual(notProcessed[0]?.jobStatus, "Expired")

      emulator.batch!.injectFault({ _tag: "Fail", message: "The service role cannot read the input." })
      const failed = yield* batch.submit(records(100), { modelId: novaMicro })
      const final = yield* Stream.runLast(batch.watch(failed))
      assert.strictEqual(
        final._tag === "Some" ? final.value.jobs[0]?.message : "",
        "The service role cannot read the input."
      )
      const all = Chunk.toReadonlyArray(yield* Stream.runCollect(batch.results(failed)))
      assert.strictEqual(all.length, 100)
      assert.isTrue(
        all.every((entry) => Either.isLeft(entry.result) && entry.result.left._tag === "RecordNotProcessed")
      )
    }))

  it.scoped("a restart re-attaches a running job by its ARN and reads its results", () =>
    Effect.gen(function*() {
      const emulator = yield* batchEmulator({ timeline: "manual" })
      const first = yield* Effect.scoped(
        Effect.flatMap(
          Effect.provide(BatchInference.BatchInference, serviceOn(emulator)),
          (batch) => batch.submit(records(150), { modelId: novaMicro })
        )
      )
      yield* Effect.promise(() => emulator.batch!.advance())
      yield* Effect.promise(() => emulator.batch!.advance())
      yield* Effect.promise(() => emulator.batch!.advance())
      const stored = JSON.parse(JSON.stringify(first.jobs.map((job) => job.jobArn))) as Array<string>
      const batch = yield* Effect.provide(BatchInference.BatchInference, serviceOn(emulator))
      const attached = yield* batch.attach(stored)
      assert.deepStrictEqual(attached.jobs.map((job) => job.jobArn), stored)
      assert.strictEqual(attached.modelId, novaMicro)
      assert.strictEqual(attached.invocationType, "Converse")
      assert.strictEqual((yield* batch.status(attached)).jobs[0]?.status, "InProgress")
      const early = yield* Effect.either(Stream.runDrain(batch.results(attached)))
      assert.isTrue(Either.isLeft(early) && early.left._tag === "JobNotFinished")
      yield* Effect.promise(() => emulator.batch!.advance())
      const results = Chunk.toReadonlyArray(yield* Stream.runCollect(batch.results(attached)))
      assert.strictEqual(results.length, 150)
      assert.isTrue(results.every((entry) => Either.isRight(entry.result)))
    }))

  it.scoped("watch polls on its Schedule: each poll waits for the clock and sees each state", () =>
    Effect.gen(function*() {
      const emulator = yield* batchEmulator({ timeline: "manual" })
      const batch = yield* Effect.provide(
        BatchInference.BatchInference,
        serviceOn(emulator, { pollInterval: "30 seconds" })
      )
      const submission = yield* batch.submit(records(100), { modelId: novaMicro })
      const seen = yield* Queue.unbounded<string>()
      const watching = yield* batch.watch(submission).pipe(
        Stream.runForEach((progress) => Queue.offer(seen, progress.jobs[0]?.status ?? "")),
        Effect.fork
      )
      const states = [yield* Queue.take(seen)]
      for (let step = 0; step < 4; step++) {
        yield* Effect.promise(() => emulator.batch!.advance())
        yield* TestClock.adjust("29 seconds")
        assert.strictEqual(yield* Queue.size(seen), 0, "no poll before the interval")
        yield* TestClock.adjust("1 second")
        states.push(yield* Queue.take(seen))
      }
      yield* Fiber.join(watching)
      assert.deepStrictEqual(states, ["Submitted", "Validating", "Scheduled", "InProgress", "Completed"])
    }))

  it.scoped("validation runs before anything is uploaded, and names the record", () =>
    Effect.gen(function*() {
      const emulator = yield* batchEmulator({})
      const batch = yield* Effect.provide(BatchInference.BatchInference, serviceOn(emulator))
      const withBadRecord = Stream.concat(
        records(500),
        Stream.make<Array<BatchInference.BatchRecord>>({ recordId: "broken", messages: [], maxTokens: 10 })
      )
      const invalid = yield* Effect.flip(batch.submit(withBadRecord, { modelId: novaMicro }))
      assert.strictEqual(invalid._tag, "InvalidRecord")
      if (invalid._tag === "InvalidRecord") {
        assert.strictEqual(invalid.recordId, "broken")
        assert.strictEqual(invalid.index, 500)
        assert.include(invalid.message, "record broken (#500)")
      }
      const tooMany = yield* Effect.flip(
        batch.submit(Stream.make({ ...converseRecord(1), maxTokens: 10_000_000 }), { modelId: novaMicro })
      )
      assert.strictEqual(tooMany._tag, "InvalidRecord")
      const few = yield* Effect.flip(batch.submit(records(99), { modelId: novaMicro }))
      assert.strictEqual(few._tag, "TooFewRecords")
      const mixed = yield* Effect.flip(
        batch.submit(Stream.concat(records(1), Stream.make({ recordId: "raw", body: {} })), { modelId: novaMicro })
      )
      assert.include(mixed.message, "one submission, one shape")
      const unsupported = yield* Effect.flip(batch.submit(records(200), { modelId: "cohere.command-r-v1:0" }))
      assert.strictEqual(unsupported._tag, "BatchNotPossible")
      const s3 = new (yield* Effect.promise(() => import("@aws-sdk/client-s3"))).S3Client({
        endpoint: emulator.batch!.s3Url,
        forcePathStyle: true,
        region: "us-east-1",
        credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" }
      })
      const { ListObjectsV2Command } = yield* Effect.promise(() => import("@aws-sdk/client-s3"))
      const listed = yield* Effect.promise(() => s3.send(new ListObjectsV2Command({ Bucket: "batch-test" })))
      s3.destroy()
      assert.strictEqual(listed.KeyCount, 0, "a failed submission leaves no object behind")
    }))

  it.scoped("a record id given twice is refused with both positions, and nothing stays in the bucket", () =>
    Effect.gen(function*() {
      const emulator = yield* batchEmulator({})
      const batch = yield* Effect.provide(BatchInference.BatchInference, serviceOn(emulator))
      const twice = Stream.concat(records(300), Stream.make(converseRecord(42)))
      const duplicate = yield* Effect.flip(batch.submit(twice, { modelId: novaMicro }))
      assert.strictEqual(duplicate._tag, "InvalidRecord")
      if (duplicate._tag === "InvalidRecord") {
        assert.deepStrictEqual([duplicate.recordId, duplicate.index], ["rec42", 300])
        assert.include(duplicate.message, "record rec42 (#300): the record id of record #42 too")
      }
      assert.deepStrictEqual(yield* objectKeys(emulator), [], "the records written before it are deleted")
    }))

  it.scoped("a job Bedrock refuses to create stops the jobs created before it and deletes the uploaded input", () =>
    Effect.gen(function*() {
      const quotas = { maxRecordsPerJob: 150 }
      const emulator = yield* batchEmulator({ quotas, timeline: "manual" })
      const batch = yield* Effect.provide(BatchInference.BatchInference, serviceOn(emulator, { quotas }))
      emulator.batch!.injectFault({
        _tag: "RejectCreate",
        afterCreates: 1,
        message: "The provided role cannot be assumed."
      })
      const refused = yield* Effect.flip(batch.submit(records(250), { modelId: novaMicro }))
      assert.strictEqual(refused._tag, "BatchServiceError")
      if (refused._tag === "BatchServiceError") {
        assert.deepStrictEqual([refused.operation, refused.name], ["CreateModelInvocationJob", "ValidationException"])
      }
      assert.deepStrictEqual(yield* objectKeys(emulator), [], "the uploaded input is deleted")
      const jobs = yield* Effect.promise(async () => {
        const { BedrockClient, ListModelInvocationJobsCommand } = await import("@aws-sdk/client-bedrock")
        const client = new BedrockClient({ endpoint: emulator.url, region: "us-east-1", credentials })
        const listed = await client.send(new ListModelInvocationJobsCommand({}))
        client.destroy()
        return listed.invocationJobSummaries ?? []
      })
      assert.deepStrictEqual(jobs.map((job) => job.status), ["Stopping"], "the job created first is stopped")
    }))

  it.scopedLive("records larger than a part are uploaded in several multipart parts and read back whole", () =>
    Effect.gen(function*() {
      const emulator = yield* batchEmulator({})
      const batch = yield* Effect.provide(BatchInference.BatchInference, serviceOn(emulator))
      const padding = "x".repeat(100_000)
      const big = Stream.range(0, 119).pipe(Stream.map((index): BatchInference.ConverseRecord => ({
        ...converseRecord(index),
        system: [{ _tag: "Text", text: padding }]
      })))
      const submission = yield* batch.submit(big, { modelId: novaMicro })
      yield* Stream.runDrain(batch.watch(submission))
      const results = Chunk.toReadonlyArray(yield* Stream.runCollect(batch.results(submission)))
      assert.strictEqual(results.length, 120)
      assert.isTrue(results.every((entry) => Either.isRight(entry.result)))
    }))
})
