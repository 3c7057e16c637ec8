/**
 * Scripted mode: a scenario fixes the exact Converse answers turn by turn, for all models or per model id.
 */
import * as fs from "node:fs/promises"
import { type Fault, parseFaults } from "./faults.js"
import { bedrockError, type WireError } from "./wire.js"

/** A scenario as written in JSON (see docs/EMULATOR.md). */
export interface ScenarioJson {
  readonly turns?: ReadonlyArray<unknown> | undefined
  readonly models?: Readonly<Record<string, ReadonlyArray<unknown>>> | undefined
  readonly onExhausted?: "cycle" | "repeat-last" | "error" | undefined
}

export type ScriptedTurn =
  | { readonly _tag: "Response"; readonly body: Record<string, unknown>; readonly faults: ReadonlyArray<Fault> }
  | { readonly _tag: "Error"; readonly error: WireError; readonly faults: ReadonlyArray<Fault> }

export interface Script {
  /** The next scripted turn for this model id, `undefined` when the scenario has no turns for it. */
  readonly next: (modelId: string) => ScriptedTurn | WireError | undefined
  readonly reset: () => void
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const usageOf = (value: unknown): Record<string, unknown> => {
  const usage = isObject(value) ? value : {}
  const inputTokens = typeof usage["inputTokens"] === "number" ? usage["inputTokens"] : 0
  const outputTokens = typeof usage["outputTokens"] === "number" ? usage["outputTokens"] : 0
  return { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens, ...usage }
}

const normalizeTurn = (turn: unknown, where: string): ScriptedTurn | string => {
  if (!isObject(turn)) return `${where}: a turn must be an object`
  const faultSpec = turn["fault"]
  const parsed = typeof faultSpec === "string" ? parseFaults(faultSpec) : { ok: true as const, faults: [] }
  if (!parsed.ok) return `${where}: ${parsed.message}`
  const error = turn["error"]
  if (error !== undefined) {
    if (!isObject(error) || typeof error["type"] !== "string") return `${where}: "error" needs a "type"`
    const message = typeof error["message"] === "string" ? error["message"] : undefined
    const base = bedrockError(error["type"], message)
    return {
      _tag: "Error",
      error: typeof error["status"] === "number" ? { ...base, status: error["status"] } : base,
      faults: parsed.faults
    }
  }
  const content = typeof turn["text"] === "string"
    ? [{ text: turn["text"] }]
    : Array.isArray(turn["content"])
    ? turn["content"]
    : undefined
  const output = content !== undefined ? { message: { role: "assistant", content } } : turn["output"]
  if (!isObject(output) || !isObject(output["message"])) {
    return `${where}: a turn needs "output": {"message": ...}, "text" or "content"`
  }
  const { content: _content, fault: _fault, text: _text, ...rest } = turn
  const hasToolUse = Array.isArray((output["message"] as Record<string, unknown>)["content"]) &&
    ((output["message"] as Record<string, unknown>)["content"] as ReadonlyArray<unknown>).some((block) =>
      isObject(block) && "toolUse" in block
    )
  return {
    _tag: "Response",
    body: {
      ...rest,
      output,
      stopReason: typeof turn["stopReason"] === "string" ? turn["stopReason"] : hasToolUse ? "tool_use" : "end_turn",
      usage: usageOf(turn["usage"]),
      metrics: isObject(turn["metrics"]) ? turn["metrics"] : { latencyMs: 0 }
    },
    faults: parsed.faults
  }
}

const normalizeTurns = (turns: unknown, where: string): ReadonlyArray<ScriptedTurn> | string => {
  if (!Array.isArray(turns)) return `${where} must be an array of turns`
  const normalized: Array<ScriptedTurn> = []
  for (let i = 0; i < turns.length; i++) {
    const turn = normalizeTurn(turns[i], `${where}[${i}]`)
    if (typeof turn === "string") return turn
    normalized.push(turn)
  }
  return normalized
}

/** Validates a scenario and builds its turn cursor; a string is the reason it is invalid. */
export const makeScript = (scenario: unknown): Script | string => {
  if (!isObject(scenario)) return "scenario must be a JSON object"
  const onExhausted = scenario["onExhausted"] ?? "cycle"
  if (onExhausted !== "cycle" && onExhausted !== "repeat-last" && onExhausted !== "error") {
    return `scenario "onExhausted" must be "cycle", "repeat-last" or "error"`
  }
  const byModel = new Map<string, ReadonlyArray<ScriptedTurn>>()
  if (scenario["turns"] !== undefined) {
    const turns = normalizeTurns(scenario["turns"], "turns")
    if (typeof turns === "string") return turns
    byModel.set("*", turns)
  }
  const models = scenario["models"]
  if (models !== undefined) {
    if (!isObject(models)) return `scenario "models" must map model ids to turn arrays`
    for (const [modelId, turns] of Object.entries(models)) {
      const normalized = normalizeTurns(turns, `models["${modelId}"]`)
      if (typeof normalized === "string") return normalized
      byModel.set(modelId, normalized)
    }
  }
  const cursors = new Map<string, number>()
  return {
    next: (modelId) => {
      const key = byModel.has(modelId) ? modelId : "*"
      const turns = byModel.get(key)
      if (turns === undefined || turns.length === 0) return undefined
      const cursor = cursors.get(key) ?? 0
      cursors.set(key, cursor + 1)
      if (cursor < turns.length) return turns[cursor]
      if (onExhausted === "cycle") return turns[cursor % turns.length]
      if (onExhausted === "repeat-last") return turns[turns.length - 1]
      return bedrockError(
        "ValidationException",
        `The emulator scenario has no turn ${cursor + 1} for model ${modelId} (it has ${turns.length}).`
      )
    },
    reset: () => cursors.clear()
  }
}

/** Reads a scenario file. */
export const loadScenario = async (file: string): Promise<unknown> => JSON.parse(await fs.readFile(file, "utf8"))
