/**
 * Amazon Bedrock batch inference as an Effect service: a `Stream` of requests goes to S3 as JSONL (streamed, split
 * into jobs where Bedrock's quotas require), the jobs are created with the configured service role and watched on a
 * `Schedule`, and the results come back as a `Stream` of `{ recordId, result }` matched by record id. A submission
 * is plain data (its job ARNs), so it can be stored and re-attached after a restart. Needs the optional peer
 * dependencies `@aws-sdk/client-bedrock` and `@aws-sdk/client-s3`.
 *
 * @since 0.1.0
 */
import {
  BedrockClient,
  CreateModelInvocationJobCommand,
  GetModelInvocationJobCommand,
  type GetModelInvocationJobCommandOutput,
  StopModelInvocationJobCommand
} from "@aws-sdk/client-bedrock"
import { CreateBucketCommand, HeadBucketCommand, S3Client } from "@aws-sdk/client-s3"
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { randomBytes } from "node:crypto"
import {
  BatchNotPossible,
  BatchServiceError,
  InvalidRecord,
  JobNotFinished,
  MalformedRecordOutput,
  type RecordError,
  RecordFailed,
  RecordNotProcessed,
  serviceError,
  TooFewRecords
} from "./internal/batch/errors.js"
import { deleteObjects, type Quotas, writeJobInputs } from "./internal/batch/plan.js"
import type { BatchRecord, ConverseRecord, InvocationType, NativeRecord } from "./internal/batch/records.js"
import { jobResults, objectLines, type RecordResult } from "./internal/batch/results.js"
import { minimumPartBytes, type ObjectWriter, openObjectWriter } from "./internal/batch/upload.js"
import * as ModelCatalog from "./ModelCatalog.js"

const defaultPartBytes = 8 * 1024 * 1024

export {
  BatchNotPossible,
  BatchServiceError,
  InvalidRecord,
  JobNotFinished,
  MalformedRecordOutput,
  RecordFailed,
  RecordNotProcessed,
  TooFewRecords
}
export type { BatchRecord, ConverseRecord, InvocationType, NativeRecord, Quotas, RecordError, RecordResult }

/**
 * Bedrock's default batch inference quotas (Amazon Bedrock endpoints and quotas, AWS General Reference); all are
 * adjustable per account, so set `quotas` to what Service Quotas shows for yours. The emulator keeps its own copy
 * (it is written from the service's facts, never from the library's definitions, so that each checks the other).
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultQuotas: Quotas = {
  minRecordsPerJob: 100,
  maxRecordsPerFile: 50_000,
  maxRecordsPerJob: 50_000,
  maxFileBytes: 1024 ** 3,
  maxJobBytes: 5 * 1024 ** 3
}

/**
 * Configuration of the service.
 *
 * @since 0.1.0
 * @category models
 */
export interface Config {
  /** The bucket for input and output; it must exist (the emulator layer creates it). */
  readonly bucket: string
  /** Key prefix under which each submission gets its own folder; default `bedrock-llm-batch/`. */
  readonly prefix?: string | undefined
  /** The service role Bedrock assumes to read the input and write the output. */
  readonly roleArn: string
  readonly region?: string | undefined
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined
  /** Endpoint of Bedrock's control plane (the emulator's URL in tests). */
  readonly bedrockEndpoint?: string | undefined
  /** Endpoint of S3 (the emulator's S3 server in tests); path-style addressing is used with it. */
  readonly s3Endpoint?: string | undefined
  /** Quotas to split by; Bedrock's defaults unless set. */
  readonly quotas?: Partial<Quotas> | undefined
  /** Size of each multipart upload part; default 8 MiB (S3's minimum is 5 MiB). */
  readonly partBytes?: number | undefined
  /** How often `watch` polls the jobs; default 1 minute. */
  readonly pollInterval?: Duration.DurationInput | undefined
  /** Hours after which Bedrock times a job out (24 to 168); Bedrock's default when unset. */
  readonly jobTimeoutHours?: number | undefined
}

/**
 * One job of a submission.
 *
 * @since 0.1.0
 * @category models
 */
export interface SubmittedJob {
  readonly jobArn: string
  readonly records: number
}

/**
 * A submission: plain JSON, to store and `attach` again after a restart.
 *
 * @since 0.1.0
 * @category models
 */
export interface Submission {
  readonly modelId: string
  readonly invocationType: InvocationType
  readonly jobs: ReadonlyArray<SubmittedJob>
}

