/**
 * The engine's own neutral form of a request, whichever API or native body it came in: the turns, tools and
 * settings the deterministic model answers, and the prompt's token units (for counts and the prompt cache).
 *
 * @since 0.1.0
 */
import { fnv1a } from "./hash.js"
import type { InputLimit } from "./limits.js"
import { uncountedLimit } from "./limits.js"
import { countTextWithin } from "./tokens.js"

/** @internal */
export type Part =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "toolUse"; readonly id: string; readonly name: string; readonly input: unknown }
  | { readonly kind: "toolResult"; readonly id: string; readonly text: string; readonly status: string }
  | { readonly kind: "document"; readonly name: string; readonly text: string; readonly citations: boolean }
  | { readonly kind: "media"; readonly what: string; readonly format: string }
  | { readonly kind: "reasoning"; readonly text: string }
  | { readonly kind: "guard"; readonly text: string }

/** @internal */
export interface Turn {
  readonly role: "user" | "assistant"
  readonly parts: ReadonlyArray<Part>
}

/** @internal */
export interface ToolDef {
  readonly name: string
  readonly description: string
  readonly schema: unknown
}

/** @internal */
export type ToolChoice =
  | { readonly kind: "auto" }
  | { readonly kind: "any" }
  | { readonly kind: "none" }
  | { readonly kind: "tool"; readonly name: string }

/** @internal */
export interface GuardrailRequest {
  readonly id: string
  readonly version: string
  readonly trace: boolean
}

/** One token unit of the prompt, or a cache point. @internal */
export type Unit =
  | { readonly kind: "tokens"; readonly tokens: number; readonly h1: number; readonly h2: number }
  | { readonly kind: "cache"; readonly tokens: number; readonly h1: number; readonly h2: number }

/** @internal */
export interface Conversation {
  readonly system: ReadonlyArray<string>
  readonly turns: ReadonlyArray<Turn>
  readonly tools: ReadonlyArray<ToolDef>
  readonly toolChoice: ToolChoice
  readonly maxTokens: number
  readonly stopSequences: ReadonlyArray<string>
  readonly thinking: { readonly budget: number } | undefined
  readonly guardrail: GuardrailRequest | undefined
  /** The prompt as token units in model order (tools, system, messages), with cache points. */
  readonly units: ReadonlyArray<Unit>
}

/**
 * Accumulates the prompt's token units; a running pair of hashes identifies each prefix (for the cache). Past the
 * limit (the model's context window) it rejects the request at once, before counting or hashing any further.
 *
 * @internal
 */
export class PromptUnits {
  readonly units: Array<Unit> = []
  private h1 = 0x811c9dc5
  private h2 = 0x01000193
  private total = 0

  constructor(private readonly limit: InputLimit = uncountedLimit) {}

  text(key: string, text: string): void {
    this.add(key + "\u0000" + text, countTextWithin(text, this.limit.tokens - this.total))
  }

  add(key: string, tokens: number): void {
    if (this.total + tokens > this.limit.tokens) this.limit.exceeded()
    this.h1 = fnv1a(key, this.h1)
    this.h2 = fnv1a(key, this.h2 ^ 0x5bd1e995)
    this.total += tokens
    this.units.push({ kind: "tokens", tokens, h1: this.h1, h2: this.h2 })
  }

  cachePoint(): void {
    this.units.push({ kind: "cache", tokens: this.total, h1: this.h1, h2: this.h2 })
  }

  get tokens(): number {
    return this.total
  }
}

/** Per-message overhead, in tokens (role markers). @internal */
export const MESSAGE_OVERHEAD = 3

/** Tokens a tool definition costs in the prompt. @internal */
export const toolUnit = (units: PromptUnits, tool: ToolDef): void => {
  units.text("tool", tool.name)
  units.text("tool.description", tool.description)
  units.text("tool.schema", safeJson(tool.schema))
}

/** Adds one message's parts to the prompt units. @internal */
export const turnUnits = (units: PromptUnits, role: string, parts: ReadonlyArray<Part | "cache">): void => {
  units.add("role:" + role, MESSAGE_OVERHEAD)
  for (const part of parts) {
    if (part === "cache") {
      units.cachePoint()
      continue
    }
    switch (part.kind) {
      case "text":
      case "reasoning":
      case "guard":
        units.text(part.kind, part.text)
        break
      case "toolUse":
        units.text("toolUse", part.name + " " + safeJson(part.input))
        break
      case "toolResult":
        units.text("toolResult", part.text)
        break
      case "document":
        units.text("document", part.name + "\n" + part.text)
        break
      case "media":
        units.add("media:" + part.what + ":" + part.format, MEDIA_TOKENS)
        break
    }
  }
}

/** What an image or video costs, in tokens (a fixed figure: the engine does not decode media). @internal */
export const MEDIA_TOKENS = 256

/** The prompt's input tokens. @internal */
export const promptTokens = (units: ReadonlyArray<Unit>): number => {
  let total = 0
  for (const unit of units) if (unit.kind === "tokens") total += unit.tokens
  return total
}

/** @internal */
export const safeJson = (u: unknown): string => {
  try {
    return JSON.stringify(u) ?? "null"
  } catch {
    return "null"
  }
}

/** The text of the last user turn (text parts joined), or "". @internal */
export const lastUserText = (turns: ReadonlyArray<Turn>): string => {
  for (let i = turns.length - 1; i >= 0; i--) {
    const turn = turns[i]!
    if (turn.role !== "user") continue
    const texts: Array<string> = []
    for (const part of turn.parts) if (part.kind === "text" || part.kind === "guard") texts.push(part.text)
    if (texts.length > 0) return texts.join("\n")
  }
  return ""
}
