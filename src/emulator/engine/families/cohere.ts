/**
 * Cohere's native bodies on InvokeModel: Command R / R+ (`{message, chat_history, preamble, tools, tool_results}`
 * → `{response_id, text, generation_id, chat_history, finish_reason, ...}`) and the legacy Command
 * (`{prompt, max_tokens, num_generations}` → `{generations, id, prompt}`).
 *
 * @internal
 */
import type { Answer } from "../answer.js"
import type { ModelInfo } from "../catalog.js"
import type { Part, ToolChoice, ToolDef } from "../conversation.js"
import { PromptUnits, toolUnit, turnUnits } from "../conversation.js"
import { stableUuid } from "../hash.js"
import { isArray, isRecord, isString, type Json } from "../json.js"
import type { InputLimit } from "../limits.js"
import { rejectMalformed } from "../reject.js"
import { tokenize } from "../tokens.js"
import type { NativeRequest, NativeUsage } from "./common.js"
import {
  checkKeys,
  intField,
  nativeBody,
  numberField,
  promptConversation,
  stringField,
  stringList,
  withMetrics
} from "./common.js"

const COMMAND_R_KEYS = [
  "chat_history",
  "preamble",
  "documents",
  "search_queries_only",
  "max_tokens",
  "temperature",
  "p",
  "k",
  "prompt_truncation",
  "frequency_penalty",
  "presence_penalty",
  "seed",
  "return_prompt",
  "tools",
  "tool_results",
  "stop_sequences",
  "raw_prompting",
  "force_single_step"
]

const cohereType = (t: unknown): Json => {
  const s = isString(t) ? t.toLowerCase() : "str"
  if (s.startsWith("list")) return { type: "array", items: cohereType(s.slice(5, -1)) }
  if (s === "int" || s === "integer") return { type: "integer" }
  if (s === "float" || s === "number") return { type: "number" }
  if (s === "bool" || s === "boolean") return { type: "boolean" }
  if (s.startsWith("dict") || s === "object") return { type: "object", properties: {} }
  return { type: "string" }
}

const parseTools = (raw: unknown): Array<ToolDef> => {
  if (raw === undefined || raw === null) return []
  if (!isArray(raw)) return rejectMalformed(["#/tools: expected type: JSONArray"])
  return raw.map((t, i) => {
    if (!isRecord(t) || !isString(t["name"])) return rejectMalformed([`#/tools/${i}: required key [name] not found`])
    const defs = isRecord(t["parameter_definitions"]) ? t["parameter_definitions"] : {}
    const properties: Json = {}
    const required: Array<string> = []
    for (const [name, def] of Object.entries(defs)) {
      const d = isRecord(def) ? def : {}
      properties[name] = {
        ...cohereType(d["type"]),
        ...(isString(d["description"]) ? { description: d["description"] } : {})
      }
      if (d["required"] === true) required.push(name)
    }
    return {
      name: t["name"],
      description: isString(t["description"]) ? t["description"] : "",
      schema: { type: "object", properties, required }
    }
  })
}

const roleOf = (r: unknown): "user" | "assistant" | "system" | undefined =>
  r === "USER" ? "user" : r === "CHATBOT" ? "assistant" : r === "SYSTEM" ? "system" : undefined

/** Parses a Command R / R+ body. @internal */
export const parseCommandR = (model: ModelInfo, input: unknown, limit: InputLimit): NativeRequest => {
  const body = nativeBody(input)
  checkKeys(body, ["message"], COMMAND_R_KEYS)
  const message = stringField(body, "message")
  const maxTokens = intField(body, "max_tokens", Math.min(4000, model.maxOutputTokens), 1, model.maxOutputTokens)
  numberField(body, "temperature", 0, 5)
  numberField(body, "p", 0.01, 0.99)
  const stopSequences = stringList(body, "stop_sequences")
  const system: Array<string> = isString(body["preamble"]) ? [body["preamble"]] : []
  const turns: Array<{ role: "user" | "assistant"; parts: Array<Part> }> = []
  const push = (role: "user" | "assistant", parts: Array<Part>): void => {
    const last = turns[turns.length - 1]
    if (last !== undefined && last.role === role) last.parts.push(...parts)
    else turns.push({ role, parts })
  }
  if (body["chat_history"] !== undefined) {
    if (!isArray(body["chat_history"])) return rejectMalformed(["#/chat_history: expected type: JSONArray"])
    body["chat_history"].forEach((h, i) => {
      const role = isRecord(h) ? roleOf(h["role"]) : undefined
      if (!isRecord(h) || role === undefined) {
        return rejectMalformed([`#/chat_history/${i}/role: is not a valid enum value`])
      }
      const text = isString(h["message"]) ? h["message"] : ""
      if (role === "system") system.push(text)
      else push(role, [{ kind: "text", text }])
    })
  }
  const documents = isArray(body["documents"]) ? body["documents"] : []
  const docParts: Array<Part> = documents.map((d, i) => ({
    kind: "document",
    name: isRecord(d) && isString(d["title"]) ? d["title"] : `doc_${i}`,
    text: isRecord(d) ? Object.values(d).filter(isString).join("\n") : "",
    citations: false
  }))
  const tools = parseTools(body["tools"])
  if (isArray(body["tool_results"]) && body["tool_results"].length > 0) {
    const uses: Array<Part> = []
    const results: Array<Part> = []
    body["tool_results"].forEach((r, i) => {
      const call = isRecord(r) && isRecord(r["call"]) ? r["call"] : {}
      const name = isString(call["name"]) ? call["name"] : "tool"
      uses.push({ kind: "toolUse", id: `call_${i}`, name, input: call["parameters"] ?? {} })
      results.push({
        kind: "toolResult",
        id: `call_${i}`,
        text: JSON.stringify(isRecord(r) ? r["outputs"] ?? [] : []) ?? "",
        status: "success"
      })
    })
    push("user", [...docParts, { kind: "text", text: message }])
    push("assistant", uses)
    push("user", results)
  } else {
    push("user", [...docParts, ...(message.length > 0 ? [{ kind: "text" as const, text: message }] : [])])
  }
  const units = new PromptUnits(limit)
  for (const tool of tools) toolUnit(units, tool)
  for (const s of system) units.text("system", s)
  for (const turn of turns) turnUnits(units, turn.role, turn.parts)
  const toolChoice: ToolChoice = { kind: "auto" }
  const conversation = {
    system,
    turns,
    tools,
    toolChoice,
    maxTokens,
    stopSequences,
    thinking: undefined,
    guardrail: undefined,
    units: units.units
  }
  return { conversation, render: (answer, usage) => renderCommandR(body, message, answer, usage) }
}

