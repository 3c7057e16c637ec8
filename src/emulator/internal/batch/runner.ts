/**
 * Runs one batch job over the S3 store as Bedrock does: counts and checks the input against the quotas, then answers
 * every record with the engine and writes `<input file>.out` (one line per record, `modelOutput` or `error`, not in
 * input order) and `manifest.json.out` under the job's output prefix. Everything is streamed line by line.
 */
import { randomBytes } from "node:crypto"
import { createInterface } from "node:readline"
import { PassThrough } from "node:stream"
import { setImmediate as yieldToEventLoop } from "node:timers/promises"
import type { EngineApi } from "../engineApi.js"
import type { ObjectInfo, ObjectStore } from "../s3/store.js"
import type { BatchQuotas } from "./quotas.js"

export type InvocationType = "InvokeModel" | "Converse"

export interface InputFile {
  readonly bucket: string
  readonly info: ObjectInfo
}

export interface Counts {
  readonly totalRecordCount: number
  readonly processedRecordCount: number
  readonly successRecordCount: number
  readonly errorRecordCount: number
  readonly inputTokenCount: number
  readonly outputTokenCount: number
}

/** Reads an input file line by line (blank lines skipped). */
const lines = (store: ObjectStore, file: InputFile): AsyncIterable<string> =>
  (async function*() {
    const reader = createInterface({ input: store.read(file.info), crlfDelay: Number.POSITIVE_INFINITY })
    for await (const line of reader) {
      if (line.trim() !== "") yield line
    }
  })()

/** Checks the input against the quotas; the total record count, or the message the job fails with. */
export const validateInput = async (
  store: ObjectStore,
  files: ReadonlyArray<InputFile>,
  quotas: BatchQuotas
): Promise<{ readonly ok: true; readonly total: number } | { readonly ok: false; readonly message: string }> => {
  if (files.length === 0) return { ok: false, message: "No .jsonl input files were found at the input S3 location." }
  let total = 0
  let bytes = 0
  for (const file of files) {
    if (file.info.size > quotas.maxFileBytes) {
      return {
        ok: false,
        message: `Input file ${file.info.key} is ${file.info.size} bytes, above the quota of ${quotas.maxFileBytes}.`
      }
    }
    bytes += file.info.size
    let records = 0
    for await (const _line of lines(store, file)) records++
    if (records > quotas.maxRecordsPerFile) {
      return {
        ok: false,
        message:
          `Input file ${file.info.key} has ${records} records, above the quota of ${quotas.maxRecordsPerFile} records per file.`
      }
    }
    total += records
  }
  if (bytes > quotas.maxJobBytes) {
    return { ok: false, message: `The job's input is ${bytes} bytes, above the quota of ${quotas.maxJobBytes}.` }
  }
  if (total > quotas.maxRecordsPerJob) {
    return { ok: false, message: `The job has ${total} records, above the quota of ${quotas.maxRecordsPerJob}.` }
  }
  if (total < quotas.minRecordsPerJob) {
    return {
      ok: false,
      message: `The job has ${total} records, below the minimum of ${quotas.minRecordsPerJob} records per job.`
    }
  }
  return { ok: true, total }
}

const generatedRecordId = (): string => randomBytes(8).toString("hex").slice(0, 11).toUpperCase()

interface Answer {
  readonly line: string
  readonly ok: boolean
  readonly inputTokens: number
  readonly outputTokens: number
}

const numberAt = (value: unknown, ...path: ReadonlyArray<string>): number => {
  let current = value
  for (const key of path) current = (current as Record<string, unknown> | null | undefined)?.[key]
  return typeof current === "number" ? current : 0
}

