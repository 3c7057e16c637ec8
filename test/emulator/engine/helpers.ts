import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import type { EngineResult } from "../../../src/emulator/engine/index.js"

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "fixtures", "recordings")

export interface Recording {
  readonly modelId: string
  readonly request: { readonly body: any }
  readonly response: { readonly status: number; readonly body?: any }
  readonly frames?: ReadonlyArray<
    { readonly ":event-type"?: string; readonly payload: any; readonly bytesDecoded?: any }
  >
}

export const recording = (name: string): Recording =>
  JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), "utf8")) as Recording

export const value = <A>(result: EngineResult<A>): A => {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.type}: ${result.error.message}`)
  return result.value
}

export const error = <A>(result: EngineResult<A>): { type: string; status: number; message: string } => {
  if (result.ok) throw new Error("expected an error, got ok")
  return result.error
}

/** A type skeleton of JSON: object keys (sorted) with their shapes, arrays by their first element. */
export const shape = (u: unknown, ignore: ReadonlyArray<string> = [], at = ""): unknown => {
  if (u === null) return "null"
  if (Array.isArray(u)) return u.length === 0 ? [] : [shape(u[0], ignore, at + "[]")]
  if (typeof u === "object") {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(u as object).sort()) {
      const p = at === "" ? key : `${at}.${key}`
      if (key === "p" || ignore.includes(p)) continue
      out[key] = shape((u as Record<string, unknown>)[key], ignore, p)
    }
    return out
  }
  return typeof u
}

export const user = (text: string) => ({ role: "user", content: [{ text }] })
export const assistant = (text: string) => ({ role: "assistant", content: [{ text }] })

/** Folds ConverseStream events back into Converse content blocks. */
export const fold = (events: ReadonlyArray<{ type: string; payload: any }>): Array<any> => {
  const blocks: Array<any> = []
  for (const { type, payload } of events) {
    if (type === "contentBlockStart") {
      const start = payload.start
      if (start.toolUse) blocks[payload.contentBlockIndex] = { toolUse: { ...start.toolUse, input: "" } }
    }
    if (type !== "contentBlockDelta") continue
    const i = payload.contentBlockIndex
    const d = payload.delta
    if (d.text !== undefined) {
      const b = blocks[i]
      if (b?.citationsContent) b.citationsContent.content[0].text += d.text
      else blocks[i] = { text: (b?.text ?? "") + d.text }
    } else if (d.toolUse) blocks[i].toolUse.input += d.toolUse.input
    else if (d.citation) blocks[i] = { citationsContent: { citations: [d.citation], content: [{ text: "" }] } }
    else if (d.reasoningContent) {
      const b = blocks[i] ?? { reasoningContent: { reasoningText: { text: "" } } }
      if (d.reasoningContent.text !== undefined) b.reasoningContent.reasoningText.text += d.reasoningContent.text
      if (d.reasoningContent.signature !== undefined) {
        b.reasoningContent.reasoningText.signature = d.reasoningContent.signature
      }
      blocks[i] = b
    }
  }
  return blocks.map((b) => (b.toolUse ? { toolUse: { ...b.toolUse, input: JSON.parse(b.toolUse.input) } } : b))
}

/** The value of an ok result, untyped (for poking into wire JSON in tests). */
export const ok = (result: EngineResult<unknown>): any => value(result)
