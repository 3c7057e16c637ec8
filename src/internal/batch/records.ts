/**
 * Batch records: the two request shapes a submission accepts (Converse-shaped or a family's native InvokeModel body),
 * their validation (naming the record), record ids (generated when absent) and their JSONL line.
 */
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Conversation from "../../Conversation.js"
import type * as Message from "../../Message.js"
import * as ModelCatalog from "../../ModelCatalog.js"
import { messageToSdk, systemBlockToSdk } from "../sdkShapes.js"

/** A Converse-shaped record (a `Converse` job): messages, system prompt and inference settings. */
export interface ConverseRecord {
  readonly recordId?: string | undefined
  readonly messages: ReadonlyArray<Message.Message>
  readonly system?: ReadonlyArray<Message.SystemContentBlock> | undefined
  readonly maxTokens?: number | undefined
  readonly temperature?: number | undefined
  readonly topP?: number | undefined
  readonly stopSequences?: ReadonlyArray<string> | undefined
  readonly additionalModelRequestFields?: Message.JsonObject | undefined
}

/** A record in the model family's native InvokeModel body (an `InvokeModel` job). */
export interface NativeRecord {
  readonly recordId?: string | undefined
  readonly body: Message.JsonObject
}

export type BatchRecord = ConverseRecord | NativeRecord

export type InvocationType = "Converse" | "InvokeModel"

export const invocationTypeOf = (record: BatchRecord): InvocationType => "body" in record ? "InvokeModel" : "Converse"

/** Record ids Bedrock accepts: letters, digits, `-` and `_`, at most 128 characters. */
const recordIdPattern = /^[A-Za-z0-9_-]{1,128}$/

/** What is wrong with a record, or `undefined`. */
export const checkRecord = (
  record: BatchRecord,
  type: InvocationType,
  model: ModelCatalog.ModelInfo | undefined
): string | undefined => {
  if (record.recordId !== undefined && !recordIdPattern.test(record.recordId)) {
    return "its recordId must be 1 to 128 letters, digits, '-' or '_'"
  }
  if (invocationTypeOf(record) !== type) {
    return `it is ${type === "Converse" ? "a native body" : "Converse-shaped"} but the submission's first record is ${
      type === "Converse" ? "Converse-shaped" : "a native body"
    } (one submission, one shape)`
  }
  if ("body" in record) {
    return typeof record.body === "object" && record.body !== null && !Array.isArray(record.body)
      ? undefined
      : "its native body must be a JSON object"
  }
  const broken = Conversation.check(record.messages)
  if (Option.isSome(broken)) return broken.value.message
  if (record.messages.some((message) => message.content.some((block) => block._tag === "ToolUse"))) {
    return "batch jobs of the Converse type do not support tool use"
  }
  if (record.maxTokens !== undefined && model !== undefined) {
    const limit = ModelCatalog.checkMaxTokens(model, record.maxTokens)
    if (Either.isLeft(limit)) return limit.left
  }
  return undefined
}

/** Bytes as base64, as Bedrock's JSON carries them. */
const jsonReplacer = (_key: string, value: unknown): unknown =>
  value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64") : value

const defined = (entries: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined))

/** The `modelInput` of a record. */
export const modelInputOf = (record: BatchRecord): unknown => {
  if ("body" in record) return record.body
  const inference = defined({
    maxTokens: record.maxTokens,
    temperature: record.temperature,
    topP: record.topP,
    stopSequences: record.stopSequences
  })
  return defined({
    messages: record.messages.map(messageToSdk),
    system: record.system?.map(systemBlockToSdk),
    inferenceConfig: Object.keys(inference).length > 0 ? inference : undefined,
    additionalModelRequestFields: record.additionalModelRequestFields
  })
}

/** One JSONL line (with its newline) of a record. */
export const jsonLine = (recordId: string, record: BatchRecord): string =>
  `${JSON.stringify({ recordId, modelInput: modelInputOf(record) }, jsonReplacer)}\n`

/** Record ids for records without one: the submission's tag and the record's index, alphanumeric. */
export const generatedRecordId = (tag: string, index: number): string => `${tag}${index.toString(36).padStart(8, "0")}`
