/**
 * The deterministic default model: what it answers to a Conversation, before any wire format.
 *
 * Rules, in order (see docs/EMULATOR-ENGINE.md):
 * 1. guardrail: a configured guardrail that intervenes on the input answers its blocked message;
 * 2. reasoning first when thinking is requested;
 * 3. after tool results, a text that quotes them;
 * 4. a tool call when tools are offered and toolChoice forces one or the last user text names one;
 * 5. citations when a document asks for them;
 * 6. otherwise a text about the last user text ("Reply with exactly: X" answers X; "N words" writes N words).
 * Then maxTokens and stop sequences cut the answer.
 *
 * @since 0.1.0
 */
import type { ModelInfo } from "./catalog.js"
import type { Conversation, Part, ToolDef, Turn } from "./conversation.js"
import { lastUserText, safeJson } from "./conversation.js"
import { BLOCKED_MESSAGE } from "./guardrail.js"
import { fnv1a, stableBase64, stableId } from "./hash.js"
import { generate } from "./schema.js"
import { countText, takeTokens } from "./tokens.js"

/** @internal */
export interface Citation {
  readonly title: string
  readonly source: string
  readonly documentIndex: number
  readonly start: number
  readonly end: number
}

/** @internal */
export type AnswerBlock =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "toolUse"; readonly id: string; readonly name: string; readonly input: unknown }
  | { readonly kind: "reasoning"; readonly text: string; readonly signature: string | undefined }
  | { readonly kind: "citation"; readonly text: string; readonly citation: Citation }

/** @internal */
export type StopReason = "end_turn" | "tool_use" | "max_tokens" | "stop_sequence" | "guardrail_intervened"

/** @internal */
export interface Answer {
  readonly blocks: ReadonlyArray<AnswerBlock>
  readonly stopReason: StopReason
  readonly stopSequence: string | undefined
  readonly outputTokens: number
  /** A stable key of the exchange, for ids. */
  readonly key: string
}

const conversationKey = (model: ModelInfo, conv: Conversation): string => {
  const last = conv.units[conv.units.length - 1]
  return `${model.id}:${last === undefined ? 0 : last.h1.toString(36) + last.h2.toString(36)}:${conv.turns.length}`
}

/** A Converse-style tool use id, e.g. `tooluse_HA9wsJ32RhOvn8XgIUDpGA`. @internal */
export const toolUseId = (key: string, index: number): string => `tooluse_${stableId(22, `${key}#${index}`)}`

const snippet = (text: string, max: number): string => {
  const flat = text.slice(0, max * 4).replace(/\s+/g, " ").trim()
  return flat.length <= max ? flat : flat.slice(0, max - 3).trimEnd() + "..."
}

const STOP_WORDS = new Set(
  "a an and are as at be but by can could do does for from get give how i in into is it its me my of on or please show tell that the their them then there these this to was what when where which who why will with would you your fetch set list find lookup look run make create"
    .split(
      " "
    )
)

/** How far into a text key terms are looked for. */
const KEY_TERMS_SCAN = 4000

