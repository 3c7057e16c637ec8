/**
 * The usage Bedrock reports on each passthrough operation (pure): Converse's `usage`, InvokeModel's
 * `x-amzn-bedrock-*-token-count` headers, ConverseStream's `metadata` event, and the
 * `amazon-bedrock-invocationMetrics` of InvokeModelWithResponseStream's last chunk; and, for a stream cut off before
 * its usage, a count of what was written so far.
 *
 * @since 0.1.0
 */
import { ModelCatalog } from "bedrock-llm"
import type { Frame } from "./EventStreamFrames.js"

const utf8 = new TextDecoder()

const count = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : undefined

const json = (bytes: Uint8Array): unknown => {
  try {
    return JSON.parse(utf8.decode(bytes))
  } catch {
    return undefined
  }
}

const record = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : undefined

const usage = (
  input: unknown,
  output: unknown,
  cacheRead: unknown,
  cacheWrite: unknown
): ModelCatalog.Usage | undefined => {
  const inputTokens = count(input)
  const outputTokens = count(output)
  if (inputTokens === undefined || outputTokens === undefined) return undefined
  const read = count(cacheRead)
  const write = count(cacheWrite)
  return {
    inputTokens,
    outputTokens,
    ...(read === undefined ? {} : { cacheReadInputTokens: read }),
    ...(write === undefined ? {} : { cacheWriteInputTokens: write })
  }
}

const converseUsage = (value: unknown): ModelCatalog.Usage | undefined => {
  const reported = record(record(value)?.["usage"])
  return reported === undefined
    ? undefined
    : usage(
      reported["inputTokens"],
      reported["outputTokens"],
      reported["cacheReadInputTokens"],
      reported["cacheWriteInputTokens"]
    )
}

/**
 * The usage of a Converse answer body.
 *
 * @since 0.1.0
 * @category utils
 */
export const ofConverse = (body: Uint8Array): ModelCatalog.Usage | undefined => converseUsage(json(body))

/**
 * The usage of an InvokeModel answer, from its headers.
 *
 * @since 0.1.0
 * @category utils
 */
export const ofInvokeHeaders = (headers: Readonly<Record<string, string>>): ModelCatalog.Usage | undefined => {
  const header = (name: string) => {
    const value = headers[`x-amzn-bedrock-${name}`]
    return value === undefined || value.trim() === "" ? undefined : Number(value)
  }
  return usage(
    header("input-token-count"),
    header("output-token-count") ?? 0,
    header("cache-read-input-token-count"),
    header("cache-write-input-token-count")
  )
}

const textTokens = (value: unknown): number => {
  if (typeof value === "string") return ModelCatalog.estimateTokens(value)
  if (Array.isArray(value)) return value.reduce<number>((total, item) => total + textTokens(item), 0)
  const fields = record(value)
  return fields === undefined ? 0 : Object.values(fields).reduce<number>((total, item) => total + textTokens(item), 0)
}

/**
 * What one stream frame tells: the usage (the stream's last word on it), and an estimate of the output tokens it
 * carried.
 *
 * @since 0.1.0
 * @category models
 */
export interface FrameUsage {
  readonly usage: ModelCatalog.Usage | undefined
  readonly outputTokens: number
}

const none: FrameUsage = { usage: undefined, outputTokens: 0 }

/**
 * A ConverseStream frame: `metadata` carries the usage, `contentBlockDelta` the output.
 *
 * @since 0.1.0
 * @category utils
 */
export const ofConverseStreamFrame = (frame: Frame): FrameUsage => {
  if (frame.messageType !== "event") return none
  if (frame.type === "metadata") return { usage: converseUsage(json(frame.payload)), outputTokens: 0 }
  if (frame.type === "contentBlockDelta") {
    const delta = record(record(json(frame.payload))?.["delta"])
    const { p: _padding, ...content } = delta ?? {}
    return { usage: undefined, outputTokens: textTokens(content) }
  }
  return none
}

/**
 * An InvokeModelWithResponseStream frame: a `chunk` of the native stream, whose last one carries
 * `amazon-bedrock-invocationMetrics`.
 *
 * @since 0.1.0
 * @category utils
 */
export const ofInvokeStreamFrame = (frame: Frame): FrameUsage => {
  if (frame.messageType !== "event" || frame.type !== "chunk") return none
  const bytes = record(json(frame.payload))?.["bytes"]
  if (typeof bytes !== "string") return none
  const chunk = record(json(new Uint8Array(Buffer.from(bytes, "base64"))))
  if (chunk === undefined) return none
  const { "amazon-bedrock-invocationMetrics": metrics, ...rest } = chunk
  const reported = record(metrics)
  return {
    usage: reported === undefined ? undefined : usage(
      reported["inputTokenCount"],
      reported["outputTokenCount"],
      reported["cacheReadInputTokenCount"],
      reported["cacheWriteInputTokenCount"]
    ),
    outputTokens: textTokens(rest)
  }
}
