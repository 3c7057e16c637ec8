/**
 * The library's answers as `@effect/ai` response parts: a `Response` as the parts of `generateText`, stream events as
 * the parts of `streamText` (one stateful mapper per stream), stop reasons as finish reasons.
 *
 * @internal
 */
import type * as AiResponse from "@effect/ai/Response"
import * as Encoding from "effect/Encoding"
import { type StopKind, stopKind } from "../../internal/stopReasons.js"
import type * as Message from "../../Message.js"
import type * as Response from "../../Response.js"
import * as Options from "./options.js"
import { isServerToolUse } from "./serverTools.js"

/** `@effect/ai`'s finish reason of each kind of stop reason. */
const finishReasons: Record<StopKind, AiResponse.FinishReason> = {
  stop: "stop",
  length: "length",
  tools: "tool-calls",
  filtered: "content-filter",
  error: "error"
}

/** `@effect/ai`'s finish reason for a Bedrock stop reason. */
export const finishReason = (stopReason: Response.StopReason): AiResponse.FinishReason => {
  const kind = stopKind(stopReason)
  return kind === undefined ? "other" : finishReasons[kind]
}

/** Where an answer came from: the model id asked for, the time, the request id when known. */
export interface Origin {
  readonly modelId: string
  readonly timestamp: string
}

const metadata = <A>(info: A): { readonly [Options.providerKey]: A } => ({ [Options.providerKey]: info })

export const responseMetadataPart = (
  origin: Origin,
  requestId: string | undefined
): AiResponse.ResponseMetadataPartEncoded => ({
  type: "response-metadata",
  modelId: origin.modelId,
  timestamp: origin.timestamp,
  ...(requestId === undefined ? {} : { id: requestId, metadata: metadata<Options.ResponseInfo>({ requestId }) })
})

const usageOf = (usage: Response.Usage | undefined): typeof AiResponse.Usage.Encoded => ({
  inputTokens: usage?.inputTokens,
  outputTokens: usage?.outputTokens,
  totalTokens: usage?.totalTokens,
  cachedInputTokens: usage?.cacheReadInputTokens
})

/** What a finish part needs: the stop reason and what came with it. */
export interface Ending {
  readonly stopReason: Response.StopReason
  readonly usage?: Response.Usage | undefined
  readonly requestId?: string | undefined
  readonly latencyMs?: number | undefined
  readonly trace?: unknown
  readonly additionalModelResponseFields?: unknown
  readonly performanceConfig?: { readonly latency?: string | undefined } | undefined
  readonly serviceTier?: { readonly type: string } | undefined
}

export const finishPart = (ending: Ending): AiResponse.FinishPartEncoded => {
  const info: Options.FinishInfo = {
    stopReason: ending.stopReason,
    ...(ending.requestId === undefined ? {} : { requestId: ending.requestId }),
    ...(ending.latencyMs === undefined ? {} : { latencyMs: ending.latencyMs }),
    ...(ending.usage?.cacheWriteInputTokens === undefined
      ? {}
      : { cacheWriteInputTokens: ending.usage.cacheWriteInputTokens }),
    ...(ending.usage?.cacheDetails === undefined ? {} : { cacheDetails: ending.usage.cacheDetails }),
    ...(ending.trace === undefined ? {} : { trace: ending.trace }),
    ...(ending.additionalModelResponseFields === undefined
      ? {}
      : { additionalModelResponseFields: ending.additionalModelResponseFields }),
    ...(ending.performanceConfig === undefined ? {} : { performanceConfig: ending.performanceConfig }),
    ...(ending.serviceTier === undefined ? {} : { serviceTier: ending.serviceTier })
  }
  return {
    type: "finish",
    reason: finishReason(ending.stopReason),
    usage: usageOf(ending.usage),
    metadata: metadata(info)
  }
}

const reasoningMetadata = (info: Options.ReasoningInfo) => metadata(info)

const imagePart = (image: Message.Image): AiResponse.FilePartEncoded | undefined =>
  image.source._tag === "Bytes"
    ? { type: "file", mediaType: `image/${image.format}`, data: Encoding.encodeBase64(image.source.bytes) }
    : undefined

/**
 * The parts of a `Response`: response metadata, then each block (text with its citations, reasoning with its
 * signature or redacted bytes, tool calls, generated images), then the finish part with usage and cache tokens.
 * Blocks of Bedrock's server-side tools are left out: `@effect/ai` decodes every tool call against the toolkit.
 */