/**
 * The state of one job as Bedrock reports it.
 *
 * @since 0.1.0
 * @category models
 */
export interface JobProgress {
  readonly jobArn: string
  readonly status: string
  readonly message: string | undefined
  readonly totalRecords: number | undefined
  readonly processedRecords: number | undefined
  readonly successRecords: number | undefined
  readonly errorRecords: number | undefined
}

/**
 * The state of every job of a submission; `finished` once all have ended.
 *
 * @since 0.1.0
 * @category models
 */
export interface Progress {
  readonly jobs: ReadonlyArray<JobProgress>
  readonly finished: boolean
}

/**
 * The counts of a job's `manifest.json.out`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Manifest {
  readonly jobArn: string
  readonly totalRecordCount: number
  readonly processedRecordCount: number
  readonly successRecordCount: number
  readonly errorRecordCount: number
  readonly inputTokenCount: number
  readonly outputTokenCount: number
}

/**
 * What a submission cost, from its manifests' token counts at the catalog's batch price.
 *
 * @since 0.1.0
 * @category models
 */
export interface BatchCost {
  readonly manifests: ReadonlyArray<Manifest>
  readonly inputTokens: number
  readonly outputTokens: number
  /** At the batch price, in USD. */
  readonly usd: number
  /** What the same tokens cost on demand, in USD. */
  readonly onDemandUsd: number
}

/**
 * Options of one submission.
 *
 * @since 0.1.0
 * @category models
 */
export interface SubmitOptions {
  readonly modelId: string
  /** Prefix of the job names; default `bedrock-llm`. */
  readonly jobName?: string | undefined
  /** Called as records are accepted, with the count so far (for progress bars). */
  readonly onRecord?: ((count: number) => void) | undefined
}

/**
 * What a submission can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type SubmitError = InvalidRecord | TooFewRecords | BatchNotPossible | BatchServiceError

/**
 * The service.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Validates and uploads the records, then creates the jobs; nothing is left behind when it fails. */
  readonly submit: <E, R>(
    records: Stream.Stream<BatchRecord, E, R>,
    options: SubmitOptions
  ) => Effect.Effect<Submission, E | SubmitError, R>
  /** The submission of jobs created earlier, from their ARNs (or ids). */
  readonly attach: (jobArns: ReadonlyArray<string>) => Effect.Effect<Submission, BatchServiceError | BatchNotPossible>
  readonly status: (submission: Submission) => Effect.Effect<Progress, BatchServiceError>
  /** The progress on the poll schedule (or `schedule`) until every job has ended; the last element is final. */
  readonly watch: (
    submission: Submission,
    schedule?: Schedule.Schedule<unknown, unknown>
  ) => Stream.Stream<Progress, BatchServiceError>
  /** Every record's result, matched by record id; records without a result say why. */
  readonly results: (submission: Submission) => Stream.Stream<RecordResult, BatchServiceError | JobNotFinished>
  /** The manifests' counts and the cost at the batch price. */
  readonly cost: (submission: Submission) => Effect.Effect<BatchCost, BatchServiceError | JobNotFinished>
  readonly stop: (submission: Submission) => Effect.Effect<void, BatchServiceError>
}

/**
 * The service tag.
 *
 * @since 0.1.0
 * @category services
 */
export class BatchInference extends Context.Tag("bedrock-llm/BatchInference")<BatchInference, Service>() {}

const terminal: ReadonlySet<string> = new Set(["Completed", "PartiallyCompleted", "Failed", "Stopped", "Expired"])

const parseS3Uri = (uri: string): { readonly bucket: string; readonly key: string } | undefined => {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri)
  return match === null ? undefined : { bucket: match[1]!, key: match[2] ?? "" }
}

const withSlash = (key: string): string => key === "" || key.endsWith("/") ? key : `${key}/`

const jobIdOf = (jobArn: string): string => jobArn.slice(jobArn.lastIndexOf("/") + 1)

const progressOf = (jobArn: string, job: GetModelInvocationJobCommandOutput): JobProgress => ({
  jobArn,
  status: job.status ?? "Unknown",
  message: job.message,
  totalRecords: job.totalRecordCount,
  processedRecords: job.processedRecordCount,
  successRecords: job.successRecordCount,
  errorRecords: job.errorRecordCount
})

