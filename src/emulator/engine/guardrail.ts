/**
 * The emulator's deterministic guardrail, for ApplyGuardrail and Converse `guardrailConfig`:
 * - word policy: the denied words `BLOCKME`, `FORBIDDEN_TOPIC` and `badword` (case-insensitive, whole words)
 *   are BLOCKED;
 * - sensitive information: e-mail addresses are ANONYMIZED (`{EMAIL}`), US social security numbers
 *   (ddd-dd-dddd) are BLOCKED.
 * Any BLOCKED match replaces the output with the blocked message; anonymizations mask the text.
 *
 * @since 0.1.0
 */
import { isArray, isRecord, isString, type Json } from "./json.js"
import { guard, rejectField } from "./reject.js"
import type { EngineResult } from "./types.js"
import { checkGuardrailIds } from "./validate.js"

/**
 * The denied words.
 *
 * @since 0.1.0
 * @category models
 */
export const DENIED_WORDS: ReadonlyArray<string> = ["BLOCKME", "FORBIDDEN_TOPIC", "badword"]

/**
 * What a blocked input or output is replaced with.
 *
 * @since 0.1.0
 * @category models
 */
export const BLOCKED_MESSAGE = "Sorry, the model cannot answer this question."

interface Finding {
  readonly policy: "word" | "pii"
  readonly match: string
  readonly type: string
  readonly action: "BLOCKED" | "ANONYMIZED"
  readonly start: number
  readonly end: number
}

const isWordChar = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95

const deniedWords = (text: string, lower: string, out: Array<Finding>): void => {
  for (const word of DENIED_WORDS) {
    const needle = word.toLowerCase()
    for (let at = lower.indexOf(needle); at >= 0; at = lower.indexOf(needle, at + needle.length)) {
      const before = at === 0 ? 32 : lower.charCodeAt(at - 1)
      const after = at + needle.length >= lower.length ? 32 : lower.charCodeAt(at + needle.length)
      if (isWordChar(before) || isWordChar(after)) continue
      out.push({
        policy: "word",
        match: text.slice(at, at + needle.length),
        type: "CUSTOM",
        action: "BLOCKED",
        start: at,
        end: at + needle.length
      })
    }
  }
}

const isLocal = (c: number): boolean => isWordChar(c) || c === 46 || c === 43 || c === 45 || c === 37
const isDomain = (c: number): boolean => isWordChar(c) || c === 46 || c === 45

