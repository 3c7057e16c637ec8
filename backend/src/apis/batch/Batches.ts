/**
 * OpenAI's Batch API over the library's `BatchInference`: input files are read and checked line by line when they are
 * uploaded (each body as `/v1/chat/completions` reads one, its model on the key's allow-list and with a batch price),
 * a batch reserves the worst case of its lines at the batch price in the key's monthly budget and submits them as
 * Bedrock batch jobs, and when the jobs have ended the first look at the batch writes its output and error files,
 * settles the budget with what the jobs really cost at the batch price and records the usage. Everything belongs to
 * the key that made it: another key's ids are not found.
 *
 * @since 0.1.0
 */
import * as BatchInference from "bedrock-llm/BatchInference"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { randomBytes } from "node:crypto"
import { Gateway } from "../../Gateway.js"
import * as Authentication from "../../keys/Authentication.js"
import type { KeyRecord } from "../../keys/KeyStore.js"
import { authorize } from "../../limits/Admission.js"
import { Budget, toMicroUsd } from "../../limits/Budget.js"
import { ServiceConfig } from "../../ServiceConfig.js"
import type { StoreError } from "../../StoreError.js"
import { UsageStore } from "../../usage/UsageStore.js"
import * as OpenAiError from "../openai/OpenAiError.js"
import { chatEndpoint, indexOfRecordId, type LineContext, readLine, withRecordId } from "./BatchLines.js"
import { type OutputLine, outputLine } from "./BatchOutput.js"
import {
  type BatchList as BatchListSchema,
  type BatchObject,
  batchObjectOf,
  type BatchStatus,
  type CreateBatchRequest,
  type FileDeleted,
  type FileList as FileListSchema,
  type FileObject,
  fileObjectOf,
  type StoredBatch,
  type StoredFile
} from "./BatchSchemas.js"
import { BatchStore, type FileWriter, layer as storeLayer } from "./BatchStore.js"

type Failure = OpenAiError.OpenAiFailure

/** A list's page size: `fallback` when not given, else an integer from 1 to `max` (OpenAI's 400 otherwise). */
const pageLimit = (limit: number | undefined, fallback: number, max: number) =>
  limit === undefined
    ? Effect.succeed(fallback)
    : Number.isInteger(limit) && limit >= 1 && limit <= max
    ? Effect.succeed(limit)
    : Effect.fail(OpenAiError.invalid("limit", `Invalid limit: an integer from 1 to ${max}.`))

/**
 * How long a batch's budget reservation is held before the stale-reservation sweep may release it: Bedrock times a
 * job out after 24 hours by default, and the batch settles when its results are read after that; twice that is
 * held, since releasing early could let the key overspend while holding late only keeps money reserved.
 */
const batchHoldFor = Duration.hours(48)

/**
 * An uploaded file, as the multipart form gave it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Upload {
  readonly filename: string
  readonly purpose: string
  readonly content: Uint8Array
}

/**
 * @since 0.1.0
 */
export declare namespace Batches {
  /**
   * The Batch API, for the key of the request.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    readonly createFile: (upload: Upload) => Effect.Effect<FileObject, Failure, Authentication.CurrentKey>
    readonly retrieveFile: (id: string) => Effect.Effect<FileObject, Failure, Authentication.CurrentKey>
    /** A file's content (after its object was found, so that a missing file is a 404, not a broken stream). */
    readonly fileContent: (
      id: string
    ) => Effect.Effect<Stream.Stream<Uint8Array, StoreError>, Failure, Authentication.CurrentKey>
    readonly listFiles: (
      page: {
        readonly after?: string | undefined
        readonly limit?: number | undefined
        readonly order?: string | undefined
        readonly purpose?: string | undefined
      }
    ) => Effect.Effect<typeof FileListSchema.Type, Failure, Authentication.CurrentKey>
    readonly deleteFile: (id: string) => Effect.Effect<typeof FileDeleted.Type, Failure, Authentication.CurrentKey>
    /**
     * Finalizes every key's batches whose jobs have ended (what a retrieve or a list does for one key's); how many.
     * The layer runs it on a schedule.
     */
    readonly finalizeEnded: Effect.Effect<number, Failure>
    readonly create: (request: CreateBatchRequest) => Effect.Effect<BatchObject, Failure, Authentication.CurrentKey>
    readonly retrieve: (id: string) => Effect.Effect<BatchObject, Failure, Authentication.CurrentKey>
    readonly list: (
      page: { readonly after?: string | undefined; readonly limit?: number | undefined }
    ) => Effect.Effect<typeof BatchListSchema.Type, Failure, Authentication.CurrentKey>
    readonly cancel: (id: string) => Effect.Effect<BatchObject, Failure, Authentication.CurrentKey>
  }
}