const batchModel = (modelId: string): Effect.Effect<ModelCatalog.ModelInfo | undefined, BatchNotPossible> => {
  const info = ModelCatalog.resolve(modelId)
  if (Option.isSome(info) && info.value.prices.batchDiscount === undefined) {
    return new BatchNotPossible({
      modelId,
      message: `${modelId} has no batch inference (by the model catalog's batch price)`
    })
  }
  return Effect.succeed(Option.getOrUndefined(info))
}

/**
 * Builds the service over the two SDK clients.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (config: Config): Effect.Effect<Service, never, Scope.Scope> =>
  Effect.gen(function*() {
    const region = config.region ?? "us-east-1"
    const common = { region, ...(config.credentials !== undefined ? { credentials: config.credentials } : {}) }
    const bedrock = yield* Effect.acquireRelease(
      Effect.sync(() =>
        new BedrockClient({
          ...common,
          ...(config.bedrockEndpoint !== undefined ? { endpoint: config.bedrockEndpoint } : {})
        })
      ),
      (client) => Effect.sync(() => client.destroy())
    )
    const s3 = yield* Effect.acquireRelease(
      Effect.sync(() =>
        new S3Client({
          ...common,
          ...(config.s3Endpoint !== undefined ? { endpoint: config.s3Endpoint, forcePathStyle: true } : {})
        })
      ),
      (client) => Effect.sync(() => client.destroy())
    )
    const quotas: Quotas = { ...defaultQuotas, ...config.quotas }
    const prefix = withSlash(config.prefix ?? "bedrock-llm-batch/")
    const partBytes = Math.max(minimumPartBytes, config.partBytes ?? defaultPartBytes)
    const schedule = Schedule.spaced(config.pollInterval ?? Duration.minutes(1))

    const getJob = (jobArn: string) =>
      Effect.tryPromise({
        try: (signal) =>
          bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }), { abortSignal: signal }),
        catch: serviceError("GetModelInvocationJob")
      })

    const submit: Service["submit"] = (records, options) =>
      Effect.gen(function*() {
        const model = yield* batchModel(options.modelId)
        const tag = `b${randomBytes(4).toString("hex")}`
        const day = new Date(yield* Clock.currentTimeMillis).toISOString().slice(0, 10)
        const folder = `${prefix}${day}/${tag}/`
        const plan = yield* writeJobInputs(records, {
          client: s3,
          bucket: config.bucket,
          prefix: folder,
          tag,
          modelId: options.modelId,
          model,
          quotas,
          partBytes,
          onRecord: options.onRecord
        })
        const created: Array<SubmittedJob> = []
        // A job that cannot be created leaves nothing behind: the jobs made so far are stopped, the input deleted.
        const undo = Effect.zipRight(
          Effect.ignore(stop({ modelId: options.modelId, invocationType: plan.invocationType, jobs: created })),
          deleteObjects(s3, config.bucket, plan.inputKeys)
        )
        const jobs = yield* Effect.forEach(plan.jobs, (job) =>
          Effect.tryPromise({
            try: (signal) =>
              bedrock.send(
                new CreateModelInvocationJobCommand({
                  jobName: `${options.jobName ?? "bedrock-llm"}-${tag}-${job.index}`,
                  clientRequestToken: `${tag}-${job.index}`,
                  roleArn: config.roleArn,
                  modelId: options.modelId,
                  modelInvocationType: plan.invocationType,
                  inputDataConfig: {
                    s3InputDataConfig: { s3Uri: `s3://${config.bucket}/${job.inputPrefix}`, s3InputFormat: "JSONL" }
                  },
                  outputDataConfig: { s3OutputDataConfig: { s3Uri: `s3://${config.bucket}/${job.outputPrefix}` } },
                  ...(config.jobTimeoutHours !== undefined ? { timeoutDurationInHours: config.jobTimeoutHours } : {})
                }),
                { abortSignal: signal }
              ),
            catch: serviceError("CreateModelInvocationJob")
          }).pipe(Effect.map((answer): SubmittedJob => {
            const submitted = { jobArn: answer.jobArn ?? "", records: job.records }
            created.push(submitted)
            return submitted
          }))).pipe(Effect.onError(() => undo))
        return { modelId: options.modelId, invocationType: plan.invocationType, jobs }
      })

    const attach: Service["attach"] = (jobArns) =>
      Effect.gen(function*() {
        const described = yield* Effect.forEach(jobArns, getJob)
        const first = described[0]
        const modelId = first?.modelId ?? ""
        if (described.some((job) => job.modelId !== modelId)) {
          return yield* new BatchNotPossible({ modelId, message: "the jobs of one submission use one model" })
        }
        return {
          modelId,
          invocationType: first?.modelInvocationType === "Converse" ? "Converse" : "InvokeModel",
          jobs: described.map((job) => ({ jobArn: job.jobArn ?? "", records: job.totalRecordCount ?? 0 }))
        }
      })

    const status: Service["status"] = (submission) =>
      Effect.forEach(submission.jobs, (job) => Effect.map(getJob(job.jobArn), (got) => progressOf(job.jobArn, got)))
        .pipe(Effect.map((jobs) => ({ jobs, finished: jobs.every((job) => terminal.has(job.status)) })))

    const watch: Service["watch"] = (submission, every) =>
      Stream.repeatEffectWithSchedule(status(submission), every ?? schedule).pipe(
        Stream.takeUntil((progress) => progress.finished)
      )

    /** A finished job's locations, or `JobNotFinished`. */
    const finishedJob = (jobArn: string, submission: Submission) =>
      Effect.flatMap(getJob(jobArn), (job) => {
        const input = parseS3Uri(job.inputDataConfig?.s3InputDataConfig?.s3Uri ?? "")
        const output = parseS3Uri(job.outputDataConfig?.s3OutputDataConfig?.s3Uri ?? "")
        const state = job.status ?? "Unknown"
        if (!terminal.has(state) || input === undefined || output === undefined) {
          return new JobNotFinished({ jobArn, status: state, message: `job ${jobArn} is ${state}, not finished` })
        }
        return Effect.succeed({
          jobArn,
          status: state,
          message: job.message,
          modelId: submission.modelId,
          invocationType: submission.invocationType,
          bucket: output.bucket,
          inputPrefix: input.key,
          outputPrefix: `${withSlash(output.key)}${jobIdOf(jobArn)}/`,
          totalRecords: job.totalRecordCount
        })
      })

    const results: Service["results"] = (submission) =>
      Stream.fromIterable(submission.jobs).pipe(
        Stream.mapEffect((job) => finishedJob(job.jobArn, submission)),
        Stream.flatMap((job) => jobResults(s3, job))
      )

    const manifestOf = (jobArn: string, submission: Submission) =>
      Effect.gen(function*() {
        const job = yield* finishedJob(jobArn, submission)
        const text = yield* objectLines(s3, job.bucket, `${job.outputPrefix}manifest.json.out`).pipe(
          Stream.runCollect,
          Effect.map((lines) => Array.from(lines).join("")),
          Effect.catchTag("BatchServiceError", (error) => error.name === "NoSuchKey" ? Effect.succeed("{}") : error)
        )
        const counts = (() => {
          try {
            return JSON.parse(text) as Record<string, unknown>
          } catch {
            return {}
          }
        })()
        const count = (name: string) => typeof counts[name] === "number" ? counts[name] : 0
        return {
          jobArn,
          totalRecordCount: count("totalRecordCount"),
          processedRecordCount: count("processedRecordCount"),
          successRecordCount: count("successRecordCount"),
          errorRecordCount: count("errorRecordCount"),
          inputTokenCount: count("inputTokenCount"),
          outputTokenCount: count("outputTokenCount")
        }
      })

    const cost: Service["cost"] = (submission) =>
      Effect.map(Effect.forEach(submission.jobs, (job) => manifestOf(job.jobArn, submission)), (manifests) => {
        const inputTokens = manifests.reduce((sum, manifest) => sum + manifest.inputTokenCount, 0)
        const outputTokens = manifests.reduce((sum, manifest) => sum + manifest.outputTokenCount, 0)
        const info = ModelCatalog.resolve(submission.modelId)
        const onDemandUsd = Option.match(info, {
          onNone: () => 0,
          onSome: (entry) => ModelCatalog.costOf(entry, { inputTokens, outputTokens }, submission.modelId).total
        })
        const discount = Option.match(info, { onNone: () => 0, onSome: (entry) => entry.prices.batchDiscount ?? 0 })
        return { manifests, inputTokens, outputTokens, usd: onDemandUsd * (1 - discount), onDemandUsd }
      })

    const stop: Service["stop"] = (submission) =>
      Effect.forEach(submission.jobs, (job) =>
        Effect.tryPromise({
          try: (signal) =>
            bedrock.send(new StopModelInvocationJobCommand({ jobIdentifier: job.jobArn }), { abortSignal: signal }),
          catch: serviceError("StopModelInvocationJob")
        }).pipe(Effect.catchIf((error) => error.name === "ValidationException", () => Effect.void)), { discard: true })

    return { submit, attach, status, watch, results, cost, stop }
  })