const finishOf = (answer: Answer): string =>
  answer.stopReason === "max_tokens"
    ? "MAX_TOKENS"
    : answer.stopReason === "stop_sequence"
    ? "STOP_SEQUENCE"
    : "COMPLETE"

const renderCommandR = (
  request: Json,
  message: string,
  answer: Answer,
  usage: NativeUsage
): { body: Json; chunks: Array<Json> } => {
  const text = answer.blocks.map((b) => (b.kind === "text" || b.kind === "citation" ? b.text : "")).join("")
  const calls = answer.blocks.flatMap((b) => (b.kind === "toolUse" ? [{ name: b.name, parameters: b.input }] : []))
  const history = [
    ...(isArray(request["chat_history"]) ? request["chat_history"] : []),
    { role: "USER", message },
    { role: "CHATBOT", message: text, ...(calls.length > 0 ? { tool_calls: calls } : {}) }
  ]
  const body: Json = {
    response_id: stableUuid(answer.key + ":response"),
    text,
    generation_id: stableUuid(answer.key + ":generation"),
    chat_history: history,
    finish_reason: finishOf(answer),
    meta: {
      api_version: { version: "1" },
      billed_units: { input_tokens: usage.inputTokens, output_tokens: answer.outputTokens }
    }
  }
  if (calls.length > 0) body["tool_calls"] = calls
  const chunks: Array<Json> = [{ is_finished: false, event_type: "stream-start", generation_id: body["generation_id"] }]
  for (const t of tokenize(text)) chunks.push({ is_finished: false, event_type: "text-generation", text: t })
  if (calls.length > 0) {
    chunks.push({ is_finished: false, event_type: "tool-calls-generation", text, tool_calls: calls })
  }
  chunks.push({ is_finished: true, event_type: "stream-end", response: body, finish_reason: body["finish_reason"] })
  return { body, chunks: withMetrics(chunks, usage) }
}

/** Parses a legacy Command body. @internal */
export const parseCommand = (model: ModelInfo, input: unknown, limit: InputLimit): NativeRequest => {
  const body = nativeBody(input)
  checkKeys(body, ["prompt"], [
    "max_tokens",
    "temperature",
    "p",
    "k",
    "stop_sequences",
    "return_likelihoods",
    "stream",
    "num_generations",
    "logit_bias",
    "truncate"
  ])
  const prompt = stringField(body, "prompt")
  const maxTokens = intField(body, "max_tokens", 20, 1, model.maxOutputTokens)
  const generations = intField(body, "num_generations", 1, 1, 5)
  const conversation = promptConversation(prompt, maxTokens, stringList(body, "stop_sequences"), limit)
  return {
    conversation,
    render: (answer, usage) => {
      const text = answer.blocks.map((b) => (b.kind === "toolUse" ? "" : b.text)).join("")
      const finish = finishOf(answer)
      const body: Json = {
        generations: Array.from({ length: generations }, (_, i) => ({
          finish_reason: finish,
          id: stableUuid(`${answer.key}:gen:${i}`),
          text
        })),
        id: stableUuid(answer.key),
        prompt
      }
      const chunks: Array<Json> = tokenize(text).map((t) => ({ is_finished: false, text: t }))
      chunks.push({ finish_reason: finish, is_finished: true })
      return {
        body,
        chunks: withMetrics(chunks, { ...usage, outputTokens: usage.outputTokens * generations })
      }
    }
  }
}
