/**
 * The Batch API's shapes: OpenAI's file and batch objects and the create-batch body as they go over the wire, and the
 * records the gateway stores for them (the wire fields plus the owning key, the Bedrock jobs and the budget
 * reservation).
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

const Timestamp = Schema.NullOr(Schema.Int)

/**
 * A file's purpose: `batch` for input files, `batch_output` for the output and error files of a batch.
 *
 * @since 0.1.0
 * @category models
 */
export const FilePurpose = Schema.Literal("batch", "batch_output")

/**
 * OpenAI's file object.
 *
 * @since 0.1.0
 * @category models
 */
export const FileObject = Schema.Struct({
  id: Schema.String,
  object: Schema.Literal("file"),
  bytes: Schema.Int,
  created_at: Schema.Int,
  filename: Schema.String,
  purpose: FilePurpose,
  status: Schema.Literal("processed"),
  status_details: Schema.Null,
  expires_at: Timestamp
})

/**
 * @since 0.1.0
 * @category models
 */
export type FileObject = typeof FileObject.Type

/**
 * A stored file: its object, its key and, for input files, what its lines hold.
 *
 * @since 0.1.0
 * @category models
 */
export const StoredFile = Schema.Struct({
  ...FileObject.fields,
  keyId: Schema.String,
  input: Schema.optional(Schema.Struct({
    model: Schema.String,
    records: Schema.Int,
    /** The worst-case cost of every line at the batch price, in micro-USD. */
    worstCaseMicroUsd: Schema.Int
  }))
})

/**
 * @since 0.1.0
 * @category models
 */
export type StoredFile = typeof StoredFile.Type

/**
 * A batch's states, as OpenAI names them.
 *
 * @since 0.1.0
 * @category models
 */
export const BatchStatus = Schema.Literal(
  "validating",
  "failed",
  "in_progress",
  "finalizing",
  "completed",
  "expired",
  "cancelling",
  "cancelled"
)

/**
 * @since 0.1.0
 * @category models
 */
export type BatchStatus = typeof BatchStatus.Type

/**
 * One error of a batch that failed as a whole.
 *
 * @since 0.1.0
 * @category models
 */
export const BatchError = Schema.Struct({
  code: Schema.String,
  message: Schema.String,
  param: Schema.NullOr(Schema.String),
  line: Schema.NullOr(Schema.Int)
})

/**
 * OpenAI's batch object.
 *
 * @since 0.1.0
 * @category models
 */
export const BatchObject = Schema.Struct({
  id: Schema.String,
  object: Schema.Literal("batch"),
  endpoint: Schema.String,
  errors: Schema.NullOr(Schema.Struct({ object: Schema.Literal("list"), data: Schema.Array(BatchError) })),
  input_file_id: Schema.String,
  completion_window: Schema.String,
  status: BatchStatus,
  output_file_id: Schema.NullOr(Schema.String),
  error_file_id: Schema.NullOr(Schema.String),
  created_at: Schema.Int,
  in_progress_at: Timestamp,
  expires_at: Timestamp,
  finalizing_at: Timestamp,
  completed_at: Timestamp,
  failed_at: Timestamp,
  expired_at: Timestamp,
  cancelling_at: Timestamp,
  cancelled_at: Timestamp,
  request_counts: Schema.Struct({ total: Schema.Int, completed: Schema.Int, failed: Schema.Int }),
  metadata: Schema.NullOr(Schema.Record({ key: Schema.String, value: Schema.String }))
})

/**
 * @since 0.1.0
 * @category models
 */
export type BatchObject = typeof BatchObject.Type

/**
 * A page of a key's batches, newest first.
 *
 * @since 0.1.0
 * @category models
 */
export const BatchList = Schema.Struct({
  object: Schema.Literal("list"),
  data: Schema.Array(BatchObject),
  first_id: Schema.NullOr(Schema.String),
  last_id: Schema.NullOr(Schema.String),
  has_more: Schema.Boolean
})

/**
 * `GET /v1/files`'s answer: the key's files, newest first unless `order=asc`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const FileList = Schema.Struct({
  object: Schema.Literal("list"),
  data: Schema.Array(FileObject),
  first_id: Schema.NullOr(Schema.String),
  last_id: Schema.NullOr(Schema.String),
  has_more: Schema.Boolean
})

/**
 * `DELETE /v1/files/{id}`'s answer.
 *
 * @since 0.1.0
 * @category schemas
 */
export const FileDeleted = Schema.Struct({
  id: Schema.String,
  object: Schema.Literal("file"),
  deleted: Schema.Boolean
})

/**
 * A stored batch: its object, its key and model, its Bedrock jobs and its budget reservation.
 *
 * @since 0.1.0
 * @category models
 */
export const StoredBatch = Schema.Struct({
  ...BatchObject.fields,
  keyId: Schema.String,
  model: Schema.String,
  submission: Schema.Struct({
    modelId: Schema.String,
    invocationType: Schema.Literal("Converse", "InvokeModel"),
    jobs: Schema.Array(Schema.Struct({ jobArn: Schema.String, records: Schema.Int }))
  }),
  reservation: Schema.NullOr(Schema.Struct({
    keyId: Schema.String,
    counter: Schema.String,
    expiresAt: Schema.Number,
    amountMicroUsd: Schema.Int,
    holdId: Schema.String
  }))
})

/**
 * @since 0.1.0
 * @category models
 */
export type StoredBatch = typeof StoredBatch.Type

/**
 * The body of `POST /v1/batches`.
 *
 * @since 0.1.0
 * @category models
 */
export const CreateBatchRequest = Schema.Struct({
  input_file_id: Schema.String,
  endpoint: Schema.String,
  completion_window: Schema.String,
  metadata: Schema.optional(Schema.NullOr(Schema.Record({ key: Schema.String, value: Schema.String }))),
  output_expires_after: Schema.optional(Schema.NullOr(Schema.Unknown))
})

/**
 * @since 0.1.0
 * @category models
 */
export type CreateBatchRequest = typeof CreateBatchRequest.Type

/**
 * The batch object of a stored batch.
 *
 * @since 0.1.0
 * @category utils
 */
export const batchObjectOf = (batch: StoredBatch): BatchObject => {
  const { keyId: _keyId, model: _model, reservation: _reservation, submission: _submission, ...object } = batch
  return object
}

/**
 * The file object of a stored file.
 *
 * @since 0.1.0
 * @category utils
 */
export const fileObjectOf = (file: StoredFile): FileObject => {
  const { input: _input, keyId: _keyId, ...object } = file
  return object
}