/**
 * The Batch API's tag.
 *
 * @since 0.1.0
 * @category services
 */
export class Batches extends Context.Tag("bedrock-llm-backend/Batches")<Batches, Batches.Service>() {}

/** OpenAI's limit of requests per input file. */
const maxLinesPerFile = 50_000
const completionWindowSeconds = 24 * 60 * 60

const notFound = (what: "file" | "batch", id: string, param: string | null = null): Failure => ({
  status: 404,
  type: "invalid_request_error",
  param,
  code: `${what}_not_found`,
  message: `No ${what} found with id '${id}'.`
})

const storeFailure = (error: StoreError): Failure => OpenAiError.fromError(error)

const serviceFailure = (error: BatchInference.BatchServiceError): Failure => ({
  status: error.retryable ? 503 : 502,
  type: "server_error",
  param: null,
  code: "upstream_error",
  message: `Bedrock batch inference failed (${error.operation}: ${error.name}); retry, or ask the operator.`
})

const newId = (prefix: string, now: number) =>
  `${prefix}${Math.floor(now).toString(16).padStart(12, "0")}${randomBytes(8).toString("hex")}`

/** Checks that the key may use the Batch API: the OpenAI API, and no guardrail (batch jobs cannot apply one). */
const batchKey = Effect.flatMap(Authentication.CurrentKey, (key): Effect.Effect<KeyRecord, Failure> => {
  if (!key.allowedApis.includes("openai")) {
    return Effect.fail({
      status: 403,
      type: "invalid_request_error",
      param: null,
      code: "api_not_allowed",
      message: "This key may not use the openai API."
    })
  }
  if (key.guardrail !== undefined) {
    return Effect.fail({
      status: 403,
      type: "invalid_request_error",
      param: null,
      code: "batch_not_allowed",
      message: "This key has a guardrail, which Bedrock batch jobs cannot apply: its requests must go on demand."
    })
  }
  return Effect.succeed(key)
})

const nowSeconds = Effect.map(Clock.currentTimeMillis, (ms) => Math.floor(ms / 1000))

/** The non-empty lines of a file's content, with their 1-based line numbers. */
const linesOf = <E>(content: Stream.Stream<Uint8Array, E>) =>
  content.pipe(
    Stream.decodeText(),
    Stream.splitLines,
    Stream.zipWithIndex,
    Stream.filter(([text]) => text.trim() !== ""),
    Stream.map(([text, index]) => [text, index + 1] as const)
  )

/** The batch state of ended jobs: stopped is cancelled, all failed is failed, any expired is expired. */
const finalStatusOf = (jobs: ReadonlyArray<BatchInference.JobProgress>): BatchStatus =>
  jobs.some((job) => job.status === "Stopped")
    ? "cancelled"
    : jobs.every((job) => job.status === "Failed")
    ? "failed"
    : jobs.some((job) => job.status === "Expired")
    ? "expired"
    : "completed"

const timestampOf: Partial<Record<BatchStatus, keyof StoredBatch>> = {
  completed: "completed_at",
  failed: "failed_at",
  expired: "expired_at",
  cancelled: "cancelled_at"
}

/** Where a page starts: after the item of id `after` (OpenAI's cursor), or at the beginning. */
const startAfter = (items: ReadonlyArray<{ readonly id: string }>, after: string | undefined): number =>
  after === undefined ? 0 : items.findIndex((item) => item.id === after) + 1

