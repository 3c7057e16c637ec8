import {
  BedrockClient,
  CreateModelInvocationJobCommand,
  GetModelInvocationJobCommand,
  ListModelInvocationJobsCommand,
  ResourceNotFoundException,
  StopModelInvocationJobCommand,
  ValidationException
} from "@aws-sdk/client-bedrock"
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { batchEmulator, credentials, novaMicro, roleArn } from "./helpers.js"

const clients = (url: string, s3Url: string) =>
  Effect.acquireRelease(
    Effect.sync(() => ({
      bedrock: new BedrockClient({ endpoint: url, region: "us-east-1", credentials, maxAttempts: 1 }),
      s3: new S3Client({ endpoint: s3Url, region: "us-east-1", credentials, forcePathStyle: true })
    })),
    ({ bedrock, s3 }) =>
      Effect.sync(() => {
        bedrock.destroy()
        s3.destroy()
      })
  )

const input = (count: number, bad: ReadonlySet<number> = new Set()) =>
  Array.from({ length: count }, (_, index) =>
    JSON.stringify({
      recordId: `r${index}`,
      modelInput: bad.has(index)
        ? { messages: [{ role: "assistant", content: [{ text: "no user turn" }] }] }
        : { messages: [{ role: "user", content: [{ text: `question ${index}` }] }] }
    })).join("\n")

/** Creates the bucket `jobs` and writes `in/input.jsonl`. */
const putInput = (s3: S3Client, body: string) =>
  Effect.promise(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "jobs" }))
    await s3.send(new PutObjectCommand({ Bucket: "jobs", Key: "in/input.jsonl", Body: body }))
  })

const jobRequest = (jobName: string, inputKey = "in/input.jsonl") => ({
  jobName,
  roleArn,
  modelId: novaMicro,
  modelInvocationType: "Converse" as const,
  inputDataConfig: { s3InputDataConfig: { s3Uri: `s3://jobs/${inputKey}` } },
  outputDataConfig: { s3OutputDataConfig: { s3Uri: "s3://jobs/out/" } }
})

