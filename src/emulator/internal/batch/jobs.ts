/**
 * The emulator's batch inference jobs: their table, their states (Submitted, Validating, Scheduled, InProgress, then
 * Completed, PartiallyCompleted, Failed, Stopping, Stopped or Expired) and the timeline that moves them, either on a
 * timer (`stepMs` per state) or only when a test calls `advance()`.
 */
import { randomBytes } from "node:crypto"
import type { EngineApi } from "../engineApi.js"
import type { ObjectStore } from "../s3/store.js"
import type { JobFault } from "./faults.js"
import type { BatchQuotas } from "./quotas.js"
import { type Counts, type InputFile, type InvocationType, runJob, validateInput } from "./runner.js"

export type JobStatus =
  | "Submitted"
  | "Validating"
  | "Scheduled"
  | "InProgress"
  | "Completed"
  | "PartiallyCompleted"
  | "Failed"
  | "Stopping"
  | "Stopped"
  | "Expired"

export const terminalStatuses: ReadonlySet<JobStatus> = new Set([
  "Completed",
  "PartiallyCompleted",
  "Failed",
  "Stopped",
  "Expired"
])

/** How the jobs' states move: a timer per state, or only on `advance()`. */
export type Timeline = { readonly stepMs: number } | "manual"

/** What CreateModelInvocationJob asks for. */
export interface NewJob {
  readonly jobName: string
  readonly modelId: string
  readonly roleArn: string
  readonly clientRequestToken: string | undefined
  readonly invocationType: InvocationType
  readonly inputUri: string
  readonly outputUri: string
  readonly timeoutDurationInHours: number
  readonly tags: ReadonlyArray<{ readonly key: string; readonly value: string }>
}

/** A job: what was asked, and its state. */
export interface Job extends NewJob {
  readonly jobArn: string
  readonly jobId: string
  readonly submitTime: Date
  status: JobStatus
  message: string | undefined
  lastModifiedTime: Date
  endTime: Date | undefined
  counts: Counts | undefined
  stopRequested: boolean
  readonly fault: JobFault | undefined
}

export interface JobTable {
  readonly create: (job: NewJob) => Job
  readonly byToken: (token: string) => Job | undefined
  /** By job id or ARN. */
  readonly find: (identifier: string) => Job | undefined
  readonly all: () => ReadonlyArray<Job>
  readonly stop: (job: Job) => void
  /** Moves every job that is not finished one state on; resolves when the moves are done. */
  readonly advance: () => Promise<void>
  /** The fault the next created job gets (a `RejectCreate` waits for its create instead). */
  readonly injectFault: (fault: JobFault) => void
  /** The message to reject this create with, when a `RejectCreate` fault is due; counts the create otherwise. */
  readonly rejection: () => string | undefined
  /** Resolves when no job is running a step. */
  readonly idle: () => Promise<void>
  readonly shutdown: () => void
}

const account = "123456789012"
const region = "us-east-1"
const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

const newJobId = (): string => Array.from(randomBytes(12), (byte) => alphabet[byte % alphabet.length]).join("")

/** `s3://bucket/key` as bucket and key. */
export const parseS3Uri = (uri: string): { readonly bucket: string; readonly key: string } | undefined => {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(uri)
  return match === null ? undefined : { bucket: match[1]!, key: match[2] ?? "" }
}

const inputFiles = (store: ObjectStore, uri: string): ReadonlyArray<InputFile> | string => {
  const location = parseS3Uri(uri)
  if (location === undefined || !store.hasBucket(location.bucket)) {
    return `Unable to access the input S3 location ${uri}.`
  }
  if (location.key.endsWith(".jsonl")) {
    const found = store.head(location.bucket, location.key)
    return found.ok ? [{ bucket: location.bucket, info: found.value }] : `The input file ${uri} does not exist.`
  }
  const files: Array<InputFile> = []
  let after = ""
  for (let page = 0; page < 10_000; page++) {
    const listed = store.list(location.bucket, location.key, after, 1000)
    if (!listed.ok) return listed.error.message
    for (const info of listed.value.objects) {
      if (info.key.endsWith(".jsonl")) files.push({ bucket: location.bucket, info })
    }
    const last = listed.value.objects[listed.value.objects.length - 1]
    if (!listed.value.truncated || last === undefined) break
    after = last.key
  }
  return files
}

export interface JobTableOptions {
  readonly store: ObjectStore
  readonly engine: Pick<EngineApi, "converse" | "invoke">
  readonly quotas: BatchQuotas
  readonly timeline: Timeline
}

