/**
 * The reasoning blocks of recent answers, kept so that their signatures (and redacted bytes) go back to Bedrock in
 * the next turn even when the history lost them: `@effect/ai`'s `Prompt.fromResponseParts`, which `Chat` uses to
 * record each answer, keeps a reasoning part's text but not its metadata. An answer is found again by its tool-use
 * ids (unique per answer) or, without tool use, by its reasoning text. Bounded: the least recently used answers leave
 * first.
 *
 * @internal
 */
import type * as Prompt from "@effect/ai/Prompt"
import type * as Message from "../../Message.js"
import { isServerToolUse } from "./serverTools.js"

/** The signed reasoning of one answer, in order. */
export type Blocks = ReadonlyArray<Message.Reasoning | Message.RedactedReasoning>

export interface ReasoningMemory {
  /** Keeps the reasoning blocks of an answer (only signed or redacted ones matter). */
  readonly remember: (content: ReadonlyArray<Message.ContentBlock>) => void
  /** The reasoning blocks kept for an assistant message of a prompt, if any. */
  readonly restore: (message: Prompt.AssistantMessage) => Blocks | undefined
}

const separator = "\u0000"

const keyOf = (toolUseIds: ReadonlyArray<string>, reasoningTexts: ReadonlyArray<string>): string | undefined =>
  toolUseIds.length > 0
    ? `tools${separator}${toolUseIds.join(separator)}`
    : reasoningTexts.some((text) => text.length > 0)
    ? `reasoning${separator}${reasoningTexts.join(separator)}`
    : undefined

const needsSignature = (message: Prompt.AssistantMessage): boolean =>
  message.content.some((part) => part.type === "reasoning" && Object.keys(part.options).length === 0)

export const make = (capacity: number): ReasoningMemory => {
  const entries = new Map<string, Blocks>()
  return {
    remember: (content) => {
      if (capacity <= 0) return
      const blocks: Array<Message.Reasoning | Message.RedactedReasoning> = []
      const toolUseIds: Array<string> = []
      for (const block of content) {
        if (block._tag === "RedactedReasoning" || (block._tag === "Reasoning" && block.signature !== undefined)) {
          blocks.push(block)
        } else if (block._tag === "ToolUse" && !isServerToolUse(block)) {
          toolUseIds.push(block.toolUseId)
        }
      }
      if (blocks.length === 0) return
      const key = keyOf(toolUseIds, blocks.map((block) => block._tag === "Reasoning" ? block.text : ""))
      if (key === undefined) return
      entries.delete(key)
      entries.set(key, blocks)
      while (entries.size > capacity) entries.delete(entries.keys().next().value!)
    },
    restore: (message) => {
      if (entries.size === 0 || !needsSignature(message)) return undefined
      const toolUseIds: Array<string> = []
      const reasoningTexts: Array<string> = []
      for (const part of message.content) {
        if (part.type === "tool-call" && !part.providerExecuted) toolUseIds.push(part.id)
        else if (part.type === "reasoning") reasoningTexts.push(part.text)
      }
      const key = keyOf(toolUseIds, reasoningTexts)
      const found = key === undefined ? undefined : entries.get(key)
      if (found === undefined || key === undefined) return undefined
      entries.delete(key)
      entries.set(key, found)
      return found
    }
  }
}
