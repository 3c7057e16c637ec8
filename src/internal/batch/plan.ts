/**
 * Writes a stream of records to S3 as the input of one or more jobs, split where Bedrock's quotas require: a new
 * file when a file would pass its record or byte quota, a new job when a job would pass its own. The last
 * `minRecordsPerJob` records are held back so that the last job never falls below the minimum (they join the last
 * job, or make one of their own). Every record is validated before it is written (a record id given twice is refused
 * with both positions); on any failure every upload is aborted and every finished object deleted, so a failed
 * submission leaves nothing behind and creates no job.
 */
import { DeleteObjectCommand, type S3Client } from "@aws-sdk/client-s3"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type * as ModelCatalog from "../../ModelCatalog.js"
import { BatchNotPossible, type BatchServiceError, InvalidRecord, TooFewRecords } from "./errors.js"
import {
  type BatchRecord,
  checkRecord,
  generatedRecordId,
  type InvocationType,
  invocationTypeOf,
  jsonLine
} from "./records.js"
import { type ObjectWriter, openObjectWriter } from "./upload.js"

export interface Quotas {
  readonly minRecordsPerJob: number
  readonly maxRecordsPerFile: number
  readonly maxRecordsPerJob: number
  readonly maxFileBytes: number
  readonly maxJobBytes: number
}

export interface PlannedJob {
  readonly index: number
  /** Key prefix of the job's input files (the job's input S3 location). */
  readonly inputPrefix: string
  readonly outputPrefix: string
  readonly records: number
  readonly bytes: number
}

export interface Plan {
  readonly invocationType: InvocationType
  readonly jobs: ReadonlyArray<PlannedJob>
  /** Every object written (to delete when the jobs cannot be created). */
  readonly inputKeys: ReadonlyArray<string>
}

/** Deletes objects, ignoring failures (a clean-up that must not hide the error that caused it). */
export const deleteObjects = (client: S3Client, bucket: string, keys: ReadonlyArray<string>): Effect.Effect<void> =>
  Effect.forEach(
    keys,
    (key) =>
      Effect.promise(() => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined)),
    { discard: true }
  )

export interface PlanOptions {
  readonly client: S3Client
  readonly bucket: string
  /** Key prefix of this submission, ending in `/`. */
  readonly prefix: string
  /** Tag of generated record ids. */
  readonly tag: string
  readonly modelId: string
  readonly model: ModelCatalog.ModelInfo | undefined
  readonly quotas: Quotas
  readonly partBytes: number
  /** Called after each record is accepted (progress). */
  readonly onRecord?: ((count: number) => void) | undefined
}

interface Line {
  readonly text: string
  readonly bytes: number
}

interface OpenFile {
  readonly writer: ObjectWriter
  records: number
  bytes: number
}

interface OpenJob {
  readonly index: number
  records: number
  bytes: number
  files: number
  file: OpenFile | undefined
}