const emails = (text: string, out: Array<Finding>): void => {
  for (let at = text.indexOf("@"); at >= 0; at = text.indexOf("@", at + 1)) {
    let start = at
    while (start > 0 && isLocal(text.charCodeAt(start - 1))) start--
    let end = at + 1
    while (end < text.length && isDomain(text.charCodeAt(end))) end++
    while (end > at + 1 && text.charCodeAt(end - 1) === 46) end--
    const domain = text.slice(at + 1, end)
    if (start === at || !domain.includes(".") || domain.startsWith(".")) continue
    out.push({ policy: "pii", match: text.slice(start, end), type: "EMAIL", action: "ANONYMIZED", start, end })
    at = end - 1
  }
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57

const ssns = (text: string, out: Array<Finding>): void => {
  for (let at = text.indexOf("-"); at >= 0; at = text.indexOf("-", at + 1)) {
    const start = at - 3
    if (start < 0 || text.charCodeAt(at + 3) !== 45) continue
    const digits = [start, start + 1, start + 2, at + 1, at + 2, at + 4, at + 5, at + 6, at + 7]
    if (!digits.every((i) => i < text.length && isDigit(text.charCodeAt(i)))) continue
    if ((start > 0 && isDigit(text.charCodeAt(start - 1))) || isDigit(text.charCodeAt(at + 8))) continue
    out.push({
      policy: "pii",
      match: text.slice(start, at + 8),
      type: "US_SOCIAL_SECURITY_NUMBER",
      action: "BLOCKED",
      start,
      end: at + 8
    })
    at += 7
  }
}

const findings = (text: string): Array<Finding> => {
  const out: Array<Finding> = []
  deniedWords(text, text.toLowerCase(), out)
  emails(text, out)
  ssns(text, out)
  return out
}

const mask = (text: string, found: ReadonlyArray<Finding>): string => {
  const anonymized = found.filter((f) => f.action === "ANONYMIZED").sort((a, b) => a.start - b.start)
  let out = ""
  let at = 0
  for (const f of anonymized) {
    if (f.start < at) continue
    out += text.slice(at, f.start) + `{${f.type}}`
    at = f.end
  }
  return out + text.slice(at)
}

/**
 * The guardrail's verdict on some texts.
 *
 * @since 0.1.0
 * @category models
 */
export interface Verdict {
  readonly intervened: boolean
  readonly blocked: boolean
  readonly outputs: ReadonlyArray<string>
  readonly assessment: Json
  readonly characters: number
}

const usage = (characters: number, pii: boolean): Json => {
  const units = Math.max(1, Math.ceil(characters / 1000))
  return {
    automatedReasoningPolicies: 0,
    automatedReasoningPolicyUnits: 0,
    contentPolicyImageUnits: 0,
    contentPolicyUnits: 0,
    contextualGroundingPolicyUnits: 0,
    sensitiveInformationPolicyFreeUnits: 0,
    sensitiveInformationPolicyUnits: pii ? units : 0,
    topicPolicyUnits: 0,
    wordPolicyUnits: units
  }
}

/**
 * Assesses texts (one output per text) with the emulator's policies.
 *
 * @since 0.1.0
 * @category utils
 */
export const assess = (texts: ReadonlyArray<string>): Verdict => {
  const all = texts.map(findings)
  const flat = all.flat()
  const blocked = flat.some((f) => f.action === "BLOCKED")
  const characters = texts.reduce((n, t) => n + t.length, 0)
  const words = flat.filter((f) => f.policy === "word")
  const pii = flat.filter((f) => f.policy === "pii")
  const assessment: Json = {}
  if (words.length > 0) {
    assessment["wordPolicy"] = {
      customWords: words.map((f) => ({ action: f.action, detected: true, match: f.match })),
      managedWordLists: []
    }
  }
  if (pii.length > 0) {
    assessment["sensitiveInformationPolicy"] = {
      piiEntities: pii.map((f) => ({ action: f.action, detected: true, match: f.match, type: f.type })),
      regexes: []
    }
  }
  assessment["invocationMetrics"] = {
    guardrailCoverage: { textCharacters: { guarded: characters, total: characters } },
    guardrailProcessingLatency: 40 + Math.ceil(characters / 100),
    usage: usage(characters, true)
  }
  return {
    intervened: flat.length > 0,
    blocked,
    outputs: blocked ? [BLOCKED_MESSAGE] : texts.map((t, i) => mask(t, all[i]!)),
    assessment,
    characters
  }
}

/**
 * Answers an ApplyGuardrail request with the emulator's deterministic guardrail.
 *
 * @since 0.1.0
 * @category constructors
 */
export const applyGuardrail = (
  guardrailId: string,
  version: string,
  body: unknown
): EngineResult<Record<string, unknown>> =>
  guard(() => {
    checkGuardrailIds(guardrailId, version, "")
    const request = isRecord(body) ? body : rejectField("body", body, "Member must be a structure")
    const source = request["source"]
    if (source !== "INPUT" && source !== "OUTPUT") {
      return rejectField("source", source, "Member must satisfy enum value set: [INPUT, OUTPUT]")
    }
    const content = request["content"]
    if (!isArray(content)) return rejectField("content", content, "Member must not be null")
    const texts: Array<string> = []
    let images = 0
    content.forEach((item, i) => {
      if (!isRecord(item)) return rejectField(`content.${i + 1}.member`, item, "Member must be a structure")
      if (isRecord(item["text"])) {
        const text = item["text"]["text"]
        if (!isString(text)) return rejectField(`content.${i + 1}.member.text.text`, text, "Member must not be null")
        texts.push(text)
      } else if (isRecord(item["image"])) images++
      else rejectField(`content.${i + 1}.member`, item, "Member must have exactly one of text, image")
    })
    const outputScope = request["outputScope"]
    const verdict = assess(texts)
    const full = outputScope === "FULL"
    const outputs = verdict.intervened || full ? verdict.outputs.map((text) => ({ text })) : []
    const coverage: Json = { textCharacters: { guarded: verdict.characters, total: verdict.characters } }
    if (images > 0) coverage["images"] = { guarded: 0, total: images }
    const { invocationMetrics, ...policies } = verdict.assessment
    return {
      action: verdict.intervened ? "GUARDRAIL_INTERVENED" : "NONE",
      actionReason: verdict.intervened
        ? verdict.blocked ? "Guardrail blocked." : "Guardrail masked."
        : "No action.",
      assessments: [{ ...policies, invocationMetrics }],
      guardrailCoverage: coverage,
      outputs: verdict.blocked ? [{ text: BLOCKED_MESSAGE }] : outputs,
      usage: (invocationMetrics as Json)["usage"]
    }
  })
