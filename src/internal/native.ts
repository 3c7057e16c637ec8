/**
 * What the native model families share: JSON readers, base64, usage and invocation metrics, the request fields every
 * body takes from a `ModelConfig`, and a writer of library stream events from native chunks.
 *
 * @internal
 */
import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"
import * as Predicate from "effect/Predicate"
import type { ModelConfig } from "../BedrockConfig.js"
import type * as Message from "../Message.js"
import * as Response from "../Response.js"
import { defined } from "./defined.js"
import { parseJson } from "./json.js"

/** A JSON object. */
export type Json = { [key: string]: unknown }

/**
 * The `amazon-bedrock-invocationMetrics` of a native stream's last chunk (InvokeModel sends the same numbers as
 * `x-amzn-bedrock-*` response headers). Public as `NativeBody.InvocationMetrics`.
 */
export interface InvocationMetrics {
  readonly inputTokenCount?: number | undefined
  readonly outputTokenCount?: number | undefined
  readonly invocationLatency?: number | undefined
  readonly firstByteLatency?: number | undefined
  readonly cacheReadInputTokenCount?: number | undefined
  readonly cacheWriteInputTokenCount?: number | undefined
}

/** A string field, or undefined. */
export const stringAt = (json: Json, key: string): string | undefined => {
  const value = json[key]
  return typeof value === "string" ? value : undefined
}

/** A finite number field, or undefined. */
export const numberAt = (json: Json, key: string): number | undefined => {
  const value = json[key]
  return typeof value === "number" && Number.isFinite(value) ? value : undefined
}

/** An object field, or undefined. */
export const recordAt = (json: Json, key: string): Json | undefined => {
  const value = json[key]
  return Predicate.isRecord(value) ? value : undefined
}

/** An array field, or an empty array. */
export const arrayAt = (json: Json, key: string): ReadonlyArray<unknown> => {
  const value = json[key]
  return Array.isArray(value) ? value : []
}

/** Bytes as base64. */
export const toBase64 = (bytes: Uint8Array): string => Encoding.encodeBase64(bytes)

/** Base64 as bytes, or undefined when it is not base64. */
export const fromBase64 = (text: string): Uint8Array | undefined => Either.getOrUndefined(Encoding.decodeBase64(text))

/** A JSON value as text; strings stay as they are. */
export const jsonText = (value: unknown): string => typeof value === "string" ? value : JSON.stringify(value) ?? "null"

/** Parses one native chunk (bytes of a JSON object) or accepts an already parsed one. */
export const chunkJson = (chunk: Uint8Array | Json): Either.Either<Json, string> => {
  if (!(chunk instanceof Uint8Array)) return Either.right(chunk)
  const value = Either.getOrUndefined(parseJson(new TextDecoder().decode(chunk)))
  return Predicate.isRecord(value) ? Either.right(value) : Either.left("a native stream chunk is not a JSON object")
}

/** The `amazon-bedrock-invocationMetrics` a chunk carries, and the chunk without them. */
export const splitMetrics = (
  chunk: Json
): { readonly chunk: Json; readonly metrics: InvocationMetrics | undefined } => {
  const raw = chunk["amazon-bedrock-invocationMetrics"]
  if (!Predicate.isRecord(raw)) return { chunk, metrics: undefined }
  const { ["amazon-bedrock-invocationMetrics"]: _, ...rest } = chunk
  return {
    chunk: rest,
    metrics: defined({
      inputTokenCount: numberAt(raw, "inputTokenCount"),
      outputTokenCount: numberAt(raw, "outputTokenCount"),
      invocationLatency: numberAt(raw, "invocationLatency"),
      firstByteLatency: numberAt(raw, "firstByteLatency"),
      cacheReadInputTokenCount: numberAt(raw, "cacheReadInputTokenCount"),
      cacheWriteInputTokenCount: numberAt(raw, "cacheWriteInputTokenCount")
    })
  }
}

const count = (n: number | undefined): number => n === undefined || n < 0 ? 0 : Math.round(n)

/** A usage record; cache counts appear only when given. */
export const usage = (
  inputTokens: number | undefined,
  outputTokens: number | undefined,
  cacheRead?: number | undefined,
  cacheWrite?: number | undefined
): Response.Usage => {
  const input = count(inputTokens)
  const output = count(outputTokens)
  return {
    inputTokens: input,
    outputTokens: output,
    totalTokens: input + output + count(cacheRead) + count(cacheWrite),
    ...(cacheRead !== undefined ? { cacheReadInputTokens: count(cacheRead) } : {}),
    ...(cacheWrite !== undefined ? { cacheWriteInputTokens: count(cacheWrite) } : {})
  }
}

const nonZero = (n: number | undefined): number | undefined => n === undefined || n <= 0 ? undefined : n

/**
 * Usage from invocation metrics (stream chunks, or the `x-amzn-bedrock-*` headers of InvokeModel); zero cache counts
 * are left out (the headers carry them on every call, Converse reports them only when a cache was used).
 */
