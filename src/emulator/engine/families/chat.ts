/**
 * OpenAI-style chat bodies (`messages` with system/user/assistant/tool roles, `tools` of type function), spoken
 * natively by Mistral Large (chat), AI21 Jamba and OpenAI gpt-oss on InvokeModel.
 *
 * @internal
 */
import type { Answer } from "../answer.js"
import type { ModelInfo } from "../catalog.js"
import type { Conversation, Part, ToolChoice, ToolDef } from "../conversation.js"
import { PromptUnits, toolUnit, turnUnits } from "../conversation.js"
import { stableId } from "../hash.js"
import { isArray, isRecord, isString, type Json } from "../json.js"
import type { InputLimit } from "../limits.js"
import { rejectMalformed } from "../reject.js"
import { checkToolPairs } from "../validate.js"

const textOf = (content: unknown): string =>
  isString(content)
    ? content
    : isArray(content)
    ? content.map((c) => (isRecord(c) && isString(c["text"]) ? c["text"] : "")).join("\n")
    : ""

const argumentsOf = (raw: unknown): unknown => {
  if (!isString(raw)) return raw ?? {}
  try {
    return JSON.parse(raw)
  } catch {
    return {}
  }
}

/** Parses chat messages, tools and tool choice into a conversation. @internal */
export const parseChat = (
  model: ModelInfo,
  body: Json,
  maxTokens: number,
  stopSequences: ReadonlyArray<string>,
  limit: InputLimit
): Conversation => {
  const messages = body["messages"]
  if (!isArray(messages) || messages.length === 0) {
    return rejectMalformed(["#/messages: expected minimum item count: 1"])
  }
  const system: Array<string> = []
  const turns: Array<{ role: "user" | "assistant"; parts: Array<Part> }> = []
  const push = (role: "user" | "assistant", parts: Array<Part>): void => {
    const last = turns[turns.length - 1]
    if (last !== undefined && last.role === role) last.parts.push(...parts)
    else turns.push({ role, parts })
  }
  messages.forEach((m, i) => {
    if (!isRecord(m)) return rejectMalformed([`#/messages/${i}: expected type: JSONObject`])
    switch (m["role"]) {
      case "system":
        system.push(textOf(m["content"]))
        break
      case "user":
        push("user", [{ kind: "text", text: textOf(m["content"]) }])
        break
      case "assistant": {
        const parts: Array<Part> = []
        const text = textOf(m["content"])
        if (text.length > 0) parts.push({ kind: "text", text })
        if (isArray(m["tool_calls"])) {
          for (const call of m["tool_calls"]) {
            if (!isRecord(call)) continue
            const fn = isRecord(call["function"]) ? call["function"] : {}
            parts.push({
              kind: "toolUse",
              id: isString(call["id"]) ? call["id"] : "",
              name: isString(fn["name"]) ? fn["name"] : "",
              input: argumentsOf(fn["arguments"])
            })
          }
        }
        push("assistant", parts)
        break
      }
      case "tool":
        push("user", [{
          kind: "toolResult",
          id: isString(m["tool_call_id"]) ? m["tool_call_id"] : "",
          text: textOf(m["content"]),
          status: "success"
        }])
        break
      default:
        return rejectMalformed([`#/messages/${i}/role: ${String(m["role"])} is not a valid enum value`])
    }
  })
  if (turns.length > 0) checkToolPairs(turns, { ...model, family: "anthropic" })
  const tools: Array<ToolDef> = []
  if (isArray(body["tools"])) {
    body["tools"].forEach((t, i) => {
      const fn = isRecord(t) && isRecord(t["function"]) ? t["function"] : undefined
      if (fn === undefined || !isString(fn["name"])) {
        return rejectMalformed([`#/tools/${i}/function: required key [name] not found`])
      }
      tools.push({
        name: fn["name"],
        description: isString(fn["description"]) ? fn["description"] : "",
        schema: isRecord(fn["parameters"]) ? fn["parameters"] : { type: "object", properties: {} }
      })
    })
  }
  const rawChoice = body["tool_choice"]
  const toolChoice: ToolChoice = rawChoice === "none"
    ? { kind: "none" }
    : rawChoice === "any" || rawChoice === "required"
    ? { kind: "any" }
    : isRecord(rawChoice) && isRecord(rawChoice["function"]) && isString(rawChoice["function"]["name"]) &&
        tools.some((t) => t.name === (rawChoice["function"] as Json)["name"])
    ? { kind: "tool", name: rawChoice["function"]["name"] }
    : { kind: "auto" }
  const units = new PromptUnits(limit)
  for (const tool of tools) toolUnit(units, tool)
  for (const s of system) units.text("system", s)
  for (const turn of turns) turnUnits(units, turn.role, turn.parts)
  return {
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
}

/** The text and tool calls of an answer, OpenAI style. @internal */
export const chatMessage = (answer: Answer, idLength = 9): Json => {
  const text = answer.blocks.map((b) => (b.kind === "text" || b.kind === "citation" ? b.text : "")).join("")
  const calls = answer.blocks.flatMap((b) =>
    b.kind === "toolUse"
      ? [{
        id: stableId(idLength, b.id),
        type: "function",
        function: { name: b.name, arguments: JSON.stringify(b.input) }
      }]
      : []
  )
  const message: Json = { role: "assistant", content: text.length > 0 || calls.length === 0 ? text : null }
  if (calls.length > 0) message["tool_calls"] = calls
  return message
}

/** OpenAI-style finish reason. @internal */
export const finishReason = (answer: Answer): string =>
  answer.stopReason === "tool_use" ? "tool_calls" : answer.stopReason === "max_tokens" ? "length" : "stop"
