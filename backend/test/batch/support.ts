/**
 * The Batch API's tests: a service whose Batch API runs on the emulator's batch jobs (on the manual timeline, moved
 * on by `finishJobs`) and its S3 server, input files as JSONL, and the official `openai` client.
 */
import * as Effect from "effect/Effect"
import type OpenAI from "openai"
import { toFile } from "openai"
import { clientOf } from "../openai/support.js"
import { call, startService, type TestService } from "../support/service.js"

/** A model with a batch price in the catalog; the emulator answers for it. */
export const batchModel = "anthropic.claude-3-haiku-20240307-v1:0"

/** The service with the Batch API on, jobs moving only when `finishJobs` moves them. */
export const batchService = Effect.gen(function*() {
  const service = yield* startService({
    emulator: { batch: { timeline: "manual", quotas: { minRecordsPerJob: 1 } } },
    batch: { quotas: { minRecordsPerJob: 1 } }
  })
  const key = yield* service.createKey()
  return { service, key, client: clientOf(service, key.secret) }
})

/** Moves every job through all its states (validation, scheduling, the run, the end). */
export const finishJobs = (service: TestService) =>
  Effect.promise(async () => {
    for (let step = 0; step < 8; step++) await service.emulator.batch!.advance()
  })

/** One request line of an input file. */
export const requestLine = (customId: string, prompt: string, body: Record<string, unknown> = {}) => ({
  custom_id: customId,
  method: "POST",
  url: "/v1/chat/completions",
  body: { model: batchModel, messages: [{ role: "user", content: prompt }], max_tokens: 64, ...body }
})

/** Uploads lines (objects are written as JSON, strings as they are) as a batch input file. */
export const upload = async (client: OpenAI, lines: ReadonlyArray<unknown>) =>
  client.files.create({
    file: await toFile(
      Buffer.from(lines.map((line) => typeof line === "string" ? line : JSON.stringify(line)).join("\n")),
      "input.jsonl"
    ),
    purpose: "batch"
  })

/** Submits an uploaded file. */
export const submit = (client: OpenAI, fileId: string) =>
  client.batches.create({
    input_file_id: fileId,
    endpoint: "/v1/chat/completions",
    completion_window: "24h",
    metadata: { purpose: "test" }
  })

/** One line of an output or error file. */
export interface ResultLine {
  readonly id: string
  readonly custom_id: string
  readonly response: { readonly status_code: number; readonly request_id: string; readonly body: any } | null
  readonly error: { readonly code: string; readonly message: string } | null
}

/** A file's lines through `client.files.content`. */
export const resultLines = (client: OpenAI, fileId: string) =>
  Effect.promise(async () => {
    const text = await (await client.files.content(fileId)).text()
    return text.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as ResultLine)
  })

/** The key's month as the admin API reports it. */
export const monthOf = (service: TestService, keyId: string) =>
  Effect.map(
    call(`${service.url}/admin/keys/${keyId}`, { token: service.adminKey }),
    (answer) => answer.body.month as { readonly spentUsd: number; readonly committedUsd: number }
  )
