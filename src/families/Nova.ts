/**
 * Amazon Nova's native `messages-v1` body on Bedrock: `system`, `messages` (text, images, video, documents, tool
 * use and results, cache points in the Converse shapes, bytes as base64), `inferenceConfig` (`max_new_tokens`,
 * `temperature`, `top_p`, `top_k`, `stopSequences`) and `toolConfig`; responses and stream chunks mirror Converse's.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Predicate from "effect/Predicate"
import { MalformedResponseError } from "../BedrockError.js"
import type * as Conversation from "../Conversation.js"
import {
  EventWriter,
  fromBase64,
  type Json,
  numberAt,
  recordAt,
  response,
  stopSequences,
  stringAt,
  toBase64,
  usage,
  usageFromMetrics,
  withModelFields
} from "../internal/native.js"
import { blockName, toolSpecs, unsupported } from "../internal/nativeEncode.js"
import type * as Message from "../Message.js"
import * as Response from "../Response.js"
import * as NativeBody from "./NativeBody.js"

const FAMILY = "Amazon Nova"

const mediaSource = (source: Message.MediaSource | Message.DocumentSource, modelId: string) =>
  source._tag === "Bytes"
    ? Either.right<Json>({ bytes: toBase64(source.bytes) })
    : source._tag === "S3Location"
    ? Either.right<Json>({
      s3Location: { uri: source.uri, ...(source.bucketOwner !== undefined ? { bucketOwner: source.bucketOwner } : {}) }
    })
    : Either.left(unsupported(FAMILY, "documents given as text", modelId))

const cachePoint: Json = { cachePoint: { type: "default" } }

const toolResultContent = (part: Message.ToolResultContent, modelId: string) =>
  Either.gen(function*() {
    switch (part._tag) {
      case "Text":
        return { text: part.text } as Json
      case "Json":
        return { json: part.json } as Json
      case "Image":
        return { image: { format: part.format, source: yield* mediaSource(part.source, modelId) } } as Json
      default:
        return yield* Either.left(unsupported(FAMILY, blockName(part), modelId, "inside tool results"))
    }
  })

const contentBlock = (
  block: Message.ContentBlock,
  modelId: string
): Either.Either<Json, NativeBody.UnsupportedFeature> =>
  Either.gen(function*() {
    switch (block._tag) {
      case "Text":
        return { text: block.text }
      case "Image":
        return { image: { format: block.format, source: yield* mediaSource(block.source, modelId) } }
      case "Video":
        return { video: { format: block.format, source: yield* mediaSource(block.source, modelId) } }
      case "Document":
        return {
          document: {
            ...(block.format !== undefined ? { format: block.format } : {}),
            name: block.name,
            source: yield* mediaSource(block.source, modelId)
          }
        }
      case "ToolUse":
        return { toolUse: { toolUseId: block.toolUseId, name: block.name, input: block.input ?? {} } }
      case "ToolResult": {
        const content: Array<Json> = []
        for (const part of block.content) content.push(yield* toolResultContent(part, modelId))
        return {
          toolResult: {
            toolUseId: block.toolUseId,
            content,
            ...(block.status !== undefined ? { status: block.status } : {})
          }
        }
      }
      case "Reasoning":
        return {
          reasoningContent: {
            reasoningText: {
              text: block.text,
              ...(block.signature !== undefined ? { signature: block.signature } : {})
            }
          }
        }
      case "CachePoint":
        return cachePoint
      case "CitationsContent":
        return { text: block.content.map((part) => part.text).join("") }
      default:
        return yield* Either.left(unsupported(FAMILY, blockName(block), modelId))
    }
  })

const toolConfigOf = (toolConfig: Conversation.ToolConfiguration, modelId: string) =>
  Either.gen(function*() {
    const specs = yield* toolSpecs(FAMILY, modelId, toolConfig)
    const tools = specs.flatMap((spec) =>
      spec._tag === "ToolSpec"
        ? [{
          toolSpec: {
            name: spec.name,
            ...(spec.description !== undefined ? { description: spec.description } : {}),
            inputSchema: { json: spec.inputSchema }
          }
        }]
        : []
    )
    const choice = toolConfig.toolChoice
    const toolChoice: Json | undefined = choice === undefined
      ? undefined
      : choice._tag === "Auto"
      ? { auto: {} }
      : choice._tag === "Any"
      ? { any: {} }
      : choice._tag === "Tool"
      ? { tool: { name: choice.name } }
      : yield* Either.left(unsupported(FAMILY, `toolChoice "${choice.type}"`, modelId))
    return { tools, ...(toolChoice !== undefined ? { toolChoice } : {}) } as Json
  })

const encodeRequest = (
  request: NativeBody.EncodeRequest
): Effect.Effect<Json, NativeBody.UnsupportedFeature> =>
  Either.gen(function*() {
    const model = request.model
    const system: Array<Json> = []
    if (model.system !== undefined && model.system.length > 0) system.push({ text: model.system })
    for (const block of request.system ?? []) {
      if (block._tag === "Text") system.push({ text: block.text })
      else if (block._tag === "CachePoint") system.push(cachePoint)
      else return yield* Either.left(unsupported(FAMILY, blockName(block), model.modelId, "in the system prompt"))
    }
    const messages: Array<Json> = []
    for (const message of request.messages) {
      const content: Array<Json> = []
      for (const block of message.content) content.push(yield* contentBlock(block, model.modelId))
      messages.push({ role: message.role, content })
    }
    const stop = stopSequences(model)
    const inferenceConfig: Json = {
      ...(model.maxTokens !== undefined ? { max_new_tokens: model.maxTokens } : {}),
      ...(model.temperature !== undefined ? { temperature: model.temperature } : {}),
      ...(model.topP !== undefined ? { top_p: model.topP } : {}),
      ...(stop !== undefined ? { stopSequences: stop } : {})
    }
    const body: Json = {
      schemaVersion: "messages-v1",
      ...(system.length > 0 ? { system } : {}),
      messages,
      ...(Object.keys(inferenceConfig).length > 0 ? { inferenceConfig } : {}),
      ...(request.toolConfig !== undefined
        ? { toolConfig: yield* toolConfigOf(request.toolConfig, model.modelId) }
        : {})
    }
    return withModelFields(body, model, (k) => ({ inferenceConfig: { top_k: k } }))
  })

// ---------------------------------------------------------------------------
// responses
// ---------------------------------------------------------------------------

const contentOf = (raw: unknown): Message.ContentBlock => {
  if (!Predicate.isRecord(raw)) return { _tag: "Unknown", type: "unknown", value: raw }
  if (typeof raw["text"] === "string") return { _tag: "Text", text: raw["text"] }
  const toolUse = recordAt(raw, "toolUse")
  if (toolUse !== undefined) {
    return {
      _tag: "ToolUse",
      toolUseId: stringAt(toolUse, "toolUseId") ?? "",
      name: stringAt(toolUse, "name") ?? "",
      input: toolUse["input"] ?? {}
    }
  }
  const reasoning = recordAt(raw, "reasoningContent")
  const reasoningText = reasoning === undefined ? undefined : recordAt(reasoning, "reasoningText")
  if (reasoningText !== undefined) {
    const signature = stringAt(reasoningText, "signature")
    return {
      _tag: "Reasoning",
      text: stringAt(reasoningText, "text") ?? "",
      ...(signature !== undefined ? { signature } : {})
    }
  }
  const redacted = reasoning === undefined ? undefined : stringAt(reasoning, "redactedContent")
  const data = redacted === undefined ? undefined : fromBase64(redacted)
  if (data !== undefined) return { _tag: "RedactedReasoning", data }
  const [type] = Object.keys(raw)
  return { _tag: "Unknown", type: type ?? "unknown", value: type === undefined ? raw : raw[type] }
}

/** Nova reports zero cache counts on every call; they are kept only when a cache was used, as Converse does. */
const usageOf = (raw: Json): Response.Usage => {
  const read = numberAt(raw, "cacheReadInputTokenCount") ?? numberAt(raw, "cacheReadInputTokens")
  const write = numberAt(raw, "cacheWriteInputTokenCount") ?? numberAt(raw, "cacheWriteInputTokens")
  const used = (read ?? 0) > 0 || (write ?? 0) > 0
  return usage(
    numberAt(raw, "inputTokens"),
    numberAt(raw, "outputTokens"),
    used ? read ?? 0 : undefined,
    used ? write ?? 0 : undefined
  )
}

