/**
 * The errors of batch inference (re-exported by `BatchInference`): failures of a submission as a whole, and the
 * per-record errors that stand in a result's place.
 */
import * as Schema from "effect/Schema"
import { redact } from "../redact.js"

/**
 * A record is invalid; nothing was submitted. Names the record by id and by position in the stream.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidRecord extends Schema.TaggedError<InvalidRecord>()("InvalidRecord", {
  recordId: Schema.String,
  index: Schema.NonNegativeInt,
  message: Schema.String
}) {}

/**
 * The submission has fewer records than Bedrock's minimum per job; nothing was uploaded.
 *
 * @since 0.1.0
 * @category errors
 */
export class TooFewRecords extends Schema.TaggedError<TooFewRecords>()("TooFewRecords", {
  count: Schema.NonNegativeInt,
  minimum: Schema.NonNegativeInt,
  message: Schema.String
}) {}

/**
 * The model has no batch inference (by the catalog), or the records cannot be split within the quotas.
 *
 * @since 0.1.0
 * @category errors
 */
export class BatchNotPossible extends Schema.TaggedError<BatchNotPossible>()("BatchNotPossible", {
  modelId: Schema.String,
  message: Schema.String
}) {}

/**
 * A call to Bedrock's control plane or to S3 failed (the AWS error's name, status and redacted message).
 *
 * @since 0.1.0
 * @category errors
 */
export class BatchServiceError extends Schema.TaggedError<BatchServiceError>()("BatchServiceError", {
  operation: Schema.String,
  name: Schema.String,
  status: Schema.optional(Schema.Number),
  message: Schema.String
}) {
  /** Throttling and 5xx answers; the rest would fail again. */
  get retryable(): boolean {
    return this.name === "ThrottlingException" || this.name === "SlowDown" ||
      (this.status !== undefined && this.status >= 500)
  }
}

/**
 * Results were asked of a job that has not finished.
 *
 * @since 0.1.0
 * @category errors
 */
export class JobNotFinished extends Schema.TaggedError<JobNotFinished>()("JobNotFinished", {
  jobArn: Schema.String,
  status: Schema.String,
  message: Schema.String
}) {}

/**
 * Bedrock answered the record with an error (the output line's `error`: `errorCode` and `errorMessage`).
 *
 * @since 0.1.0
 * @category errors
 */
export class RecordFailed extends Schema.TaggedError<RecordFailed>()("RecordFailed", {
  recordId: Schema.String,
  errorCode: Schema.Number,
  message: Schema.String
}) {}

/**
 * The record has no result: its job was stopped, expired, failed or completed only partially.
 *
 * @since 0.1.0
 * @category errors
 */
export class RecordNotProcessed extends Schema.TaggedError<RecordNotProcessed>()("RecordNotProcessed", {
  recordId: Schema.String,
  jobArn: Schema.String,
  jobStatus: Schema.String,
  message: Schema.String
}) {}

/**
 * The record's output could not be read as a response.
 *
 * @since 0.1.0
 * @category errors
 */
export class MalformedRecordOutput extends Schema.TaggedError<MalformedRecordOutput>()("MalformedRecordOutput", {
  recordId: Schema.String,
  message: Schema.String
}) {}

/**
 * What can stand in a record's result.
 *
 * @since 0.1.0
 * @category errors
 */
export type RecordError = RecordFailed | RecordNotProcessed | MalformedRecordOutput

/** A `BatchServiceError` from whatever an AWS SDK call threw. */
export const serviceError = (operation: string) => (cause: unknown): BatchServiceError => {
  const error = cause as { name?: unknown; message?: unknown; $metadata?: { httpStatusCode?: unknown } } | undefined
  const status = error?.$metadata?.httpStatusCode
  return new BatchServiceError({
    operation,
    name: typeof error?.name === "string" ? error.name : "Error",
    message: redact(typeof error?.message === "string" ? error.message : String(cause)),
    ...(typeof status === "number" ? { status } : {})
  })
}