/** Uploads the records as job inputs; the jobs to create. */
export const writeJobInputs = <E, R>(
  records: Stream.Stream<BatchRecord, E, R>,
  options: PlanOptions
): Effect.Effect<Plan, E | InvalidRecord | TooFewRecords | BatchNotPossible | BatchServiceError, R> =>
  Effect.suspend(() => {
    const { quotas } = options
    const held: Array<Line> = []
    const finished: Array<PlannedJob> = []
    const written: Array<string> = []
    /** The position of each record id the caller gave (generated ids are unique by construction). */
    const givenIds = new Map<string, number>()
    let type: InvocationType | undefined
    let count = 0
    let job: OpenJob | undefined
    let openWriter: ObjectWriter | undefined

    const inputPrefix = (index: number) => `${options.prefix}input/job-${index}/`
    const outputPrefix = (index: number) => `${options.prefix}output/job-${index}/`

    const closeFile = Effect.suspend(() => {
      const file = job?.file
      if (file === undefined) return Effect.void
      job!.file = undefined
      return file.writer.complete.pipe(Effect.tap(() => {
        openWriter = undefined
        written.push(file.writer.key)
      }))
    })

    const closeJob = Effect.suspend(() => {
      const current = job
      if (current === undefined) return Effect.void
      return closeFile.pipe(Effect.flatMap(() => {
        job = undefined
        if (current.records < quotas.minRecordsPerJob) {
          return new BatchNotPossible({
            modelId: options.modelId,
            message:
              `job ${current.index} would hold ${current.records} records, below the minimum of ${quotas.minRecordsPerJob}: the records are too large for the job size quota`
          })
        }
        finished.push({
          index: current.index,
          inputPrefix: inputPrefix(current.index),
          outputPrefix: outputPrefix(current.index),
          records: current.records,
          bytes: current.bytes
        })
        return Effect.void
      }))
    })

    const openJob = Effect.suspend(() => {
      job = { index: finished.length + 1, records: 0, bytes: 0, files: 0, file: undefined }
      return Effect.void
    })

    const jobFull = (current: OpenJob, records: number, bytes: number) =>
      current.records + records > quotas.maxRecordsPerJob || current.bytes + bytes > quotas.maxJobBytes

    const write = (line: Line, newJob: boolean) =>
      Effect.gen(function*() {
        if (line.bytes > quotas.maxFileBytes) {
          return yield* new BatchNotPossible({
            modelId: options.modelId,
            message: `a record of ${line.bytes} bytes is larger than the input file size quota`
          })
        }
        if (job === undefined || newJob || jobFull(job, 1, line.bytes)) {
          yield* closeJob
          yield* openJob
        }
        const current = job!
        const file = current.file
        if (
          file === undefined || file.records + 1 > quotas.maxRecordsPerFile ||
          file.bytes + line.bytes > quotas.maxFileBytes
        ) {
          yield* closeFile
          current.files++
          const writer = yield* openObjectWriter(
            options.client,
            options.bucket,
            `${inputPrefix(current.index)}part-${current.files}.jsonl`,
            options.partBytes
          )
          openWriter = writer
          current.file = { writer, records: 0, bytes: 0 }
        }
        yield* current.file!.writer.write(line.text)
        current.file!.records++
        current.file!.bytes += line.bytes
        current.records++
        current.bytes += line.bytes
      })

    const accept = (record: BatchRecord) =>
      Effect.gen(function*() {
        const index = count
        const recordId = record.recordId ?? generatedRecordId(options.tag, index)
        if (record.recordId !== undefined) {
          const first = givenIds.get(recordId)
          if (first !== undefined) {
            return yield* new InvalidRecord({
              recordId,
              index,
              message:
                `record ${recordId} (#${index}): the record id of record #${first} too; record ids must be unique`
            })
          }
          givenIds.set(recordId, index)
        }
        type ??= invocationTypeOf(record)
        const problem = checkRecord(record, type, options.model)
        if (problem !== undefined) {
          return yield* new InvalidRecord({ recordId, index, message: `record ${recordId} (#${index}): ${problem}` })
        }
        const text = jsonLine(recordId, record)
        held.push({ text, bytes: Buffer.byteLength(text, "utf8") })
        count++
        options.onRecord?.(count)
        if (held.length > quotas.minRecordsPerJob) yield* write(held.shift()!, false)
      })

    const finish = Effect.gen(function*() {
      if (count < quotas.minRecordsPerJob) {
        return yield* new TooFewRecords({
          count,
          minimum: quotas.minRecordsPerJob,
          message: `a batch needs at least ${quotas.minRecordsPerJob} records, got ${count}; nothing was uploaded`
        })
      }
      const tailBytes = held.reduce((sum, line) => sum + line.bytes, 0)
      const ownJob = job !== undefined && jobFull(job, held.length, tailBytes)
      for (const [position, line] of held.entries()) yield* write(line, ownJob && position === 0)
      yield* closeJob
      return { invocationType: type!, jobs: finished, inputKeys: written }
    })

    const cleanUp = Effect.suspend(() =>
      Effect.zipRight(deleteObjects(options.client, options.bucket, written), openWriter?.abort ?? Effect.void)
    )

    return Stream.runForEach(records, accept).pipe(
      Effect.zipRight(finish),
      Effect.onError(() => cleanUp)
    )
  })
