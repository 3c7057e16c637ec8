/**
 * Reads a finished job back from S3: every output line as `{ recordId, result }` (a `Response`, or the record's
 * error), then, when the job did not process every record, one `RecordNotProcessed` for each input record that has
 * no output line. Objects are read as streams of lines; the only state kept is the set of the job's record ids
 * seen, which the records-per-job quota bounds.
 */
import type { ConverseCommandOutput } from "@aws-sdk/client-bedrock-runtime"
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as NativeBodies from "../../NativeBodies.js"
import type * as Response from "../../Response.js"
import { responseFromSdk } from "../sdkShapes.js"
import {
  type BatchServiceError,
  MalformedRecordOutput,
  type RecordError,
  RecordFailed,
  RecordNotProcessed,
  serviceError
} from "./errors.js"
import type { InvocationType } from "./records.js"

export interface RecordResult {
  readonly recordId: string
  readonly jobArn: string
  readonly result: Either.Either<Response.Response, RecordError>
}

export interface FinishedJob {
  readonly jobArn: string
  readonly status: string
  readonly message: string | undefined
  readonly modelId: string
  readonly invocationType: InvocationType
  readonly bucket: string
  readonly inputPrefix: string
  /** Where Bedrock wrote this job's output: the output location plus the job id, ending in `/`. */
  readonly outputPrefix: string
  /** The job's record count, when Bedrock reported it. */
  readonly totalRecords: number | undefined
}

/** Keys under a prefix, page by page. */
export const listKeys = (
  client: S3Client,
  bucket: string,
  prefix: string
): Stream.Stream<string, BatchServiceError> =>
  Stream.paginateChunkEffect(undefined as string | undefined, (token) =>
    Effect.tryPromise({
      try: (signal) =>
        client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
          { abortSignal: signal }
        ),
      catch: serviceError("ListObjectsV2")
    }).pipe(Effect.map((page) => {
      const keys = Chunk.fromIterable((page.Contents ?? []).flatMap((object) => object.Key ?? []))
      const next = page.IsTruncated === true && page.NextContinuationToken !== undefined
        ? Option.some(page.NextContinuationToken)
        : Option.none()
      return [keys, next] as const
    })))

/** The lines of an object, streamed. */
export const objectLines = (client: S3Client, bucket: string, key: string): Stream.Stream<string, BatchServiceError> =>
  Stream.unwrapScoped(
    Effect.acquireRelease(
      Effect.tryPromise({
        try: (signal) => client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal }),
        catch: serviceError("GetObject")
      }),
      (object) => Effect.sync(() => (object.Body as { destroy?: () => void } | undefined)?.destroy?.())
    ).pipe(Effect.map((object) =>
      Stream.fromAsyncIterable(
        object.Body as AsyncIterable<Uint8Array>,
        serviceError("GetObject")
      ).pipe(Stream.decodeText(), Stream.splitLines, Stream.filter((line) => line.trim() !== ""))
    ))
  )

const parseLine = (line: string): Record<string, unknown> | undefined => {
  try {
    const value: unknown = JSON.parse(line)
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? value as Record<string, unknown>
      : undefined
  } catch {
    return undefined
  }
}

/** The result of one output line. */
const decodeOutput = (job: FinishedJob, line: string): Effect.Effect<RecordResult | undefined> => {
  const record = parseLine(line)
  const recordId = typeof record?.["recordId"] === "string" ? record["recordId"] : undefined
  if (record === undefined || recordId === undefined) return Effect.succeed(undefined)
  const done = (result: Either.Either<Response.Response, RecordError>): RecordResult => ({
    recordId,
    jobArn: job.jobArn,
    result
  })
  const error = record["error"] as { errorCode?: unknown; errorMessage?: unknown } | undefined
  if (error !== undefined) {
    return Effect.succeed(done(Either.left(
      new RecordFailed({
        recordId,
        errorCode: typeof error.errorCode === "number" ? error.errorCode : 0,
        message: typeof error.errorMessage === "string" ? error.errorMessage : "The record failed."
      })
    )))
  }
  const malformed = (message: string) => done(Either.left(new MalformedRecordOutput({ recordId, message })))
  const output = record["modelOutput"]
  if (job.invocationType === "Converse") {
    const decoded = responseFromSdk(output as ConverseCommandOutput)
    return Effect.succeed(
      Either.isRight(decoded) ? done(Either.right(decoded.right)) : malformed(decoded.left.message)
    )
  }
  return Option.match(NativeBodies.forModel(job.modelId), {
    onNone: () => Effect.succeed(malformed(`no native decoder for ${job.modelId}`)),
    onSome: (implementation) =>
      implementation.decodeResponse(output).pipe(
        Effect.match({
          onFailure: (failure) => malformed(failure.message),
          onSuccess: (response) => done(Either.right(response))
        })
      )
  })
}

/** Every result of a finished job: its output lines, then its unanswered records. */
export const jobResults = (client: S3Client, job: FinishedJob): Stream.Stream<RecordResult, BatchServiceError> =>
  Stream.suspend(() => {
    const seen = new Set<string>()
    const outputs = listKeys(client, job.bucket, job.outputPrefix).pipe(
      Stream.filter((key) => key.endsWith(".jsonl.out")),
      Stream.flatMap((key) => objectLines(client, job.bucket, key)),
      Stream.mapEffect((line) => decodeOutput(job, line)),
      Stream.filter((result): result is RecordResult => result !== undefined && !seen.has(result.recordId)),
      Stream.tap((result) => Effect.sync(() => seen.add(result.recordId)))
    )
    const unanswered = listKeys(client, job.bucket, job.inputPrefix).pipe(
      Stream.filter((key) => key.endsWith(".jsonl")),
      Stream.flatMap((key) => objectLines(client, job.bucket, key)),
      Stream.filterMap((line) => {
        const recordId = parseLine(line)?.["recordId"]
        return typeof recordId === "string" && !seen.has(recordId) ? Option.some(recordId) : Option.none()
      }),
      Stream.map((recordId): RecordResult => ({
        recordId,
        jobArn: job.jobArn,
        result: Either.left(
          new RecordNotProcessed({
            recordId,
            jobArn: job.jobArn,
            jobStatus: job.status,
            message: `record ${recordId} has no result: its job ended ${job.status}${
              job.message !== undefined ? ` (${job.message})` : ""
            }`
          })
        )
      }))
    )
    const answeredAll = () =>
      job.status === "Completed" && job.totalRecords !== undefined && seen.size >= job.totalRecords
    return Stream.concat(outputs, Stream.suspend(() => answeredAll() ? Stream.empty : unanswered))
  })