/** Answers one input line: the output line and its token counts. */
const answer = (engine: Pick<EngineApi, "converse" | "invoke">, modelId: string, type: InvocationType, raw: string) => {
  let record: Record<string, unknown>
  try {
    const parsed: unknown = JSON.parse(raw)
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not an object")
    record = parsed as Record<string, unknown>
  } catch {
    return errorLine(generatedRecordId(), undefined, 400, "The record is not a valid JSON object.")
  }
  const recordId = typeof record["recordId"] === "string" ? record["recordId"] : generatedRecordId()
  const modelInput = record["modelInput"]
  if (typeof modelInput !== "object" || modelInput === null) {
    return errorLine(recordId, modelInput, 400, "The record has no modelInput object.")
  }
  if (type === "Converse") {
    const result = engine.converse(modelId, modelInput)
    if (!result.ok) return errorLine(recordId, modelInput, result.error.status, result.error.message)
    const body = result.value.body
    return successLine(
      recordId,
      modelInput,
      body,
      numberAt(body, "usage", "inputTokens"),
      numberAt(body, "usage", "outputTokens")
    )
  }
  const result = engine.invoke(modelId, modelInput)
  if (!result.ok) return errorLine(recordId, modelInput, result.error.status, result.error.message)
  const last = result.value.chunks[result.value.chunks.length - 1]
  const metrics = last?.["amazon-bedrock-invocationMetrics"]
  const usage = result.value.usage
  return successLine(
    recordId,
    modelInput,
    result.value.body,
    usage?.inputTokens ?? numberAt(metrics, "inputTokenCount"),
    usage?.outputTokens ?? numberAt(metrics, "outputTokenCount")
  )
}

const successLine = (
  recordId: string,
  modelInput: unknown,
  modelOutput: unknown,
  inputTokens: number,
  outputTokens: number
): Answer => ({ line: JSON.stringify({ recordId, modelInput, modelOutput }), ok: true, inputTokens, outputTokens })

const errorLine = (recordId: string, modelInput: unknown, errorCode: number, errorMessage: string): Answer => ({
  line: JSON.stringify({ recordId, modelInput, error: { errorCode, errorMessage } }),
  ok: false,
  inputTokens: 0,
  outputTokens: 0
})

/** How many answers are held and written in reverse, so that the output is not in input order (as on Bedrock). */
const reorderWindow = 16

export interface RunOptions {
  readonly store: ObjectStore
  readonly engine: Pick<EngineApi, "converse" | "invoke">
  readonly modelId: string
  readonly invocationType: InvocationType
  readonly files: ReadonlyArray<InputFile>
  readonly totalRecords: number
  readonly output: { readonly bucket: string; readonly prefix: string }
  /** Stop after this many records (an `Expire` or `PartiallyComplete` fault). */
  readonly limit: number | undefined
  readonly shouldStop: () => boolean
  readonly onProgress: (counts: Counts) => void
}

/** Runs a job; resolves with its counts and whether it was cut short (limit or stop). */
export const runJob = async (options: RunOptions): Promise<{ readonly counts: Counts; readonly cut: boolean }> => {
  let counts: Counts = {
    totalRecordCount: options.totalRecords,
    processedRecordCount: 0,
    successRecordCount: 0,
    errorRecordCount: 0,
    inputTokenCount: 0,
    outputTokenCount: 0
  }
  let cut = false
  for (const file of options.files) {
    if (cut) break
    const name = file.info.key.slice(file.info.key.lastIndexOf("/") + 1)
    const body = new PassThrough()
    const stored = options.store.put(
      options.output.bucket,
      `${options.output.prefix}${name}.out`,
      body,
      "application/jsonl"
    )
    const pending: Array<string> = []
    const flush = async () => {
      for (const line of pending.reverse()) {
        if (!body.write(`${line}\n`)) await new Promise<void>((resolve) => body.once("drain", () => resolve()))
      }
      pending.length = 0
    }
    for await (const raw of lines(options.store, file)) {
      if (options.shouldStop() || (options.limit !== undefined && counts.processedRecordCount >= options.limit)) {
        cut = true
        break
      }
      const result = answer(options.engine, options.modelId, options.invocationType, raw)
      counts = {
        ...counts,
        processedRecordCount: counts.processedRecordCount + 1,
        successRecordCount: counts.successRecordCount + (result.ok ? 1 : 0),
        errorRecordCount: counts.errorRecordCount + (result.ok ? 0 : 1),
        inputTokenCount: counts.inputTokenCount + result.inputTokens,
        outputTokenCount: counts.outputTokenCount + result.outputTokens
      }
      pending.push(result.line)
      if (pending.length >= reorderWindow) {
        await flush()
        options.onProgress(counts)
        await yieldToEventLoop()
      }
    }
    await flush()
    body.end()
    await stored
  }
  const manifest = new PassThrough()
  const written = options.store.put(
    options.output.bucket,
    `${options.output.prefix}manifest.json.out`,
    manifest,
    "application/json"
  )
  manifest.end(JSON.stringify(counts))
  await written
  options.onProgress(counts)
  return { counts, cut }
}