export const fromResponse = (response: Response.Response, origin: Origin): Array<AiResponse.PartEncoded> => {
  const parts: Array<AiResponse.PartEncoded> = [responseMetadataPart(origin, response.requestId)]
  for (const block of response.message.content) {
    switch (block._tag) {
      case "Text":
        parts.push({ type: "text", text: block.text })
        break
      case "CitationsContent":
        parts.push({
          type: "text",
          text: block.content.map((part) => part.text).join(""),
          metadata: metadata<Options.TextInfo>({ citations: block.citations })
        })
        break
      case "Reasoning":
        parts.push({
          type: "reasoning",
          text: block.text,
          ...(block.signature === undefined ? {} : { metadata: reasoningMetadata({ signature: block.signature }) })
        })
        break
      case "RedactedReasoning":
        parts.push({
          type: "reasoning",
          text: "",
          metadata: reasoningMetadata({ redactedData: Encoding.encodeBase64(block.data) })
        })
        break
      case "ToolUse":
        if (!isServerToolUse(block)) {
          parts.push({ type: "tool-call", id: block.toolUseId, name: block.name, params: block.input })
        }
        break
      case "Image": {
        const part = imagePart(block)
        if (part !== undefined) parts.push(part)
        break
      }
      default:
        break
    }
  }
  parts.push(finishPart({
    stopReason: response.stopReason,
    usage: response.usage,
    requestId: response.requestId,
    latencyMs: response.latencyMs,
    trace: response.trace,
    additionalModelResponseFields: response.additionalModelResponseFields,
    performanceConfig: response.performanceConfig,
    serviceTier: response.serviceTier
  }))
  return parts
}

type OpenBlock =
  | { readonly kind: "text"; readonly id: string }
  | {
    readonly kind: "reasoning"
    readonly id: string
    text: string
    signature: string
    redacted: Uint8Array | undefined
  }
  | { readonly kind: "tool"; readonly id: string; readonly name: string; input: string }
  | { readonly kind: "image"; readonly format: Message.ImageFormat; source: Message.MediaSource | undefined }
  | { readonly kind: "skipped" }

type DeltaPart =
  | AiResponse.TextDeltaPartEncoded
  | AiResponse.ReasoningDeltaPartEncoded
  | AiResponse.ToolParamsDeltaPartEncoded

/**
 * Appends a delta, joined to the previous part when that is a delta of the same block (one network read often brings
 * several events): the same text at the same moment in fewer parts, each of which `@effect/ai` decodes with its
 * Schema (the largest share of a streamed event's cost under `@effect/ai`).
 */
const appendDelta = (
  out: Array<AiResponse.StreamPartEncoded>,
  type: DeltaPart["type"],
  id: string,
  text: string
): void => {
  const last = out[out.length - 1] as DeltaPart | undefined
  if (last !== undefined && last.type === type && last.id === id && last.metadata === undefined) {
    out[out.length - 1] = { type, id, delta: last.delta + text }
  } else {
    out.push({ type, id, delta: text })
  }
}

/** What a stream's mapper could not turn into parts: a tool input that is not JSON. */
export interface BadToolInput {
  readonly _tag: "BadToolInput"
  readonly name: string
  readonly message: string
}

const parseToolInput = (input: string): { readonly value: unknown } | string => {
  if (input.trim() === "") return { value: {} }
  try {
    return { value: JSON.parse(input) as unknown }
  } catch (cause) {
    return cause instanceof Error ? cause.message : String(cause)
  }
}

const concat = (a: Uint8Array | undefined, b: Uint8Array): Uint8Array => {
  if (a === undefined) return b
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}

/**
 * Stream events to stream parts, one event at a time: text, reasoning and tool-input blocks open with a `*-start`
 * part, go on as deltas and close with an `*-end` part (and a closed tool block gives its `tool-call` with the parsed
 * input); `MessageStop` and `Metadata` give one `finish` part (at the end of the stream when `Metadata` never came).
 * `completed` is the content of the answer's signed reasoning and tool uses, for the reasoning memory.
 */
export class StreamMapper {
  private readonly blocks = new Map<number, OpenBlock>()
  private ending: Ending | undefined
  private finished = false
  readonly completed: Array<Message.ContentBlock> = []

  /** The call's request id: given, or the one the client puts on `MessageStart`. */
  private requestId: string | undefined

  get responseId(): string | undefined {
    return this.requestId
  }

  constructor(private readonly origin: Origin, requestId: string | undefined) {
    this.requestId = requestId
  }

  /** The parts of some events, appended to `out`; a tool input that is not JSON stops the mapping. */
  map(events: Iterable<Response.StreamEvent>, out: Array<AiResponse.StreamPartEncoded>): BadToolInput | undefined {
    for (const event of events) {
      const bad = this.event(event, out)
      if (bad !== undefined) return bad
    }
    return undefined
  }

  /** The finish part when the stream ended after `MessageStop` without `Metadata`. */
  end(out: Array<AiResponse.StreamPartEncoded>): void {
    if (this.ending !== undefined && !this.finished) {
      this.finished = true
      out.push(finishPart(this.ending))
    }
  }

