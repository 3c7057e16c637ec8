/**
 * Batch inference: 500 short reviews classified by one Bedrock batch job instead of 500 calls, at the batch price.
 *
 *   npx tsx examples/batch-inference.ts
 *
 * Offline it runs on the embedded emulator (batch jobs and an S3-compatible server on loopback). Against AWS, set
 * BATCH_BUCKET (an existing bucket), BATCH_ROLE_ARN (the service role Bedrock assumes to read and write it) and the
 * usual AWS_REGION and credentials; the example then submits the job and waits for it (batch jobs take minutes to
 * hours). Needs the optional peers @aws-sdk/client-bedrock and @aws-sdk/client-s3.
 */
import * as BatchInference from "bedrock-llm/BatchInference"
import * as Message from "bedrock-llm/Message"
import * as Response from "bedrock-llm/Response"
import { Effect, Either, Stream } from "effect"
import { plural } from "./plural.js"

const modelId = process.env["BEDROCK_MODEL_ID"] ?? "us.amazon.nova-micro-v1:0"
const bucket = process.env["BATCH_BUCKET"]
const roleArn = process.env["BATCH_ROLE_ARN"]

const moods = ["loved it", "it broke after a week", "does the job", "would not buy again", "a delight to use"]

// The records arrive as a stream: from a file, a database cursor or a queue; here, generated.
const reviews = Stream.range(1, 500).pipe(Stream.map((n): BatchInference.ConverseRecord => ({
  recordId: `review${n}`,
  system: [{ _tag: "Text", text: "Answer with one word: positive, negative or neutral." }],
  messages: [Message.user(`Review ${n}: ${moods[n % moods.length]}.`)],
  maxTokens: 5
})))

const program = Effect.gen(function*() {
  const batch = yield* BatchInference.BatchInference
  const submission = yield* batch.submit(reviews, { modelId, jobName: "reviews" })
  // A submission is plain data: store it, and `batch.attach(jobArns)` picks the jobs up after a restart.
  console.log(
    `submitted ${plural(submission.jobs.length, "job")}: ${submission.jobs.map((job) => job.jobArn).join(", ")}`
  )
  yield* batch.watch(submission).pipe(
    Stream.runForEach((progress) =>
      Effect.sync(() =>
        console.log(progress.jobs.map((job) => `${job.status} ${job.processedRecords ?? 0}`).join(" | "))
      )
    )
  )
  let answered = 0
  let failed = 0
  yield* batch.results(submission).pipe(Stream.runForEach(({ recordId, result }) =>
    Effect.sync(() => {
      if (Either.isRight(result)) {
        answered++
        if (answered <= 3) console.log(`${recordId}: ${Response.text(result.right)}`)
      } else {
        failed++
        console.log(`${recordId}: ${result.left._tag}: ${result.left.message}`)
      }
    })
  ))
  const cost = yield* batch.cost(submission)
  console.log(
    `${answered} answered, ${failed} without an answer; ${cost.inputTokens} input and ${cost.outputTokens} output tokens: $${
      cost.usd.toFixed(5)
    } at the batch price, $${cost.onDemandUsd.toFixed(5)} on demand`
  )
})

const layer = bucket !== undefined && bucket !== "" && roleArn !== undefined && roleArn !== ""
  ? BatchInference.layer({ bucket, roleArn, region: process.env["AWS_REGION"] })
  : BatchInference.layerLocal()

Effect.runPromise(Effect.provide(program, layer)).catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
