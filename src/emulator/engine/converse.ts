/**
 * Converse and ConverseStream: the response JSON of the deterministic model's answer, and the stream events that
 * fold to it.
 *
 * @since 0.1.0
 */
import type { Answer, AnswerBlock } from "./answer.js"
import { answer } from "./answer.js"
import { cacheUsage } from "./cache.js"
import type { ModelInfo } from "./catalog.js"
import { resolveModel } from "./catalog.js"
import type { Conversation, GuardrailRequest } from "./conversation.js"
import { lastUserText } from "./conversation.js"
import { assess } from "./guardrail.js"
import { isArray, isRecord, isString, type Json } from "./json.js"
import { guard, rejectInvalidModel } from "./reject.js"
import { chunks, deltas } from "./tokens.js"
import type { ConverseOutput, EngineResult, StreamEventJson } from "./types.js"
import { parseConverseRequest } from "./validate.js"

/**
 * How a model family streams tool input: Anthropic models send an empty delta then small partial-JSON chunks,
 * Nova sends the whole JSON in one delta.
 *
 * @since 0.1.0
 * @category models
 */
export interface EventStyle {
  readonly toolInputChunk: number
  readonly leadingEmptyToolDelta: boolean
}

const anthropicStyle: EventStyle = { toolInputChunk: 12, leadingEmptyToolDelta: true }
const wholeStyle: EventStyle = { toolInputChunk: Number.MAX_SAFE_INTEGER, leadingEmptyToolDelta: false }

const styleOf = (model: ModelInfo): EventStyle => model.family === "anthropic" ? anthropicStyle : wholeStyle

/** A deterministic latency figure for an answer, in milliseconds. @internal */
export const latencyOf = (inputTokens: number, outputTokens: number): number =>
  120 + Math.ceil(inputTokens / 50) + outputTokens * 4

const guardrailArn = (id: string): string =>
  id.startsWith("arn:") ? id : `arn:aws:bedrock:us-east-1:123456789012:guardrail/${id}`

const guardrailIdOf = (id: string): string => id.startsWith("arn:") ? id.slice(id.lastIndexOf("/") + 1) : id

const applied = (g: GuardrailRequest): Json => ({
  guardrailArn: guardrailArn(g.id),
  guardrailId: guardrailIdOf(g.id),
  guardrailOrigin: ["REQUEST"],
  guardrailOwnership: "SELF",
  guardrailVersion: g.version
})

const guardedTexts = (conv: Conversation): Array<string> => {
  const guarded: Array<string> = []
  for (const turn of conv.turns) for (const p of turn.parts) if (p.kind === "guard") guarded.push(p.text)
  if (guarded.length > 0) return guarded
  const last = lastUserText(conv.turns)
  return [...conv.system, ...(last.length > 0 ? [last] : [])]
}

const blockJson = (block: AnswerBlock, model: ModelInfo): Json => {
  switch (block.kind) {
    case "text":
      return { text: block.text }
    case "toolUse": {
      const use: Json = { input: block.input, name: block.name, toolUseId: block.id }
      if (model.capabilities.reasoning) use["type"] = "tool_use"
      return { toolUse: use }
    }
    case "reasoning":
      return {
        reasoningContent: {
          reasoningText: block.signature === undefined
            ? { text: block.text }
            : { signature: block.signature, text: block.text }
        }
      }
    case "citation":
      return {
        citationsContent: {
          citations: [{
            location: {
              documentChar: {
                documentIndex: block.citation.documentIndex,
                end: block.citation.end,
                start: block.citation.start
              }
            },
            sourceContent: [{ text: block.citation.source }],
            title: block.citation.title
          }],
          content: [{ text: block.text }]
        }
      }
  }
}