/** The distinct content words of a text, in order of first appearance. @internal */
export const keyTerms = (text: string, max: number): Array<string> => {
  const seen = new Set<string>()
  const out: Array<string> = []
  for (const raw of text.slice(0, KEY_TERMS_SCAN).split(/[^\p{L}\p{N}_'-]+/u)) {
    const word = raw.replace(/^['-]+|['-]+$/g, "")
    const lower = word.toLowerCase()
    if (word.length < 3 || STOP_WORDS.has(lower) || seen.has(lower)) continue
    seen.add(lower)
    out.push(word)
    if (out.length >= max) break
  }
  return out
}

const toolWords = (name: string): Array<string> =>
  name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase().split(/[\s_\-.]+/).filter((w) =>
    w.length > 0 && !STOP_WORDS.has(w)
  )

const namesTool = (tool: ToolDef, lower: string): boolean => {
  if (lower.includes(tool.name.toLowerCase())) return true
  const words = toolWords(tool.name)
  return words.length > 0 && words.every((w) => new RegExp(`\\b${w.replace(/[^a-z0-9]/g, "")}`).test(lower))
}

const toolsToCall = (conv: Conversation, text: string): ReadonlyArray<ToolDef> => {
  const choice = conv.toolChoice
  if (conv.tools.length === 0 || choice.kind === "none") return []
  if (choice.kind === "tool") return conv.tools.filter((t) => t.name === choice.name).slice(0, 1)
  const lower = text.toLowerCase()
  const named = conv.tools.filter((t) => namesTool(t, lower))
  if (choice.kind === "any") return named.length > 0 ? named.slice(0, 1) : conv.tools.slice(0, 1)
  return named.slice(0, 3)
}

const toolNameOf = (turns: ReadonlyArray<Turn>, index: number, id: string): string => {
  const previous = index > 0 ? turns[index - 1] : undefined
  const use = previous?.parts.find((p) => p.kind === "toolUse" && p.id === id)
  return use !== undefined && use.kind === "toolUse" ? use.name : "the tool"
}

const afterToolResults = (conv: Conversation, last: Turn): string => {
  const index = conv.turns.length - 1
  const lines = last.parts
    .filter((p): p is Extract<Part, { kind: "toolResult" }> => p.kind === "toolResult")
    .map((r) =>
      r.status === "error"
        ? `${toolNameOf(conv.turns, index, r.id)} failed: "${snippet(r.text, 300)}".`
        : `${toolNameOf(conv.turns, index, r.id)} returned: "${snippet(r.text, 300)}".`
    )
  return `Here is what the tools returned. ${lines.join(" ")} That is the emulator's answer, based on those results.`
}

const SENTENCE_END = /[.!?](?=\s|$)/g

const sentences = (text: string): Array<{ readonly start: number; readonly end: number }> => {
  const out: Array<{ start: number; end: number }> = []
  let start = 0
  SENTENCE_END.lastIndex = 0
  for (let m = SENTENCE_END.exec(text); m !== null; m = SENTENCE_END.exec(text)) {
    let end = m.index + 1
    while (end < text.length && /\s/.test(text[end]!)) end++
    out.push({ start, end })
    start = end
  }
  if (start < text.length) out.push({ start, end: text.length })
  return out.filter((s) => text.slice(s.start, s.end).trim().length > 0)
}

const citationAnswer = (conv: Conversation, question: string): ReadonlyArray<AnswerBlock> | undefined => {
  const documents: Array<Extract<Part, { kind: "document" }>> = []
  for (const turn of conv.turns) for (const p of turn.parts) if (p.kind === "document") documents.push(p)
  const terms = keyTerms(question, 32).map((t) => t.toLowerCase())
  let best: { score: number; doc: number; start: number; end: number } | undefined
  documents.forEach((doc, d) => {
    if (!doc.citations) return
    for (const s of sentences(doc.text)) {
      const lower = doc.text.slice(s.start, s.end).toLowerCase()
      const score = terms.reduce((n, t) => (lower.includes(t) ? n + 1 : n), 0)
      if (best === undefined || score > best.score) best = { score, doc: d, ...s }
    }
  })
  if (best === undefined) return undefined
  const doc = documents[best.doc]!
  const source = doc.text.slice(best.start, best.end)
  const cited = source.trim()
  return [
    { kind: "text", text: `According to ${doc.name}, ` },
    {
      kind: "citation",
      text: cited.charAt(0).toLowerCase() + cited.slice(1),
      citation: { title: doc.name, source, documentIndex: best.doc, start: best.start, end: best.end }
    }
  ]
}

const replyExactly = (text: string): string | undefined => {
  const lower = text.toLowerCase()
  const marker = "reply with exactly:"
  const at = lower.indexOf(marker)
  if (at < 0) return undefined
  const rest = text.slice(at + marker.length).trim()
  return rest.length > 0 ? rest : undefined
}

const wordsRequested = (text: string): number | undefined => {
  const m = /\b(\d{1,5})[ -]words?\b/i.exec(text)
  return m === null ? undefined : Math.min(10_000, Number(m[1]))
}

const filler = (terms: ReadonlyArray<string>, count: number): string => {
  const vocabulary = terms.length > 0 ? terms.map((t) => t.toLowerCase()) : ["emulated", "answer", "text"]
  const parts: Array<string> = []
  for (let i = 0; i < count; i++) {
    let word = vocabulary[(i * 7 + Math.floor(i / vocabulary.length)) % vocabulary.length]!
    if (i % 12 === 0) word = word.charAt(0).toUpperCase() + word.slice(1)
    parts.push(i % 12 === 11 || i === count - 1 ? word + "." : word)
  }
  return parts.join(" ")
}

const wordCount = (text: string): number => {
  let count = 0
  let inWord = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    const space = c === 32 || (c >= 9 && c <= 13)
    if (!space && !inWord) count++
    inWord = !space
  }
  return count
}

const plainAnswer = (model: ModelInfo, conv: Conversation, text: string): string => {
  const exact = replyExactly(text)
  if (exact !== undefined) return exact
  const terms = keyTerms(text, 8)
  const words = wordCount(text)
  const tokens = countText(text)
  const out: Array<string> = []
  out.push(
    text.length === 0
      ? `This is the bedrock-llm emulator answering as ${model.name}.`
      : `You said: "${snippet(text, 200)}" (${words} ${words === 1 ? "word" : "words"}, ${tokens} ${
        tokens === 1 ? "token" : "tokens"
      }).`
  )
  if (terms.length > 0) out.push(`Key terms: ${terms.join(", ")}.`)
  const last = conv.turns[conv.turns.length - 1]
  for (const part of last?.parts ?? []) {
    if (part.kind === "document") out.push(`The document "${part.name}" begins: "${snippet(part.text, 120)}".`)
    if (part.kind === "media") out.push(`I received a ${part.format} ${part.what}.`)
  }
  const requested = wordsRequested(text)
  if (requested !== undefined) out.push(filler(terms, requested))
  if (text.length > 0) out.push(`This is a deterministic answer from the bedrock-llm emulator (${model.name}).`)
  return out.join(" ")
}

const reasoningText = (text: string, plan: string): string =>
  `The user wrote: "${snippet(text, 160)}". ${plan} I will keep the answer short and deterministic.`

/**
 * The deterministic model's answer to a conversation. `intervened` is set when the guardrail blocked the input.
 *
 * @internal
 */
export const answer = (model: ModelInfo, conv: Conversation, intervened = false): Answer => {
  const key = conversationKey(model, conv)
  if (intervened) {
    return finish([{ kind: "text", text: BLOCKED_MESSAGE }], "guardrail_intervened", conv, key)
  }
  const last = conv.turns[conv.turns.length - 1]
  const text = lastUserText(conv.turns)
  const blocks: Array<AnswerBlock> = []
  let stop: StopReason = "end_turn"
  const hasResults = last !== undefined && last.role === "user" && last.parts.some((p) => p.kind === "toolResult")
  const calls = last !== undefined && last.role === "user" && !hasResults ? toolsToCall(conv, text) : []
  if (conv.thinking !== undefined) {
    const plan = hasResults
      ? "The tool results are in; I should report them."
      : calls.length > 0
      ? `I should call ${calls.map((t) => t.name).join(" and ")}.`
      : "No tool is needed."
    const thought = reasoningText(text, plan)
    blocks.push({
      kind: "reasoning",
      text: thought,
      signature: model.family === "anthropic" ? signatureOf(thought, key) : undefined
    })
  }
  if (hasResults) {
    blocks.push({ kind: "text", text: afterToolResults(conv, last) })
  } else if (calls.length > 0) {
    if (model.family === "anthropic" && conv.toolChoice.kind === "auto") {
      blocks.push({ kind: "text", text: `I'll use ${calls.map((t) => t.name).join(" and ")} to answer that.` })
    }
    calls.forEach((tool, i) =>
      blocks.push({ kind: "toolUse", id: toolUseId(key, i), name: tool.name, input: generate(tool.schema, text) })
    )
    stop = "tool_use"
  } else {
    const cited = citationAnswer(conv, text)
    if (cited !== undefined) blocks.push(...cited)
    else blocks.push({ kind: "text", text: plainAnswer(model, conv, text) })
  }
  return finish(blocks, stop, conv, key)
}

/** A deterministic stand-in for a reasoning signature (base64, bound to the reasoning text). @internal */
export const signatureOf = (text: string, key: string): string =>
  "Eu" + stableBase64(342, `${key}:${fnv1a(text).toString(36)}:${text.length}`)

const blockTokens = (block: AnswerBlock): number =>
  block.kind === "toolUse" ? countText(block.name) + countText(safeJson(block.input)) : countText(block.text)

const firstStop = (text: string, sequences: ReadonlyArray<string>): { at: number; seq: string } | undefined => {
  let found: { at: number; seq: string } | undefined
  for (const seq of sequences) {
    const at = text.indexOf(seq)
    if (at >= 0 && (found === undefined || at < found.at)) found = { at, seq }
  }
  return found
}

const finish = (
  draft: ReadonlyArray<AnswerBlock>,
  stop: StopReason,
  conv: Conversation,
  key: string
): Answer => {
  const blocks: Array<AnswerBlock> = []
  let remaining = conv.maxTokens
  let stopReason = stop
  let stopSequence: string | undefined
  let used = 0
  for (const block of draft) {
    let current = block
    let cut = false
    if (stopReason !== "guardrail_intervened" && (current.kind === "text" || current.kind === "citation")) {
      const hit = firstStop(current.text, conv.stopSequences)
      if (hit !== undefined) {
        current = { ...current, text: current.text.slice(0, hit.at) }
        stopReason = "stop_sequence"
        stopSequence = hit.seq
        cut = true
      }
    }
    const tokens = blockTokens(current)
    if (tokens > remaining) {
      if (current.kind === "toolUse" || remaining === 0) {
        stopReason = "max_tokens"
        stopSequence = undefined
        break
      }
      const taken = takeTokens(current.text, remaining)
      current = { ...current, text: taken.text }
      stopReason = "max_tokens"
      stopSequence = undefined
      cut = true
    }
    const cost = Math.min(tokens, remaining)
    remaining -= cost
    used += cost
    if (current.kind === "toolUse" || current.text.length > 0) blocks.push(current)
    if (cut) break
  }
  return { blocks, stopReason, stopSequence, outputTokens: used, key }
}