/**
 * The service as a scoped layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (config: Config): Layer.Layer<BatchInference> => Layer.scoped(BatchInference, make(config))

/**
 * An S3 object being written line by line with a multipart upload: a part is sent as soon as it is full, so one part
 * at most is held in memory whatever the object's size. `complete` ends the object; `abort` drops what was sent.
 *
 * @since 0.1.0
 * @category models
 */
export type LineWriter = ObjectWriter

/**
 * Starts writing `bucket/key` with a multipart upload (parts of `partBytes`, default 8 MiB, at least S3's 5 MiB):
 * how `submit` writes job inputs, for other large JSONL objects (a gateway's batch output files).
 *
 * @since 0.1.0
 * @category constructors
 */
export const openLineWriter = (
  client: S3Client,
  bucket: string,
  key: string,
  options: { readonly partBytes?: number | undefined } = {}
): Effect.Effect<LineWriter, BatchServiceError> =>
  openObjectWriter(client, bucket, key, Math.max(minimumPartBytes, options.partBytes ?? defaultPartBytes))

/**
 * Creates the bucket when it does not exist (the emulator's S3 server starts empty).
 *
 * @since 0.1.0
 * @category utils
 */
export const ensureBucket = (
  config: Pick<Config, "bucket" | "region" | "credentials" | "s3Endpoint">
): Effect.Effect<void, BatchServiceError> =>
  Effect.acquireUseRelease(
    Effect.sync(() =>
      new S3Client({
        region: config.region ?? "us-east-1",
        ...(config.credentials !== undefined ? { credentials: config.credentials } : {}),
        ...(config.s3Endpoint !== undefined ? { endpoint: config.s3Endpoint, forcePathStyle: true } : {})
      })
    ),
    (client) =>
      Effect.tryPromise({
        try: () => client.send(new HeadBucketCommand({ Bucket: config.bucket })),
        catch: serviceError("HeadBucket")
      }).pipe(
        Effect.catchAll(() =>
          Effect.tryPromise({
            try: () => client.send(new CreateBucketCommand({ Bucket: config.bucket })),
            catch: serviceError("CreateBucket")
          })
        ),
        Effect.asVoid
      ),
    (client) => Effect.sync(() => client.destroy())
  )