/** The Converse `usage` object in the shape the model's family reports. @internal */
export const usageJson = (
  model: ModelInfo,
  cache: {
    readonly inputTokens: number
    readonly cacheRead: number
    readonly cacheWrite: number
    readonly cachePoints: number
  },
  outputTokens: number
): Json => {
  const total = cache.inputTokens + outputTokens + cache.cacheRead + cache.cacheWrite
  const withCache = cache.cachePoints > 0 || (model.family === "anthropic" && model.capabilities.cache)
  return withCache
    ? {
      cacheReadInputTokenCount: cache.cacheRead,
      cacheReadInputTokens: cache.cacheRead,
      cacheWriteInputTokenCount: cache.cacheWrite,
      cacheWriteInputTokens: cache.cacheWrite,
      inputTokens: cache.inputTokens,
      outputTokens,
      totalTokens: total
    }
    : { inputTokens: cache.inputTokens, outputTokens, totalTokens: total }
}

/** The Converse response JSON of an answer. @internal */
export const converseBody = (
  model: ModelInfo,
  conv: Conversation,
  result: Answer,
  usage: Json,
  trace: Json | undefined
): Json => {
  const body: Json = {}
  if (result.stopReason === "stop_sequence" && model.family === "anthropic" && result.stopSequence !== undefined) {
    body["additionalModelResponseFields"] = { stop_sequence: result.stopSequence }
  }
  body["metrics"] = { latencyMs: latencyOf(conv.units.length, result.outputTokens) }
  body["output"] = { message: { content: result.blocks.map((b) => blockJson(b, model)), role: "assistant" } }
  body["stopReason"] = result.stopReason
  if (trace !== undefined) body["trace"] = trace
  body["usage"] = usage
  return body
}

/**
 * Answers a Converse request: the response JSON and the ConverseStream events of the same answer.
 *
 * @since 0.1.0
 * @category constructors
 */
export const converse = (modelId: string, body: unknown): EngineResult<ConverseOutput> =>
  guard(() => {
    const model = resolveModel(modelId) ?? rejectInvalidModel()
    const conv = parseConverseRequest(model, body)
    let intervened = false
    let trace: Json | undefined
    let inputVerdict: ReturnType<typeof assess> | undefined
    if (conv.guardrail !== undefined) {
      inputVerdict = assess(guardedTexts(conv))
      intervened = inputVerdict.intervened
    }
    const result = answer(model, conv, intervened)
    const cache = cacheUsage(model.id, conv.units)
    const usage = usageJson(model, cache, result.outputTokens)
    if (conv.guardrail !== undefined && inputVerdict !== undefined) {
      const g = conv.guardrail
      const key = guardrailIdOf(g.id)
      const outputTexts = result.blocks.flatMap((b) => (b.kind === "text" || b.kind === "citation" ? [b.text] : []))
      const outputVerdict = intervened ? undefined : assess(outputTexts)
      if (g.trace) {
        const guardrail: Json = {
          actionReason: intervened ? "Guardrail blocked." : "No action.",
          inputAssessment: { [key]: { appliedGuardrailDetails: applied(g), ...inputVerdict.assessment } },
          modelOutput: intervened ? [] : outputTexts
        }
        if (outputVerdict !== undefined) {
          guardrail["outputAssessments"] = {
            [key]: [{ appliedGuardrailDetails: applied(g), ...outputVerdict.assessment }]
          }
        }
        trace = { guardrail }
      }
    }
    const responseBody = converseBody(model, conv, result, usage, trace)
    return { body: responseBody, events: eventsOf(responseBody, styleOf(model)) }
  })

/**
 * The ConverseStream events that fold to the given Converse response JSON (scripted mode). Never throws: missing
 * or malformed parts are skipped, missing usage and metrics become zeros.
 *
 * @since 0.1.0
 * @category constructors
 */
export const converseEvents = (
  responseBody: Record<string, unknown>,
  style: EventStyle = anthropicStyle
): ReadonlyArray<StreamEventJson> => {
  try {
    return eventsOf(responseBody, style)
  } catch {
    return []
  }
}