describe("the emulator's batch inference jobs, through @aws-sdk/client-bedrock", () => {
  it.scoped("a job moves through its states on the manual timeline and reports its counts", () =>
    Effect.gen(function*() {
      const emulator = yield* batchEmulator({ timeline: "manual" })
      const { bedrock, s3 } = yield* clients(emulator.url, emulator.batch!.s3Url)
      yield* putInput(s3, input(120, new Set([5, 6])))
      const created = yield* Effect.promise(() =>
        bedrock.send(new CreateModelInvocationJobCommand(jobRequest("first-job")))
      )
      assert.match(created.jobArn ?? "", /^arn:aws:bedrock:us-east-1:\d{12}:model-invocation-job\/[a-z0-9]{12}$/)
      const states: Array<string | undefined> = []
      for (let step = 0; step < 5; step++) {
        const job = yield* Effect.promise(() =>
          bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: created.jobArn }))
        )
        states.push(job.status)
        yield* Effect.promise(() => emulator.batch!.advance())
      }
      assert.deepStrictEqual(states, ["Submitted", "Validating", "Scheduled", "InProgress", "Completed"])
      const done = yield* Effect.promise(() =>
        bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: created.jobArn }))
      )
      assert.strictEqual(done.totalRecordCount, 120)
      assert.strictEqual(done.successRecordCount, 118)
      assert.strictEqual(done.errorRecordCount, 2)
      assert.instanceOf(done.submitTime, Date)
      assert.instanceOf(done.endTime, Date)
      assert.strictEqual(done.modelInvocationType, "Converse")
    }))

  it.scoped("create answers real validation errors; get and stop answer ResourceNotFound for unknown jobs", () =>
    Effect.gen(function*() {
      const emulator = yield* batchEmulator({ timeline: "manual" })
      const { bedrock } = yield* clients(emulator.url, emulator.batch!.s3Url)
      const badRole = yield* Effect.flip(
        Effect.tryPromise(() =>
          bedrock.send(new CreateModelInvocationJobCommand({ ...jobRequest("j"), roleArn: "not-a-role" }))
        )
      )
      assert.instanceOf(badRole.error, ValidationException)
      assert.include((badRole.error as Error).message, "roleArn")
      const badModel = yield* Effect.flip(
        Effect.tryPromise(() =>
          bedrock.send(new CreateModelInvocationJobCommand({ ...jobRequest("j"), modelId: "nope" }))
        )
      )
      assert.instanceOf(badModel.error, ValidationException)
      const badTimeout = yield* Effect.flip(
        Effect.tryPromise(() =>
          bedrock.send(new CreateModelInvocationJobCommand({ ...jobRequest("j"), timeoutDurationInHours: 2 }))
        )
      )
      assert.include((badTimeout.error as Error).message, "timeoutDurationInHours")
      const missing = yield* Effect.flip(
        Effect.tryPromise(() => bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: "abcdefghijkl" })))
      )
      assert.instanceOf(missing.error, ResourceNotFoundException)
      const stopMissing = yield* Effect.flip(
        Effect.tryPromise(() => bedrock.send(new StopModelInvocationJobCommand({ jobIdentifier: "abcdefghijkl" })))
      )
      assert.instanceOf(stopMissing.error, ResourceNotFoundException)
    }))

  it.scoped("list filters by status and name, pages, and stop ends a job Stopped", () =>
    Effect.gen(function*() {
      const emulator = yield* batchEmulator({ timeline: "manual" })
      const { bedrock } = yield* clients(emulator.url, emulator.batch!.s3Url)
      const arns: Array<string> = []
      for (const name of ["alpha-1", "alpha-2", "beta-1"]) {
        const created = yield* Effect.promise(() => bedrock.send(new CreateModelInvocationJobCommand(jobRequest(name))))
        arns.push(created.jobArn!)
      }
      const again = yield* Effect.promise(() =>
        bedrock.send(new CreateModelInvocationJobCommand({ ...jobRequest("alpha-1"), clientRequestToken: "t-1" }))
      )
      const same = yield* Effect.promise(() =>
        bedrock.send(new CreateModelInvocationJobCommand({ ...jobRequest("alpha-1"), clientRequestToken: "t-1" }))
      )
      assert.strictEqual(same.jobArn, again.jobArn, "a repeated clientRequestToken creates no second job")
      yield* Effect.promise(() => bedrock.send(new StopModelInvocationJobCommand({ jobIdentifier: arns[2] })))
      const stopping = yield* Effect.promise(() =>
        bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: arns[2] }))
      )
      assert.strictEqual(stopping.status, "Stopping")
      yield* Effect.promise(() => emulator.batch!.advance())
      const stopped = yield* Effect.promise(() =>
        bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: arns[2] }))
      )
      assert.strictEqual(stopped.status, "Stopped")
      const alphas = yield* Effect.promise(() =>
        bedrock.send(new ListModelInvocationJobsCommand({ nameContains: "alpha" }))
      )
      assert.strictEqual(alphas.invocationJobSummaries?.length, 3)
      const byStatus = yield* Effect.promise(() =>
        bedrock.send(new ListModelInvocationJobsCommand({ statusEquals: "Stopped" }))
      )
      assert.deepStrictEqual(byStatus.invocationJobSummaries?.map((job) => job.jobName), ["beta-1"])
      const page = yield* Effect.promise(() => bedrock.send(new ListModelInvocationJobsCommand({ maxResults: 2 })))
      assert.strictEqual(page.invocationJobSummaries?.length, 2)
      const rest = yield* Effect.promise(() =>
        bedrock.send(new ListModelInvocationJobsCommand({ maxResults: 2, nextToken: page.nextToken }))
      )
      assert.strictEqual(rest.invocationJobSummaries?.length, 2)
      assert.isUndefined(rest.nextToken)
    }))

  it.scoped("a job below the minimum record count fails at validation with the quota in its message", () =>
    Effect.gen(function*() {
      const emulator = yield* batchEmulator({ timeline: "manual" })
      const { bedrock, s3 } = yield* clients(emulator.url, emulator.batch!.s3Url)
      yield* putInput(s3, input(10))
      const created = yield* Effect.promise(() =>
        bedrock.send(new CreateModelInvocationJobCommand(jobRequest("small")))
      )
      yield* Effect.promise(() => emulator.batch!.advance())
      yield* Effect.promise(() => emulator.batch!.advance())
      const job = yield* Effect.promise(() =>
        bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: created.jobArn }))
      )
      assert.strictEqual(job.status, "Failed")
      assert.include(job.message ?? "", "minimum of 100")
    }))
})
