/**
 * The provider options and metadata this provider reads and writes under `options.bedrockLlm` /
 * `metadata.bedrockLlm`, in one place.
 *
 * @internal
 */
import type * as Message from "../../Message.js"

/** The key of this provider's options in a prompt part or message, and of its metadata in a response part. */
export const providerKey = "bedrockLlm"

/** A prompt-cache checkpoint after a message or part: `true`, or with a time to live. */
export type CachePointOption = true | { readonly ttl?: Message.CacheTtl | undefined }

/** Guard this text (only guarded text is evaluated by the guardrail): `true`, or with qualifiers. */
export type GuardContentOption = true | ReadonlyArray<Message.GuardQualifier>

/** Options of a system, user, assistant or tool message. */
export type MessageOptions = {
  readonly cachePoint?: CachePointOption | undefined
}

/** Options of a system message. */
export type SystemOptions = MessageOptions & {
  readonly guardContent?: GuardContentOption | undefined
}

/** Options of a user text part. */
export type TextOptions = {
  readonly cachePoint?: CachePointOption | undefined
  readonly guardContent?: GuardContentOption | undefined
}

/** Options of a file part: a document's name, citations and context, the S3 bucket owner of an `s3://` URL. */
export type FileOptions = {
  readonly cachePoint?: CachePointOption | undefined
  readonly name?: string | undefined
  readonly citations?: boolean | undefined
  readonly context?: string | undefined
  readonly bucketOwner?: string | undefined
}

/** A reasoning block's signature, or its redacted (encrypted) bytes as base64. */
export type ReasoningInfo = {
  readonly signature?: string | undefined
  readonly redactedData?: string | undefined
}

/** What a finish part's metadata carries beyond `@effect/ai`'s `Usage`. */
export type FinishInfo = {
  readonly stopReason: string
  readonly requestId?: string | undefined
  readonly latencyMs?: number | undefined
  readonly cacheWriteInputTokens?: number | undefined
  readonly cacheDetails?: ReadonlyArray<{ readonly ttl: string; readonly inputTokens: number }> | undefined
  readonly trace?: unknown
  readonly additionalModelResponseFields?: unknown
  readonly performanceConfig?: { readonly latency?: string | undefined } | undefined
  readonly serviceTier?: { readonly type: string } | undefined
}

/** What a text part's metadata carries: the citations of cited text. */
export type TextInfo = {
  readonly citations?: ReadonlyArray<Message.Citation> | undefined
}

/** What a response-metadata part's metadata carries. */
export type ResponseInfo = {
  readonly requestId?: string | undefined
}

/** This provider's options of a part or message (undefined when it has none). */
export const optionsOf = <A>(holder: { readonly options: Record<string, unknown> }): A | undefined =>
  holder.options[providerKey] as A | undefined