/**
 * Options of `layerLocal`.
 *
 * @since 0.1.0
 * @category models
 */
export interface LocalOptions {
  /** Quotas of both the emulator and the service (tests lower them). */
  readonly quotas?: Partial<Quotas> | undefined
  /** The emulator's job timeline; `{ stepMs: 0 }` unless set. */
  readonly timeline?: { readonly stepMs: number } | "manual" | undefined
  readonly pollInterval?: Duration.DurationInput | undefined
}

/**
 * The service on an embedded emulator (batch jobs and its S3-compatible server on loopback), started for the
 * layer's lifetime: batch inference with no AWS account, for examples, tests and the CLI's `--emulator`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerLocal = (options: LocalOptions = {}): Layer.Layer<BatchInference, BatchServiceError> =>
  Layer.scoped(
    BatchInference,
    Effect.gen(function*() {
      const Emulator = yield* Effect.promise(() => import("./emulator/Emulator.js"))
      const emulator = yield* Emulator.make({ batch: { timeline: options.timeline, quotas: options.quotas } }).pipe(
        Effect.mapError((error) =>
          new BatchServiceError({ operation: "StartEmulator", name: error._tag, message: error.message })
        )
      )
      const config: Config = {
        bucket: "bedrock-llm-batch",
        roleArn: "arn:aws:iam::123456789012:role/BedrockBatchInference",
        bedrockEndpoint: emulator.url,
        s3Endpoint: emulator.batch!.s3Url,
        credentials: { accessKeyId: "AKIDLOCAL", secretAccessKey: "local" },
        quotas: options.quotas,
        pollInterval: options.pollInterval ?? Duration.millis(20)
      }
      yield* ensureBucket(config)
      return yield* make(config)
    })
  )