/** OpenAI's list object of one page. */
const listOf = <A extends { readonly id: string }>(data: ReadonlyArray<A>, hasMore: boolean) => ({
  object: "list" as const,
  data,
  first_id: data[0]?.id ?? null,
  last_id: data[data.length - 1]?.id ?? null,
  has_more: hasMore
})

const active: ReadonlySet<BatchStatus> = new Set(["validating", "in_progress", "cancelling"])

/**
 * Builds the Batch API over `BatchInference`, its store, the budget, the usage store and the gateway's models.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.gen(function*() {
  const inference = yield* BatchInference.BatchInference
  const store = yield* BatchStore
  const budget = yield* Budget
  const usage = yield* UsageStore
  const gateway = yield* Gateway
  const config = yield* ServiceConfig
  const finalizing = new Set<string>()

  const lineContext = (key: KeyRecord): LineContext => ({
    defaults: { defaultMaxTokens: config.defaultMaxTokens },
    targetsOf: (model) =>
      Effect.zipRight(authorize(key, "openai", model), gateway.resolve(model)).pipe(
        Effect.mapError((error) => OpenAiError.fromError(error))
      )
  })

  const ownFile = (key: KeyRecord, id: string, param: string | null = null) =>
    Effect.flatMap(
      Effect.mapError(store.getFile(key.id, id), storeFailure),
      Option.match({ onNone: () => Effect.fail(notFound("file", id, param)), onSome: Effect.succeed })
    )

  const ownBatch = (key: KeyRecord, id: string) =>
    Effect.flatMap(
      Effect.mapError(store.getBatch(key.id, id), storeFailure),
      Option.match({ onNone: () => Effect.fail(notFound("batch", id)), onSome: Effect.succeed })
    )

  const save = (batch: StoredBatch) => Effect.as(Effect.mapError(store.putBatch(batch), storeFailure), batch)

  const createFile: Batches.Service["createFile"] = (upload) =>
    Effect.gen(function*() {
      const key = yield* batchKey
      if (upload.purpose !== "batch") {
        return yield* Effect.fail(
          OpenAiError.invalid("purpose", `Invalid purpose '${upload.purpose}': this gateway takes 'batch' files only.`)
        )
      }
      const context = lineContext(key)
      const customIds = new Set<string>()
      let model: string | undefined
      let records = 0
      let worstCaseMicroUsd = 0
      yield* linesOf(Stream.make(upload.content)).pipe(
        Stream.runForEach(([text, line]) =>
          Effect.gen(function*() {
            const read = yield* readLine(text, line, context)
            if (customIds.has(read.customId)) {
              return yield* Effect.fail(
                OpenAiError.invalid(
                  "custom_id",
                  `Line ${line} of the input file: duplicate custom_id '${read.customId}'.`
                )
              )
            }
            if (model !== undefined && read.model !== model) {
              return yield* Effect.fail(
                OpenAiError.invalid(
                  "body.model",
                  `Line ${line} of the input file: every request of a batch must use one model (line 1 uses ${model}, this one ${read.model}).`
                )
              )
            }
            if (++records > maxLinesPerFile) {
              return yield* Effect.fail(
                OpenAiError.invalid(null, `The input file has more than ${maxLinesPerFile} requests.`)
              )
            }
            customIds.add(read.customId)
            model = read.model
            worstCaseMicroUsd += read.worstCaseMicroUsd
          })
        )
      )
      if (model === undefined) {
        return yield* Effect.fail(OpenAiError.invalid("file", "The input file holds no requests."))
      }
      const now = yield* Clock.currentTimeMillis
      const file: StoredFile = {
        id: newId("file-", now),
        object: "file",
        bytes: upload.content.byteLength,
        created_at: Math.floor(now / 1000),
        filename: upload.filename,
        purpose: "batch",
        status: "processed",
        status_details: null,
        expires_at: null,
        keyId: key.id,
        input: { model, records, worstCaseMicroUsd }
      }
      yield* Effect.mapError(store.putFile(file, upload.content), storeFailure)
      return fileObjectOf(file)
    })

  const submit = (key: KeyRecord, file: StoredFile, model: string) =>
    Effect.gen(function*() {
      const context = lineContext(key)
      const targets = yield* context.targetsOf(model)
      const records = linesOf(store.content(key.id, file.id)).pipe(
        Stream.mapError(storeFailure),
        Stream.zipWithIndex,
        Stream.mapEffect(([[text, line], index]) =>
          Effect.map(readLine(text, line, context), (read) => withRecordId(read.record, index))
        )
      )
      return yield* inference.submit(records, { modelId: targets[0]!.modelId, jobName: "bedrock-llm-gateway" }).pipe(
        Effect.catchTags({
          BatchServiceError: (error) => Effect.fail(serviceFailure(error)),
          TooFewRecords: (error) =>
            Effect.fail(OpenAiError.invalid("input_file_id", `Bedrock batch inference: ${error.message}`)),
          BatchNotPossible: (error) =>
            Effect.fail(OpenAiError.invalid("input_file_id", `Bedrock batch inference: ${error.message}`)),
          InvalidRecord: (error) =>
            Effect.fail(
              OpenAiError.invalid("input_file_id", `Line ${error.index + 1} of the input file: ${error.message}`)
            )
        })
      )
    })

  const create: Batches.Service["create"] = (request) =>
    Effect.gen(function*() {
      const key = yield* batchKey
      if (request.endpoint !== chatEndpoint) {
        return yield* Effect.fail(
          OpenAiError.unsupportedValue("endpoint", `Unsupported endpoint '${request.endpoint}': only ${chatEndpoint}.`)
        )
      }
      if (request.completion_window !== "24h") {
        return yield* Effect.fail(
          OpenAiError.invalid("completion_window", "Invalid completion_window: only '24h' is supported.")
        )
      }
      if (request.metadata != null && Object.keys(request.metadata).length > 16) {
        return yield* Effect.fail(OpenAiError.invalid("metadata", "Invalid metadata: at most 16 entries."))
      }
      const file = yield* ownFile(key, request.input_file_id, "input_file_id")
      if (file.input === undefined) {
        return yield* Effect.fail(
          OpenAiError.invalid("input_file_id", `The file ${file.id} is not a batch input file.`)
        )
      }
      const input = file.input
      yield* Effect.mapError(authorize(key, "openai", input.model), (error) => OpenAiError.fromError(error))
      const reservation = key.monthlyBudgetMicroUsd === undefined ? null : yield* Effect.mapError(
        budget.reserve(key.id, key.monthlyBudgetMicroUsd, input.worstCaseMicroUsd, { holdFor: batchHoldFor }),
        (error) => OpenAiError.fromError(error)
      )
      const release = reservation === null ? Effect.void : Effect.ignore(budget.settle(reservation, 0))
      const submission = yield* Effect.tapError(submit(key, file, input.model), () => release)
      const now = yield* Clock.currentTimeMillis
      const created = Math.floor(now / 1000)
      const batch = yield* Effect.tapError(
        save({
          id: newId("batch_", now),
          object: "batch",
          endpoint: chatEndpoint,
          errors: null,
          input_file_id: file.id,
          completion_window: "24h",
          status: "in_progress",
          output_file_id: null,
          error_file_id: null,
          created_at: created,
          in_progress_at: created,
          expires_at: created + completionWindowSeconds,
          finalizing_at: null,
          completed_at: null,
          failed_at: null,
          expired_at: null,
          cancelling_at: null,
          cancelled_at: null,
          request_counts: { total: input.records, completed: 0, failed: 0 },
          metadata: request.metadata ?? null,
          keyId: key.id,
          model: input.model,
          submission,
          reservation
        }),
        () => Effect.zipRight(Effect.ignore(inference.stop(submission)), release)
      )
      // Without its marker the batch still ends when it is next retrieved or listed.
      yield* store.markActive(key.id, batch.id).pipe(
        Effect.catchAll((error) => Effect.logWarning("the background finalizer will not see this batch", error))
      )
      return batchObjectOf(batch)
    })

  /** Writes a batch's output and error files from its results; their ids, and the counts. */
  const writeResults = (batch: StoredBatch, created: number) =>
    Effect.gen(function*() {
      const fileIdBase = `file-${batch.id.slice("batch_".length)}`
      const customIds: Array<string> = []
      yield* linesOf(store.content(batch.keyId, batch.input_file_id)).pipe(
        Stream.runForEach(([text]) =>
          Effect.sync(() => {
            const parsed = JSON.parse(text) as { readonly custom_id: string }
            customIds.push(parsed.custom_id)
          })
        )
      )
      const ids = { output: `${fileIdBase}o`, error: `${fileIdBase}e` }
      const writers: Partial<Record<OutputLine["file"], FileWriter>> = {}
      const counts = { output: 0, error: 0 }
      const writerOf = (kind: OutputLine["file"]) =>
        writers[kind] !== undefined
          ? Effect.succeed(writers[kind])
          : Effect.tap(store.openFile(batch.keyId, ids[kind]), (writer) => (writers[kind] = writer))
      const abortAll = Effect.suspend(() =>
        Effect.forEach(Object.values(writers), (writer) => writer.abort, { discard: true })
      )
      yield* inference.results(batch.submission).pipe(
        Stream.runForEach((result) => {
          const index = indexOfRecordId(result.recordId)
          const customId = index === undefined ? undefined : customIds[index]
          if (customId === undefined) return Effect.void
          const { file, line } = outputLine(result, customId, { model: batch.model, created })
          counts[file]++
          return Effect.flatMap(writerOf(file), (writer) => writer.write(line))
        }),
        Effect.onError(() => abortAll)
      )
      const finish = (kind: OutputLine["file"]) => {
        const writer = writers[kind]
        return writer === undefined ? Effect.succeed(null) : Effect.map(
          writer.finish({
            id: ids[kind],
            object: "file",
            created_at: created,
            filename: `${batch.id}_${kind}.jsonl`,
            purpose: "batch_output",
            status: "processed",
            status_details: null,
            expires_at: null,
            keyId: batch.keyId
          }),
          (file) => file.id
        )
      }
      return {
        output_file_id: yield* finish("output"),
        error_file_id: yield* finish("error"),
        request_counts: { total: batch.request_counts.total, completed: counts.output, failed: counts.error }
      }
    })

  /** Settles the reservation with the jobs' cost at the batch price and records the usage. */
  const settle = (batch: StoredBatch, completed: number) =>
    Effect.gen(function*() {
      const cost = yield* inference.cost(batch.submission)
      const costMicroUsd = toMicroUsd(cost.usd)
      if (batch.reservation !== null) yield* budget.settle(batch.reservation, costMicroUsd)
      yield* usage.record({
        keyId: batch.keyId,
        modelId: batch.submission.modelId,
        requests: completed,
        inputTokens: cost.inputTokens,
        outputTokens: cost.outputTokens,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        costMicroUsd
      })
    })

  /** Ends a batch whose jobs have ended: results, final state, then the money (over-counted, never under, on a crash). */
  const finalize = (batch: StoredBatch, jobs: ReadonlyArray<BatchInference.JobProgress>) =>
    Effect.gen(function*() {
      if (finalizing.has(batch.id)) return { ...batch, status: "finalizing" as const }
      const claimed = yield* Effect.mapError(store.claimFinalization(batch.keyId, batch.id), storeFailure)
      if (!claimed) return { ...batch, status: "finalizing" as const }
      finalizing.add(batch.id)
      const created = yield* nowSeconds
      const ending = yield* save({ ...batch, status: "finalizing", finalizing_at: created })
      const results = yield* writeResults(ending, created).pipe(
        Effect.catchTags({ BatchServiceError: (error) => Effect.fail(serviceFailure(error)) }),
        Effect.catchTag("JobNotFinished", (error) => Effect.dieMessage(error.message)),
        Effect.mapError((error) => "status" in error ? error : storeFailure(error))
      )
      const status = finalStatusOf(jobs)
      const stamp = timestampOf[status]!
      const failed = jobs.filter((job) => job.status === "Failed")
      const done = yield* save({
        ...ending,
        ...results,
        status,
        [stamp]: yield* nowSeconds,
        errors: status !== "failed" ? null : {
          object: "list",
          data: failed.map((job) => ({
            code: "batch_failed",
            message: job.message ?? "The Bedrock batch job failed.",
            param: null,
            line: null
          }))
        }
      })
      yield* settle(done, results.request_counts.completed).pipe(
        Effect.catchAll((error) => Effect.logError("batch settlement failed; its reservation stays counted", error))
      )
      yield* Effect.ignore(store.clearActive(done.keyId, done.id))
      return done
    }).pipe(Effect.ensuring(Effect.sync(() => finalizing.delete(batch.id))))

  /** A batch as it stands now: an active one's jobs are looked at, and ended ones finalized. */
  const refresh = (batch: StoredBatch): Effect.Effect<StoredBatch, Failure> =>
    Effect.gen(function*() {
      if (!active.has(batch.status)) return batch
      const progress = yield* Effect.mapError(inference.status(batch.submission), serviceFailure)
      if (progress.finished) return yield* finalize(batch, progress.jobs)
      const sum = (field: "successRecords" | "errorRecords") =>
        progress.jobs.reduce((total, job) => total + (job[field] ?? 0), 0)
      const counts = {
        total: batch.request_counts.total,
        completed: sum("successRecords"),
        failed: sum("errorRecords")
      }
      return counts.completed === batch.request_counts.completed && counts.failed === batch.request_counts.failed
        ? batch
        : yield* save({ ...batch, request_counts: counts })
    })

  /** Looks at every key's unfinished batches and finalizes those whose jobs have ended; how many it finalized. */
  const finalizeEnded: Effect.Effect<number, Failure> = Effect.gen(function*() {
    const marked = yield* Effect.mapError(store.listActive, storeFailure)
    const ended = yield* Effect.forEach(marked, ({ id, keyId }) =>
      Effect.gen(function*() {
        const batch = yield* Effect.mapError(store.getBatch(keyId, id), storeFailure)
        if (Option.isNone(batch) || !active.has(batch.value.status)) {
          yield* Effect.ignore(store.clearActive(keyId, id))
          return false
        }
        const now = yield* refresh(batch.value)
        return !active.has(now.status) && now.status !== "finalizing"
      }).pipe(
        Effect.catchAll((error) =>
          Effect.as(Effect.logWarning(`batch ${id} could not be finalized; the next pass tries again`, error), false)
        )
      ), { concurrency: 4 })
    return ended.filter(Boolean).length
  })

  const retrieve: Batches.Service["retrieve"] = (id) =>
    Effect.gen(function*() {
      const key = yield* batchKey
      return batchObjectOf(yield* refresh(yield* ownBatch(key, id)))
    })

  const list: Batches.Service["list"] = (page) =>
    Effect.gen(function*() {
      const key = yield* batchKey
      const limit = yield* pageLimit(page.limit, 20, 100)
      const newest = [...yield* Effect.mapError(store.listBatches(key.id), storeFailure)].reverse()
      const start = startAfter(newest, page.after)
      const data = yield* Effect.forEach(newest.slice(start, start + limit), refresh, { concurrency: 4 })
      return listOf(data.map(batchObjectOf), start + limit < newest.length)
    })

  const listFiles: Batches.Service["listFiles"] = (page) =>
    Effect.gen(function*() {
      const key = yield* batchKey
      const limit = yield* pageLimit(page.limit, 10_000, 10_000)
      if (page.order !== undefined && page.order !== "asc" && page.order !== "desc") {
        return yield* Effect.fail(OpenAiError.invalid("order", "Invalid order: 'asc' or 'desc'."))
      }
      const oldest = yield* Effect.mapError(store.listFiles(key.id), storeFailure)
      const ordered = (page.order === "asc" ? [...oldest] : [...oldest].reverse())
        .filter((file) => page.purpose === undefined || file.purpose === page.purpose)
      const start = startAfter(ordered, page.after)
      return listOf(ordered.slice(start, start + limit).map(fileObjectOf), start + limit < ordered.length)
    })

  const deleteFile: Batches.Service["deleteFile"] = (id) =>
    Effect.gen(function*() {
      const key = yield* batchKey
      const file = yield* ownFile(key, id)
      const batches = yield* Effect.mapError(store.listBatches(key.id), storeFailure)
      const reading = batches.find((batch) => batch.input_file_id === file.id && active.has(batch.status))
      if (reading !== undefined) {
        return yield* Effect.fail(
          OpenAiError.invalid(
            null,
            `The file ${file.id} is the input of ${reading.id}, which has not ended: cancel it or wait for it first.`
          )
        )
      }
      yield* Effect.mapError(store.deleteFile(key.id, file.id), storeFailure)
      return { id: file.id, object: "file" as const, deleted: true }
    })

  const cancel: Batches.Service["cancel"] = (id) =>
    Effect.gen(function*() {
      const key = yield* batchKey
      const batch = yield* ownBatch(key, id)
      if (batch.status === "cancelling" || batch.status === "cancelled") return batchObjectOf(batch)
      if (!active.has(batch.status)) {
        return yield* Effect.fail({
          status: 409,
          type: "invalid_request_error",
          param: null,
          code: null,
          message: `Cannot cancel a batch with status '${batch.status}'.`
        })
      }
      yield* Effect.mapError(inference.stop(batch.submission), serviceFailure)
      return batchObjectOf(yield* save({ ...batch, status: "cancelling", cancelling_at: yield* nowSeconds }))
    })

  return Batches.of({
    createFile,
    retrieveFile: (id) => Effect.flatMap(batchKey, (key) => Effect.map(ownFile(key, id), fileObjectOf)),
    fileContent: (id) => Effect.flatMap(batchKey, (key) => Effect.as(ownFile(key, id), store.content(key.id, id))),
    listFiles,
    deleteFile,
    finalizeEnded,
    create,
    retrieve,
    list,
    cancel
  })
})