const decodeResponse = (
  body: unknown,
  requestId?: string,
  metrics?: NativeBody.InvocationMetrics
): Effect.Effect<Response.Response, MalformedResponseError> => {
  const output = Predicate.isRecord(body) ? recordAt(body, "output") : undefined
  const message = output === undefined ? undefined : recordAt(output, "message")
  if (!Predicate.isRecord(body) || message === undefined || !Array.isArray(message["content"])) {
    return Either.left(
      new MalformedResponseError({
        message: "a Nova response has no output.message.content",
        ...(requestId !== undefined ? { requestId } : {})
      })
    )
  }
  const usageJson = recordAt(body, "usage")
  return Either.right(
    response(
      message["content"].map(contentOf),
      stringAt(body, "stopReason") ?? "end_turn",
      usageJson === undefined ? usageFromMetrics(metrics) : usageOf(usageJson),
      requestId,
      metrics
    )
  )
}

// ---------------------------------------------------------------------------
// stream
// ---------------------------------------------------------------------------

const chunkDecoder = (): NativeBody.ChunkDecoder => {
  const writer = new EventWriter()
  let usageJson: Json | undefined
  const chunk = (raw: Json): Either.Either<ReadonlyArray<Response.StreamEvent>, string> => {
    const start = recordAt(raw, "contentBlockStart")
    const delta = recordAt(raw, "contentBlockDelta")
    const stop = recordAt(raw, "contentBlockStop")
    const messageStop = recordAt(raw, "messageStop")
    const metadata = recordAt(raw, "metadata")
    if (recordAt(raw, "messageStart") !== undefined) writer.start()
    else if (start !== undefined) {
      const index = numberAt(start, "contentBlockIndex") ?? 0
      const toolUse = recordAt(recordAt(start, "start") ?? {}, "toolUse")
      if (toolUse !== undefined) {
        writer.push({
          _tag: "ContentBlockStart",
          index,
          start: {
            _tag: "ToolUseStart",
            toolUseId: stringAt(toolUse, "toolUseId") ?? "",
            name: stringAt(toolUse, "name") ?? ""
          }
        })
      }
    } else if (delta !== undefined) {
      const index = numberAt(delta, "contentBlockIndex") ?? 0
      const d = recordAt(delta, "delta") ?? {}
      const toolUse = recordAt(d, "toolUse")
      const reasoning = recordAt(d, "reasoningContent")
      if (typeof d["text"] === "string") {
        writer.push({ _tag: "ContentBlockDelta", index, delta: { _tag: "TextDelta", text: d["text"] } })
      } else if (toolUse !== undefined) {
        const input = stringAt(toolUse, "input") ?? ""
        if (input.length > 0) {
          writer.push({ _tag: "ContentBlockDelta", index, delta: { _tag: "ToolUseInputDelta", input } })
        }
      } else if (reasoning !== undefined && typeof reasoning["text"] === "string") {
        writer.push({
          _tag: "ContentBlockDelta",
          index,
          delta: { _tag: "ReasoningTextDelta", text: reasoning["text"] }
        })
      } else if (reasoning !== undefined && typeof reasoning["signature"] === "string") {
        writer.push({
          _tag: "ContentBlockDelta",
          index,
          delta: { _tag: "ReasoningSignatureDelta", signature: reasoning["signature"] }
        })
      } else {
        const [type] = Object.keys(d)
        writer.push({
          _tag: "ContentBlockDelta",
          index,
          delta: { _tag: "UnknownDelta", type: type ?? "unknown", value: type === undefined ? d : d[type] }
        })
      }
    } else if (stop !== undefined) {
      writer.push({ _tag: "ContentBlockStop", index: numberAt(stop, "contentBlockIndex") ?? 0 })
    } else if (messageStop !== undefined) {
      writer.stop(stringAt(messageStop, "stopReason") ?? "end_turn")
    } else if (metadata !== undefined) {
      usageJson = recordAt(metadata, "usage")
    }
    return Either.right(writer.take())
  }
  const end = (
    metrics: NativeBody.InvocationMetrics | undefined
  ): Either.Either<ReadonlyArray<Response.StreamEvent>, string> => {
    if (writer.hasStopped) {
      const fromMetrics = usageFromMetrics(metrics)
      const fromBody = usageJson === undefined ? fromMetrics : usageOf(usageJson)
      const cacheOnlyInMetrics = fromBody.cacheReadInputTokens === undefined &&
        fromMetrics.cacheReadInputTokens !== undefined
      writer.metadata(
        cacheOnlyInMetrics
          ? usage(
            fromBody.inputTokens,
            fromBody.outputTokens,
            fromMetrics.cacheReadInputTokens,
            fromMetrics.cacheWriteInputTokens
          )
          : fromBody,
        metrics?.invocationLatency
      )
    }
    return Either.right(writer.take())
  }
  return { chunk, end }
}

/**
 * Amazon Nova's native `messages-v1` API.
 *
 * @since 0.1.0
 * @category models
 */
export const Nova: NativeBody.NativeBody = NativeBody.make({
  family: "amazon-nova",
  name: "Amazon Nova (messages-v1)",
  encodeRequest,
  decodeResponse,
  chunkDecoder
})