const eventsOf = (body: Json, style: EventStyle): Array<StreamEventJson> => {
  const output = isRecord(body["output"]) ? body["output"] : {}
  const message = isRecord(output["message"]) ? output["message"] : {}
  const role = isString(message["role"]) ? message["role"] : "assistant"
  const content = isArray(message["content"]) ? message["content"] : []
  const events: Array<StreamEventJson> = [{ type: "messageStart", payload: { role } }]
  let index = 0
  for (const raw of content) {
    if (!isRecord(raw)) continue
    const blockEvents = blockEventsOf(raw, index, style)
    if (blockEvents.length === 0) continue
    events.push(...blockEvents, { type: "contentBlockStop", payload: { contentBlockIndex: index } })
    index++
  }
  const stop: Json = {}
  if (isRecord(body["additionalModelResponseFields"])) {
    stop["additionalModelResponseFields"] = body["additionalModelResponseFields"]
  }
  stop["stopReason"] = isString(body["stopReason"]) ? body["stopReason"] : "end_turn"
  events.push({ type: "messageStop", payload: stop })
  const metadata: Json = {
    metrics: isRecord(body["metrics"]) ? body["metrics"] : { latencyMs: 0 }
  }
  if (isRecord(body["trace"])) metadata["trace"] = body["trace"]
  metadata["usage"] = isRecord(body["usage"]) ? body["usage"] : { inputTokens: 0, outputTokens: 0, totalTokens: 0 }
  events.push({ type: "metadata", payload: metadata })
  return events
}

const delta = (index: number, value: Json): StreamEventJson => ({
  type: "contentBlockDelta",
  payload: { contentBlockIndex: index, delta: value }
})

const blockEventsOf = (block: Json, index: number, style: EventStyle): Array<StreamEventJson> => {
  if (isString(block["text"])) return deltas(block["text"]).map((text) => delta(index, { text }))
  if (isRecord(block["toolUse"])) {
    const use = block["toolUse"]
    const start: Json = { name: use["name"], toolUseId: use["toolUseId"] }
    if (use["type"] !== undefined) start["type"] = use["type"]
    const json = JSON.stringify(use["input"] ?? {}) ?? "{}"
    const pieces = chunks(json, style.toolInputChunk)
    if (style.leadingEmptyToolDelta) pieces.unshift("")
    return [
      { type: "contentBlockStart", payload: { contentBlockIndex: index, start: { toolUse: start } } },
      ...pieces.map((input) => delta(index, { toolUse: { input } }))
    ]
  }
  if (isRecord(block["reasoningContent"])) {
    const reasoning = block["reasoningContent"]
    if (isString(reasoning["redactedContent"])) {
      return [delta(index, { reasoningContent: { redactedContent: reasoning["redactedContent"] } })]
    }
    const rt = isRecord(reasoning["reasoningText"]) ? reasoning["reasoningText"] : {}
    const out = deltas(isString(rt["text"]) ? rt["text"] : "").map((text) =>
      delta(index, { reasoningContent: { text } })
    )
    if (isString(rt["signature"])) out.push(delta(index, { reasoningContent: { signature: rt["signature"] } }))
    return out
  }
  if (isRecord(block["citationsContent"])) {
    const cited = block["citationsContent"]
    const out: Array<StreamEventJson> = []
    for (const citation of isArray(cited["citations"]) ? cited["citations"] : []) {
      if (isRecord(citation)) out.push(delta(index, { citation }))
    }
    for (const c of isArray(cited["content"]) ? cited["content"] : []) {
      if (isRecord(c) && isString(c["text"])) out.push(...deltas(c["text"]).map((text) => delta(index, { text })))
    }
    return out
  }
  if (isRecord(block["toolResult"])) {
    const result = block["toolResult"]
    const start: Json = { status: result["status"] ?? "success", toolUseId: result["toolUseId"] }
    if (result["type"] !== undefined) start["type"] = result["type"]
    return [
      { type: "contentBlockStart", payload: { contentBlockIndex: index, start: { toolResult: start } } },
      delta(index, { toolResult: isArray(result["content"]) ? result["content"] : [] })
    ]
  }
  return []
}
