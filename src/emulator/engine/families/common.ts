/**
 * What every native family shares: the parsed request, the answer run, invocation metrics.
 *
 * @internal
 */
import type { Answer } from "../answer.js"
import type { CacheUsage } from "../cache.js"
import type { Conversation } from "../conversation.js"
import { PromptUnits } from "../conversation.js"
import { isInteger, isRecord, type Json } from "../json.js"
import type { InputLimit } from "../limits.js"
import { rejectMalformed } from "../reject.js"
import type { InvokeOutput } from "../types.js"

/** A native request, parsed: the conversation and how to render an answer in the family's format. @internal */
export interface NativeRequest {
  readonly conversation: Conversation
  readonly render: (answer: Answer, usage: NativeUsage) => Omit<InvokeOutput, "usage">
}

/** @internal */
export interface NativeUsage extends CacheUsage {
  readonly outputTokens: number
  readonly latencyMs: number
  readonly firstByteLatencyMs: number
}

/** The `amazon-bedrock-invocationMetrics` of a native stream's last chunk. @internal */
export const invocationMetrics = (usage: NativeUsage): Json => {
  const metrics: Json = {
    inputTokenCount: usage.inputTokens,
    outputTokenCount: usage.outputTokens,
    invocationLatency: usage.latencyMs,
    firstByteLatency: usage.firstByteLatencyMs
  }
  if (usage.cachePoints > 0) {
    metrics["cacheReadInputTokenCount"] = usage.cacheRead
    metrics["cacheWriteInputTokenCount"] = usage.cacheWrite
  }
  return metrics
}

/** Adds the invocation metrics to the last chunk. @internal */
export const withMetrics = (chunks: Array<Json>, usage: NativeUsage): Array<Json> => {
  const last = chunks[chunks.length - 1]
  if (last === undefined) return [{ "amazon-bedrock-invocationMetrics": invocationMetrics(usage) }]
  chunks[chunks.length - 1] = { ...last, "amazon-bedrock-invocationMetrics": invocationMetrics(usage) }
  return chunks
}

/** The body as a JSON object, or a "Malformed input request" rejection. @internal */
export const nativeBody = (body: unknown): Json =>
  isRecord(body)
    ? body
    : rejectMalformed([`#: expected type: JSONObject, found: ${
      body === null
        ? "Null"
        : Array.isArray(body)
        ? "JSONArray"
        : typeof body === "string"
        ? "String"
        : typeof body === "number"
        ? "Number"
        : "Boolean"
    }`])

/** Checks required and allowed keys the way the service's JSON-schema validation reports them. @internal */
export const checkKeys = (
  body: Json,
  required: ReadonlyArray<string>,
  allowed: ReadonlyArray<string>,
  prefix = "#"
): void => {
  const problems: Array<string> = []
  for (const key of required) if (body[key] === undefined) problems.push(`${prefix}: required key [${key}] not found`)
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key) && !required.includes(key)) {
      problems.push(`${prefix}: extraneous key [${key}] is not permitted`)
    }
  }
  if (problems.length > 0) rejectMalformed(problems)
}

/** An integer field within bounds, or its default. @internal */
export const intField = (
  body: Json,
  key: string,
  fallback: number,
  min: number,
  max: number,
  prefix = "#"
): number => {
  const value = body[key]
  if (value === undefined || value === null) return fallback
  if (!isInteger(value)) {
    return rejectMalformed([
      `${prefix}/${key}: expected type: Integer, found: ${
        typeof value === "string" ? "String" : typeof value === "number" ? "Number" : "JSONObject"
      }`
    ])
  }
  if (value < min) return rejectMalformed([`${prefix}/${key}: ${value} is not greater or equal to ${min}`])
  if (value > max) return rejectMalformed([`${prefix}/${key}: ${value} is not less or equal to ${max}`])
  return value
}

/** A number field within bounds, or undefined. @internal */
export const numberField = (body: Json, key: string, min: number, max: number, prefix = "#"): number | undefined => {
  const value = body[key]
  if (value === undefined || value === null) return undefined
  if (typeof value !== "number" || !Number.isFinite(value)) {
    return rejectMalformed([
      `${prefix}/${key}: expected type: Number, found: ${typeof value === "string" ? "String" : "JSONObject"}`
    ])
  }
  if (value < min) return rejectMalformed([`${prefix}/${key}: ${value} is not greater or equal to ${min}`])
  if (value > max) return rejectMalformed([`${prefix}/${key}: ${value} is not less or equal to ${max}`])
  return value
}

/** A string field, or a malformed-input rejection. @internal */
export const stringField = (body: Json, key: string, prefix = "#"): string => {
  const value = body[key]
  return typeof value === "string"
    ? value
    : rejectMalformed([
      `${prefix}/${key}: expected type: String, found: ${
        value === null
          ? "Null"
          : Array.isArray(value)
          ? "JSONArray"
          : typeof value === "number"
          ? "Number"
          : "JSONObject"
      }`
    ])
}

/** A list of strings (stop sequences), or []. @internal */
export const stringList = (body: Json, key: string, prefix = "#"): ReadonlyArray<string> => {
  const value = body[key]
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) {
    return rejectMalformed([
      `${prefix}/${key}: expected type: JSONArray, found: ${typeof value === "string" ? "String" : "JSONObject"}`
    ])
  }
  return value.map((s, i) =>
    typeof s === "string" ? s : rejectMalformed([`${prefix}/${key}/${i}: expected type: String, found: ${typeof s}`])
  )
    .filter((s) => s.length > 0)
}

/**
 * The last user text inside a prompt written with a chat template (Llama 3, Llama 2 / Mistral `[INST]`,
 * `Human:` / `User:`), or the prompt itself.
 *
 * @internal
 */
export const promptQuestion = (prompt: string): string => {
  const llama3 = prompt.lastIndexOf("<|start_header_id|>user<|end_header_id|>")
  if (llama3 >= 0) {
    const rest = prompt.slice(llama3 + "<|start_header_id|>user<|end_header_id|>".length)
    const end = rest.indexOf("<|eot_id|>")
    return (end >= 0 ? rest.slice(0, end) : rest).trim()
  }
  const inst = prompt.lastIndexOf("[INST]")
  if (inst >= 0) {
    let rest = prompt.slice(inst + 6)
    const end = rest.indexOf("[/INST]")
    if (end >= 0) rest = rest.slice(0, end)
    const sys = rest.indexOf("<</SYS>>")
    if (sys >= 0) rest = rest.slice(sys + 8)
    return rest.trim()
  }
  for (const marker of ["Human:", "User:"]) {
    const at = prompt.lastIndexOf(marker)
    if (at >= 0) {
      let rest = prompt.slice(at + marker.length)
      for (const end of ["Assistant:", "Bot:"]) {
        const stop = rest.indexOf(end)
        if (stop >= 0) rest = rest.slice(0, stop)
      }
      if (rest.trim().length > 0) return rest.trim()
    }
  }
  return prompt.trim()
}

/** A conversation read from a single raw prompt (completion-style bodies). @internal */
export const promptConversation = (
  prompt: string,
  maxTokens: number,
  stopSequences: ReadonlyArray<string>,
  limit: InputLimit
): Conversation => {
  const units = new PromptUnits(limit)
  units.text("prompt", prompt)
  const question = promptQuestion(prompt)
  return {
    system: [],
    turns: [{ role: "user", parts: question.length > 0 ? [{ kind: "text", text: question }] : [] }],
    tools: [],
    toolChoice: { kind: "auto" },
    maxTokens,
    stopSequences,
    thinking: undefined,
    guardrail: undefined,
    units: units.units
  }
}