const notConfigured: Failure = {
  status: 404,
  type: "invalid_request_error",
  param: null,
  code: "batch_not_configured",
  message: "This gateway has no batch bucket configured (BACKEND_BATCH_BUCKET): its Batch API is off."
}

/**
 * The Batch API answering every call with a 404 saying it is not configured.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerOff: Layer.Layer<Batches> = Layer.succeed(
  Batches,
  Batches.of({
    createFile: () => Effect.fail(notConfigured),
    retrieveFile: () => Effect.fail(notConfigured),
    fileContent: () => Effect.fail(notConfigured),
    listFiles: () => Effect.fail(notConfigured),
    deleteFile: () => Effect.fail(notConfigured),
    finalizeEnded: Effect.succeed(0),
    create: () => Effect.fail(notConfigured),
    retrieve: () => Effect.fail(notConfigured),
    list: () => Effect.fail(notConfigured),
    cancel: () => Effect.fail(notConfigured)
  })
)

/**
 * How often the background finalizer looks for batches whose jobs have ended (each also ends when it is retrieved or
 * listed).
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultFinalizeEvery: Duration.DurationInput = Duration.minutes(1)

/**
 * The Batch API on `BatchInference` with this configuration (its bucket also holds the files and batches), or off.
 * While the layer lives, a background fiber runs `finalizeEnded` on a `Schedule` every `finalizeEvery`, so that a
 * batch ends (its files written, its cost settled) even if nobody looks at it.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  config: BatchInference.Config | undefined,
  options: { readonly finalizeEvery?: Duration.DurationInput | undefined } = {}
): Layer.Layer<Batches, never, Gateway | Budget | UsageStore | ServiceConfig> =>
  config === undefined
    ? layerOff
    : Layer.scoped(
      Batches,
      Effect.tap(make, (batches) =>
        batches.finalizeEnded.pipe(
          Effect.catchAll((error) => Effect.logWarning("the batch finalizer's pass failed", error.message)),
          Effect.schedule(Schedule.spaced(options.finalizeEvery ?? defaultFinalizeEvery)),
          Effect.forkScoped
        ))
    ).pipe(
      Layer.provide(Layer.merge(BatchInference.layer(config), storeLayer(config)))
    )
