/**
 * Bedrock's control-plane operations for batch inference on their REST paths, as `@aws-sdk/client-bedrock` calls
 * them: `POST /model-invocation-job` (CreateModelInvocationJob), `GET /model-invocation-job/{jobIdentifier}`
 * (GetModelInvocationJob), `GET /model-invocation-jobs` (ListModelInvocationJobs, with its filters and paging) and
 * `POST /model-invocation-job/{jobIdentifier}/stop` (StopModelInvocationJob). Timestamps are ISO 8601 strings, the
 * JSON protocol's default.
 */
import { bedrockError, validation, type WireError } from "../wire.js"
import { type Job, type JobStatus, type JobTable, parseS3Uri, terminalStatuses } from "./jobs.js"

export type BatchReply = { readonly status: number; readonly body: unknown } | { readonly error: WireError }

const jobNamePattern = /^[a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9+\-.]){0,63}$/
const roleArnPattern = /^arn:aws(-[^:]+)?:iam::([0-9]{12})?:role\/.+$/
const statuses: ReadonlyArray<JobStatus> = [
  "Submitted",
  "InProgress",
  "Completed",
  "Failed",
  "Stopping",
  "Stopped",
  "PartiallyCompleted",
  "Expired",
  "Validating",
  "Scheduled"
]

const constraint = (value: unknown, member: string, rule: string): WireError =>
  validation(
    `1 validation error detected: Value '${String(value)}' at '${member}' failed to satisfy constraint: ${rule}`
  )

/** Whether a request path is one of the batch operations. */
export const isBatchPath = (path: string): boolean =>
  path === "/model-invocation-job" || path === "/model-invocation-jobs" || path.startsWith("/model-invocation-job/")

const describe = (job: Job): Record<string, unknown> => {
  const summary: Record<string, unknown> = {
    jobArn: job.jobArn,
    jobName: job.jobName,
    modelId: job.modelId,
    roleArn: job.roleArn,
    status: job.status,
    submitTime: job.submitTime.toISOString(),
    lastModifiedTime: job.lastModifiedTime.toISOString(),
    inputDataConfig: { s3InputDataConfig: { s3Uri: job.inputUri, s3InputFormat: "JSONL" } },
    outputDataConfig: { s3OutputDataConfig: { s3Uri: job.outputUri } },
    timeoutDurationInHours: job.timeoutDurationInHours,
    jobExpirationTime: new Date(job.submitTime.getTime() + job.timeoutDurationInHours * 3_600_000).toISOString(),
    modelInvocationType: job.invocationType
  }
  if (job.clientRequestToken !== undefined) summary["clientRequestToken"] = job.clientRequestToken
  if (job.message !== undefined) summary["message"] = job.message
  if (job.endTime !== undefined) summary["endTime"] = job.endTime.toISOString()
  if (job.counts !== undefined) {
    summary["totalRecordCount"] = job.counts.totalRecordCount
    summary["processedRecordCount"] = job.counts.processedRecordCount
    summary["successRecordCount"] = job.counts.successRecordCount
    summary["errorRecordCount"] = job.counts.errorRecordCount
  }
  return summary
}

const notFound = (identifier: string): BatchReply => ({
  error: bedrockError("ResourceNotFoundException", `The model invocation job ${identifier} was not found.`)
})

const s3Uri = (config: unknown, member: string, key: string): string | WireError => {
  const inner = (config as Record<string, unknown> | undefined)?.[member] as Record<string, unknown> | undefined
  const uri = inner?.[key]
  if (typeof uri !== "string" || parseS3Uri(uri) === undefined) {
    return constraint(
      uri,
      `${key}`,
      "Member must satisfy regular expression pattern: ^s3://[a-z0-9][\\.\\-a-z0-9]{1,61}[a-z0-9](/.*)?$"
    )
  }
  return uri
}