/** The job table and its timeline. */
export const makeJobTable = (options: JobTableOptions): JobTable => {
  const jobs = new Map<string, Job>()
  const tokens = new Map<string, Job>()
  const faults: Array<JobFault> = []
  let rejectCreate: { remaining: number; readonly message: string } | undefined
  const running = new Set<Promise<void>>()
  const timers = new Set<NodeJS.Timeout>()
  let stopped = false

  const set = (job: Job, status: JobStatus, message?: string) => {
    if (terminalStatuses.has(job.status)) return
    job.status = status
    job.lastModifiedTime = new Date()
    if (message !== undefined) job.message = message
    if (terminalStatuses.has(status)) job.endTime = job.lastModifiedTime
  }

  const validate = async (job: Job) => {
    if (job.fault?._tag === "Fail") {
      return set(job, "Failed", job.fault.message ?? "The job failed (an emulator fault).")
    }
    const files = inputFiles(options.store, job.inputUri)
    if (typeof files === "string") return set(job, "Failed", files)
    const checked = await validateInput(options.store, files, options.quotas)
    if (!checked.ok) return set(job, "Failed", checked.message)
    job.counts = {
      totalRecordCount: checked.total,
      processedRecordCount: 0,
      successRecordCount: 0,
      errorRecordCount: 0,
      inputTokenCount: 0,
      outputTokenCount: 0
    }
    set(job, "Scheduled")
  }

  const run = async (job: Job) => {
    const files = inputFiles(options.store, job.inputUri)
    const output = parseS3Uri(job.outputUri)
    if (typeof files === "string" || output === undefined || !options.store.hasBucket(output.bucket)) {
      return set(job, "Failed", typeof files === "string" ? files : `Unable to access the output S3 location.`)
    }
    const prefix = output.key === "" || output.key.endsWith("/") ? output.key : `${output.key}/`
    const limit = job.fault?._tag === "Expire" || job.fault?._tag === "PartiallyComplete"
      ? job.fault.afterRecords
      : undefined
    const result = await runJob({
      store: options.store,
      engine: options.engine,
      modelId: job.modelId,
      invocationType: job.invocationType,
      files,
      totalRecords: job.counts?.totalRecordCount ?? 0,
      output: { bucket: output.bucket, prefix: `${prefix}${job.jobId}/` },
      limit,
      shouldStop: () => job.stopRequested || stopped,
      onProgress: (counts) => {
        job.counts = counts
      }
    })
    job.counts = result.counts
    if (job.stopRequested) return set(job, "Stopped")
    if (result.cut && job.fault?._tag === "Expire") {
      return set(job, "Expired", "The job reached its timeout before all records were processed.")
    }
    if (result.cut) return set(job, "PartiallyCompleted", "Not all records could be processed in time.")
    set(job, "Completed")
  }

  /** The states that only move on; Validating and InProgress do their work instead. */
  const moves: Partial<Record<JobStatus, JobStatus>> = {
    Submitted: "Validating",
    Scheduled: "InProgress",
    Stopping: "Stopped"
  }

  /** One move of a job's state; returns whether the job has further states. */
  const step = async (job: Job): Promise<boolean> => {
    const next = moves[job.status]
    if (next !== undefined) set(job, next)
    else if (job.status === "Validating") await validate(job)
    else if (job.status === "InProgress") await run(job)
    return !terminalStatuses.has(job.status)
  }

  const track = (work: Promise<void>) => {
    running.add(work)
    void work.finally(() => running.delete(work))
    return work
  }

  const schedule = (job: Job, stepMs: number) => {
    const timer = setTimeout(() => {
      timers.delete(timer)
      if (stopped) return
      void track(
        step(job).then((more) => {
          if (more) schedule(job, stepMs)
        }, () => set(job, "Failed", "Internal error while running the job."))
      )
    }, stepMs)
    timers.add(timer)
  }

  const table: JobTable = {
    create: (spec) => {
      const jobId = newJobId()
      const now = new Date()
      const job: Job = {
        ...spec,
        jobId,
        jobArn: `arn:aws:bedrock:${region}:${account}:model-invocation-job/${jobId}`,
        submitTime: now,
        status: "Submitted",
        message: undefined,
        lastModifiedTime: now,
        endTime: undefined,
        counts: undefined,
        stopRequested: false,
        fault: faults.shift()
      }
      jobs.set(jobId, job)
      if (spec.clientRequestToken !== undefined) tokens.set(spec.clientRequestToken, job)
      if (options.timeline !== "manual") schedule(job, options.timeline.stepMs)
      return job
    },
    byToken: (token) => tokens.get(token),
    find: (identifier) => jobs.get(identifier.slice(identifier.lastIndexOf("/") + 1)),
    all: () => Array.from(jobs.values()),
    stop: (job) => {
      job.stopRequested = true
      set(job, job.status === "InProgress" || options.timeline === "manual" ? "Stopping" : "Stopped")
    },
    advance: async () => {
      const moves = Array.from(jobs.values()).filter((job) => !terminalStatuses.has(job.status)).map((job) =>
        track(step(job).then(() => undefined))
      )
      await Promise.all(moves)
    },
    injectFault: (fault) => {
      if (fault._tag === "RejectCreate") {
        rejectCreate = {
          remaining: fault.afterCreates ?? 0,
          message: fault.message ?? "The job was rejected (an emulator fault)."
        }
      } else {
        faults.push(fault)
      }
    },
    rejection: () => {
      if (rejectCreate === undefined) return undefined
      if (rejectCreate.remaining-- > 0) return undefined
      const { message } = rejectCreate
      rejectCreate = undefined
      return message
    },
    idle: async () => {
      while (running.size > 0) await Promise.all(running)
    },
    shutdown: () => {
      stopped = true
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
    }
  }
  return table
}