export const usageFromMetrics = (metrics: InvocationMetrics | undefined): Response.Usage => {
  if (metrics === undefined) return Response.Usage.empty
  const read = nonZero(metrics.cacheReadInputTokenCount)
  const write = nonZero(metrics.cacheWriteInputTokenCount)
  const cached = read !== undefined || write !== undefined
  return usage(
    metrics.inputTokenCount,
    metrics.outputTokenCount,
    cached ? read ?? 0 : undefined,
    cached ? write ?? 0 : undefined
  )
}

/** A response from its parts. */
export const response = (
  content: ReadonlyArray<Message.ContentBlock>,
  stopReason: Response.StopReason,
  usageRecord: Response.Usage,
  requestId: string | undefined,
  metrics?: InvocationMetrics | undefined
): Response.Response => ({
  message: { role: "assistant", content },
  stopReason,
  usage: usageRecord,
  ...(metrics?.invocationLatency !== undefined ? { latencyMs: count(metrics.invocationLatency) } : {}),
  ...(requestId !== undefined ? { requestId } : {})
})

/** A short stable id from text (FNV-1a), e.g. for tool calls of families that do not name them. */
export const stableId = (text: string, length = 12): string => {
  let h1 = 0x811c9dc5
  let h2 = 0x01000193
  let out = ""
  for (let round = 0; out.length < length; round++) {
    for (let i = 0; i < text.length; i++) {
      h1 = Math.imul(h1 ^ text.charCodeAt(i), 0x01000193) >>> 0
      h2 = Math.imul(h2 ^ text.charCodeAt(i) ^ round, 0x5bd1e995) >>> 0
    }
    out += h1.toString(36) + h2.toString(36)
  }
  return out.replace(/[^a-z0-9]/g, "").slice(0, length)
}

const deepMerge = (base: Json, over: Json): Json => {
  const out: Json = { ...base }
  for (const [key, value] of Object.entries(over)) {
    const current = out[key]
    out[key] = Predicate.isRecord(current) && Predicate.isRecord(value) ? deepMerge(current, value) : value
  }
  return out
}

/**
 * The body with the model's `topK` (under the family's name for it, or dropped when it has none) and
 * `additionalModelRequestFields` merged over it.
 */
export const withModelFields = (
  body: Json,
  model: ModelConfig,
  topK: ((k: number) => Json) | undefined
): Json => {
  const withTopK = model.topK !== undefined && topK !== undefined ? deepMerge(body, topK(model.topK)) : body
  return model.additionalModelRequestFields === undefined
    ? withTopK
    : deepMerge(withTopK, model.additionalModelRequestFields)
}

/** The stop sequences of a model configuration, if any. */
export const stopSequences = (model: ModelConfig): Array<string> | undefined =>
  model.stopSequences === undefined || model.stopSequences.length === 0 ? undefined : [...model.stopSequences]

/**
 * Writes library stream events from native chunks, Converse-style: `MessageStart`, text deltas (no block start),
 * tool uses (start, one input delta, stop), `MessageStop`, then `Metadata`.
 */
export class EventWriter {
  private events: Array<Response.StreamEvent> = []
  private started = false
  private open: { readonly index: number; readonly kind: "text" | "reasoning" | "other" } | undefined
  private next = 0
  private stopped = false
  private finished = false

  /** The events written since the last call. */
  take(): ReadonlyArray<Response.StreamEvent> {
    const out = this.events
    this.events = []
    return out
  }

  get hasStopped(): boolean {
    return this.stopped
  }

  get hasFinished(): boolean {
    return this.finished
  }

  start(): void {
    if (this.started) return
    this.started = true
    this.events.push({ _tag: "MessageStart", role: "assistant" })
  }

  private closeOpen(): void {
    if (this.open === undefined) return
    this.events.push({ _tag: "ContentBlockStop", index: this.open.index })
    this.open = undefined
  }

  private openBlock(kind: "text" | "reasoning" | "other"): number {
    this.start()
    if (this.open !== undefined && this.open.kind === kind && kind !== "other") return this.open.index
    this.closeOpen()
    const index = this.next++
    this.open = { index, kind }
    return index
  }

  text(text: string): void {
    if (text.length === 0) return
    const index = this.openBlock("text")
    this.events.push({ _tag: "ContentBlockDelta", index, delta: { _tag: "TextDelta", text } })
  }

  toolUse(toolUseId: string, name: string, input: unknown): void {
    const index = this.openBlock("other")
    this.events.push({ _tag: "ContentBlockStart", index, start: { _tag: "ToolUseStart", toolUseId, name } })
    this.events.push({
      _tag: "ContentBlockDelta",
      index,
      delta: { _tag: "ToolUseInputDelta", input: typeof input === "string" ? input : JSON.stringify(input ?? {}) }
    })
    this.closeOpen()
  }

  stop(stopReason: Response.StopReason): void {
    if (this.stopped) return
    this.start()
    this.closeOpen()
    this.stopped = true
    this.events.push({ _tag: "MessageStop", stopReason })
  }

  metadata(usageRecord: Response.Usage, latencyMs: number | undefined): void {
    if (this.finished) return
    this.finished = true
    this.events.push({
      _tag: "Metadata",
      usage: usageRecord,
      metrics: latencyMs === undefined ? {} : { latencyMs: count(latencyMs) }
    })
  }

  /** Appends an event as it is (families whose chunks carry their own block indexes). */
  push(event: Response.StreamEvent): void {
    this.start()
    this.events.push(event)
  }
}
