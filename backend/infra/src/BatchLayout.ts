/**
 * Where batch inference's objects live in the batch bucket, as the code writes them, and which IAM actions the code's
 * S3 calls need. Everything is under the configured `batch.prefix` (the service gets it as `BACKEND_BATCH_PREFIX`):
 *
 * - `BatchInference.submit` writes each submission's records to `<prefix><YYYY-MM-DD>/<tag>/input/job-<n>/part-<k>.jsonl`
 *   and has Bedrock write the results under `<prefix><YYYY-MM-DD>/<tag>/output/job-<n>/`;
 * - the gateway's Batch API keeps its files and batches under `<prefix>gateway/keys/<key id>/`.
 *
 * So the batch jobs' role reads the submissions' `input/` folders and writes their `output/` folders, and the
 * gateway works under the prefix only.
 *
 * @since 0.1.0
 */
import type { Config } from "./Config.js"

/**
 * The IAM action each S3 command of the batch code needs (the SDK's `<Name>Command`, by `<Name>`). The multipart
 * upload's create, part and complete calls are `s3:PutObject`; aborting one is `s3:AbortMultipartUpload`; listing
 * objects is `s3:ListBucket` on the bucket. A test reads the commands the code sends and checks each is here and
 * granted.
 *
 * @since 0.1.0
 * @category constants
 */
export const s3ActionOf: Readonly<Record<string, string>> = {
  GetObject: "s3:GetObject",
  PutObject: "s3:PutObject",
  DeleteObject: "s3:DeleteObject",
  ListObjectsV2: "s3:ListBucket",
  CreateMultipartUpload: "s3:PutObject",
  UploadPart: "s3:PutObject",
  CompleteMultipartUpload: "s3:PutObject",
  AbortMultipartUpload: "s3:AbortMultipartUpload"
}

/**
 * The IAM action each Bedrock control-plane command of the batch code needs.
 *
 * @since 0.1.0
 * @category constants
 */
export const batchJobActionOf: Readonly<Record<string, string>> = {
  CreateModelInvocationJob: "bedrock:CreateModelInvocationJob",
  GetModelInvocationJob: "bedrock:GetModelInvocationJob",
  ListModelInvocationJobs: "bedrock:ListModelInvocationJobs",
  StopModelInvocationJob: "bedrock:StopModelInvocationJob"
}

/**
 * The key patterns of the batch bucket, for IAM resources (after the bucket's ARN and `/`) and `s3:prefix`
 * conditions.
 *
 * @since 0.1.0
 * @category models
 */
export interface BatchLayout {
  /** The configured prefix, ending in `/`: the lifecycle rules' prefix. */
  readonly prefix: string
  /** Every job's input records. */
  readonly jobInputs: string
  /** Every job's results. */
  readonly jobOutputs: string
  /** Everything the gateway writes or reads: the jobs' records and results, the Batch API's files and batches. */
  readonly all: string
}

/**
 * The layout of a configuration's batch bucket.
 *
 * @since 0.1.0
 * @category constructors
 */
export const batchLayoutOf = (batch: Pick<NonNullable<Config["batch"]>, "prefix">): BatchLayout => ({
  prefix: batch.prefix,
  jobInputs: `${batch.prefix}*/input/*`,
  jobOutputs: `${batch.prefix}*/output/*`,
  all: `${batch.prefix}*`
})