  private event(event: Response.StreamEvent, out: Array<AiResponse.StreamPartEncoded>): BadToolInput | undefined {
    switch (event._tag) {
      case "MessageStart":
        this.requestId ??= event.requestId
        out.push(responseMetadataPart(this.origin, this.requestId))
        return undefined
      case "ContentBlockStart": {
        const start = event.start
        if (start._tag === "ToolUseStart" && !isServerToolUse(start)) {
          this.blocks.set(event.index, { kind: "tool", id: start.toolUseId, name: start.name, input: "" })
          out.push({ type: "tool-params-start", id: start.toolUseId, name: start.name })
        } else if (start._tag === "ImageStart") {
          this.blocks.set(event.index, { kind: "image", format: start.format, source: undefined })
        } else {
          this.blocks.set(event.index, { kind: "skipped" })
        }
        return undefined
      }
      case "ContentBlockDelta":
        this.delta(event.index, event.delta, out)
        return undefined
      case "ContentBlockStop":
        return this.stop(event.index, out)
      case "MessageStop":
        this.ending = {
          stopReason: event.stopReason,
          additionalModelResponseFields: event.additionalModelResponseFields,
          requestId: this.requestId
        }
        return undefined
      case "Metadata":
        if (!this.finished) {
          this.finished = true
          out.push(finishPart({
            stopReason: this.ending?.stopReason ?? "end_turn",
            additionalModelResponseFields: this.ending?.additionalModelResponseFields,
            requestId: this.requestId,
            usage: event.usage,
            latencyMs: event.metrics.latencyMs,
            trace: event.trace,
            performanceConfig: event.performanceConfig,
            serviceTier: event.serviceTier
          }))
        }
        return undefined
      case "UnknownEvent":
        return undefined
    }
  }

  private delta(index: number, delta: Response.Delta, out: Array<AiResponse.StreamPartEncoded>): void {
    const block = this.blocks.get(index)
    switch (delta._tag) {
      case "TextDelta":
      case "CitationDelta": {
        const id = String(index)
        if (block === undefined) {
          this.blocks.set(index, { kind: "text", id })
          out.push({ type: "text-start", id })
        } else if (block.kind !== "text") {
          return
        }
        if (delta._tag === "TextDelta") {
          appendDelta(out, "text-delta", id, delta.text)
          return
        }
        out.push(
          {
            type: "text-delta",
            id,
            delta: "",
            metadata: metadata<Options.TextInfo>({ citations: [delta.citation] })
          }
        )
        return
      }
      case "ReasoningTextDelta":
      case "ReasoningSignatureDelta":
      case "RedactedReasoningDelta": {
        let reasoning = block
        if (reasoning === undefined) {
          reasoning = { kind: "reasoning", id: String(index), text: "", signature: "", redacted: undefined }
          this.blocks.set(index, reasoning)
          out.push({ type: "reasoning-start", id: reasoning.id })
        }
        if (reasoning.kind !== "reasoning") return
        if (delta._tag === "ReasoningTextDelta") {
          reasoning.text += delta.text
          appendDelta(out, "reasoning-delta", reasoning.id, delta.text)
        } else if (delta._tag === "ReasoningSignatureDelta") {
          reasoning.signature += delta.signature
          out.push({
            type: "reasoning-delta",
            id: reasoning.id,
            delta: "",
            metadata: reasoningMetadata({ signature: delta.signature })
          })
        } else {
          reasoning.redacted = concat(reasoning.redacted, delta.data)
          out.push({
            type: "reasoning-delta",
            id: reasoning.id,
            delta: "",
            metadata: reasoningMetadata({ redactedData: Encoding.encodeBase64(delta.data) })
          })
        }
        return
      }
      case "ToolUseInputDelta":
        if (block?.kind === "tool") {
          block.input += delta.input
          appendDelta(out, "tool-params-delta", block.id, delta.input)
        }
        return
      case "ImageDelta":
        if (block?.kind === "image" && delta.source !== undefined) block.source = delta.source
        return
      default:
        return
    }
  }

  private stop(index: number, out: Array<AiResponse.StreamPartEncoded>): BadToolInput | undefined {
    const block = this.blocks.get(index)
    this.blocks.delete(index)
    switch (block?.kind) {
      case "text":
        out.push({ type: "text-end", id: block.id })
        return undefined
      case "reasoning": {
        const info: Options.ReasoningInfo | undefined = block.redacted !== undefined
          ? { redactedData: Encoding.encodeBase64(block.redacted) }
          : block.signature.length > 0
          ? { signature: block.signature }
          : undefined
        out.push(
          info === undefined
            ? { type: "reasoning-end", id: block.id }
            : { type: "reasoning-end", id: block.id, metadata: reasoningMetadata(info) }
        )
        if (block.redacted !== undefined) this.completed.push({ _tag: "RedactedReasoning", data: block.redacted })
        else if (info !== undefined) {
          this.completed.push({ _tag: "Reasoning", text: block.text, signature: block.signature })
        }
        return undefined
      }
      case "tool": {
        const parsed = parseToolInput(block.input)
        if (typeof parsed === "string") {
          return { _tag: "BadToolInput", name: block.name, message: `${block.name}: ${parsed}` }
        }
        out.push({ type: "tool-params-end", id: block.id })
        out.push({ type: "tool-call", id: block.id, name: block.name, params: parsed.value })
        this.completed.push({ _tag: "ToolUse", toolUseId: block.id, name: block.name, input: parsed.value })
        return undefined
      }
      case "image": {
        const part = block.source === undefined
          ? undefined
          : imagePart({ _tag: "Image", format: block.format, source: block.source })
        if (part !== undefined) out.push(part)
        return undefined
      }
      default:
        return undefined
    }
  }
}