const create = (jobs: JobTable, body: Record<string, unknown>, knownModel: (id: string) => boolean): BatchReply => {
  const { jobName, roleArn, modelId, clientRequestToken, timeoutDurationInHours, modelInvocationType, tags } = body
  if (typeof jobName !== "string" || !jobNamePattern.test(jobName)) {
    return {
      error: constraint(jobName, "jobName", `Member must satisfy regular expression pattern: ${jobNamePattern.source}`)
    }
  }
  if (typeof roleArn !== "string" || !roleArnPattern.test(roleArn)) {
    return {
      error: constraint(roleArn, "roleArn", `Member must satisfy regular expression pattern: ${roleArnPattern.source}`)
    }
  }
  if (typeof modelId !== "string" || modelId === "") {
    return { error: constraint(modelId, "modelId", "Member must not be null") }
  }
  if (!knownModel(modelId)) return { error: validation(`The provided model identifier is invalid.`) }
  const input = s3Uri(body["inputDataConfig"], "s3InputDataConfig", "s3Uri")
  if (typeof input !== "string") return { error: input }
  const output = s3Uri(body["outputDataConfig"], "s3OutputDataConfig", "s3Uri")
  if (typeof output !== "string") return { error: output }
  const hours = timeoutDurationInHours ?? 168
  if (typeof hours !== "number" || !Number.isInteger(hours) || hours < 24 || hours > 168) {
    return { error: constraint(hours, "timeoutDurationInHours", "Member must have value between 24 and 168") }
  }
  const type = modelInvocationType ?? "InvokeModel"
  if (type !== "InvokeModel" && type !== "Converse") {
    return {
      error: constraint(type, "modelInvocationType", "Member must satisfy enum value set: [InvokeModel, Converse]")
    }
  }
  if (typeof clientRequestToken === "string") {
    const existing = jobs.byToken(clientRequestToken)
    if (existing !== undefined) return { status: 200, body: { jobArn: existing.jobArn } }
  }
  const rejected = jobs.rejection()
  if (rejected !== undefined) return { error: validation(rejected) }
  const job = jobs.create({
    jobName,
    roleArn,
    modelId,
    clientRequestToken: typeof clientRequestToken === "string" ? clientRequestToken : undefined,
    invocationType: type,
    inputUri: input,
    outputUri: output,
    timeoutDurationInHours: hours,
    tags: Array.isArray(tags) ? tags as Array<{ key: string; value: string }> : []
  })
  return { status: 200, body: { jobArn: job.jobArn } }
}

const list = (jobs: JobTable, query: URLSearchParams): BatchReply => {
  const status = query.get("statusEquals")
  if (status !== null && !statuses.includes(status as JobStatus)) {
    return { error: constraint(status, "statusEquals", `Member must satisfy enum value set: [${statuses.join(", ")}]`) }
  }
  const max = Number(query.get("maxResults") ?? 1000)
  if (!Number.isInteger(max) || max < 1 || max > 1000) {
    return { error: constraint(max, "maxResults", "Member must have value between 1 and 1000") }
  }
  const after = query.get("submitTimeAfter")
  const before = query.get("submitTimeBefore")
  const name = query.get("nameContains")
  const descending = (query.get("sortOrder") ?? "Descending") === "Descending"
  const matching = jobs.all().filter((job) =>
    (status === null || job.status === status) &&
    (name === null || job.jobName.includes(name)) &&
    (after === null || job.submitTime.getTime() > Date.parse(after)) &&
    (before === null || job.submitTime.getTime() < Date.parse(before))
  ).sort((a, b) => (a.submitTime.getTime() - b.submitTime.getTime()) * (descending ? -1 : 1))
  const start = Number(query.get("nextToken") ?? 0)
  if (!Number.isInteger(start) || start < 0) return { error: validation("The nextToken is invalid.") }
  const page = matching.slice(start, start + max)
  const next = start + max < matching.length ? { nextToken: String(start + max) } : {}
  return { status: 200, body: { invocationJobSummaries: page.map(describe), ...next } }
}

/** Answers a batch operation; `undefined` when the method and path are no batch operation. */
export const handleBatch = (
  jobs: JobTable,
  method: string,
  path: string,
  query: URLSearchParams,
  body: unknown,
  knownModel: (id: string) => boolean
): BatchReply | undefined => {
  if (method === "POST" && path === "/model-invocation-job") {
    if (typeof body !== "object" || body === null) return { error: validation("Malformed request body.") }
    return create(jobs, body as Record<string, unknown>, knownModel)
  }
  if (method === "GET" && path === "/model-invocation-jobs") return list(jobs, query)
  const segments = path.split("/")
  const identifier = segments[2] === undefined ? undefined : decodeURIComponent(segments[2])
  if (identifier === undefined || identifier === "") return undefined
  if (method === "GET" && segments.length === 3) {
    const job = jobs.find(identifier)
    return job === undefined ? notFound(identifier) : { status: 200, body: describe(job) }
  }
  if (method === "POST" && segments.length === 4 && segments[3] === "stop") {
    const job = jobs.find(identifier)
    if (job === undefined) return notFound(identifier)
    if (terminalStatuses.has(job.status) || job.status === "Stopping") {
      return { error: validation(`The job ${identifier} cannot be stopped: it is ${job.status}.`) }
    }
    jobs.stop(job)
    return { status: 200, body: {} }
  }
  return undefined
}
