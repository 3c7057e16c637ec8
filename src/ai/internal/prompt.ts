/**
 * `@effect/ai` prompts as the library's conversation: system blocks, and user and assistant messages that alternate
 * (tool messages are user turns of toolResult blocks; consecutive turns of one role are merged).
 *
 * @internal
 */
import type * as Prompt from "@effect/ai/Prompt"
import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"
import * as Message from "../../Message.js"
import * as Options from "./options.js"
import type * as ReasoningMemory from "./reasoningMemory.js"

/** The conversation of a prompt. */
export interface Converted {
  readonly messages: ReadonlyArray<Message.Message>
  readonly system: ReadonlyArray<Message.SystemContentBlock>
}

const imageFormats: Readonly<Record<string, Message.ImageFormat>> = {
  "image/png": "png",
  "image/jpeg": "jpeg",
  "image/jpg": "jpeg",
  "image/gif": "gif",
  "image/webp": "webp"
}

const videoFormats: Readonly<Record<string, Message.VideoFormat>> = {
  "video/mp4": "mp4",
  "video/quicktime": "mov",
  "video/webm": "webm",
  "video/x-matroska": "mkv",
  "video/x-flv": "flv",
  "video/mpeg": "mpeg",
  "video/x-ms-wmv": "wmv",
  "video/3gpp": "three_gp"
}

const documentFormats: Readonly<Record<string, Message.DocumentFormat>> = {
  "application/pdf": "pdf",
  "text/csv": "csv",
  "application/msword": "doc",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
  "application/vnd.ms-excel": "xls",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
  "text/html": "html",
  "text/plain": "txt",
  "text/markdown": "md"
}

/** The media types a file part may have. */
export const supportedMediaTypes: ReadonlyArray<string> = [
  ...Object.keys(imageFormats),
  ...Object.keys(videoFormats),
  ...Object.keys(documentFormats)
]

/** Bedrock's document names: letters, digits, single spaces, hyphens, parentheses and brackets. */
const documentName = (raw: string): string => {
  const cleaned = raw.replace(/\.[A-Za-z0-9]+$/, "").replace(/[^A-Za-z0-9\s\-()[\]]/g, " ").replace(/\s+/g, " ").trim()
  return cleaned.length === 0 ? "document" : cleaned
}

const cachePoint = (option: Options.CachePointOption | undefined): ReadonlyArray<Message.CachePoint> =>
  option === undefined
    ? []
    : [option === true || option.ttl === undefined ? Message.cachePoint() : Message.cachePoint(option.ttl)]

const guarded = (text: string, option: Options.GuardContentOption): Message.GuardContent => ({
  _tag: "GuardContent",
  content: option === true ? { _tag: "Text", text } : { _tag: "Text", text, qualifiers: option }
})

type Problem = string

const bytesOf = (data: string | Uint8Array): Either.Either<Uint8Array, Problem> =>
  typeof data === "string"
    ? Either.mapLeft(Encoding.decodeBase64(data), () => "a file part's string data must be base64")
    : Either.right(data)

const sourceOf = (
  part: Prompt.FilePart,
  options: Options.FileOptions | undefined
): Either.Either<Message.MediaSource, Problem> => {
  if (!(part.data instanceof URL)) return Either.map(bytesOf(part.data), (bytes) => ({ _tag: "Bytes", bytes }))
  if (part.data.protocol !== "s3:") {
    return Either.left(`file URLs must be s3:// locations (Bedrock fetches no other URL), got ${part.data.protocol}`)
  }
  return Either.right(
    options?.bucketOwner === undefined
      ? { _tag: "S3Location", uri: part.data.href }
      : { _tag: "S3Location", uri: part.data.href, bucketOwner: options.bucketOwner }
  )
}

const fileBlock = (part: Prompt.FilePart, documentIndex: number): Either.Either<Message.ContentBlock, Problem> => {
  const options = Options.optionsOf<Options.FileOptions>(part)
  const mediaType = part.mediaType.toLowerCase()
  return Either.flatMap(sourceOf(part, options), (source): Either.Either<Message.ContentBlock, Problem> => {
    const image = imageFormats[mediaType]
    if (image !== undefined) return Either.right({ _tag: "Image", format: image, source })
    const video = videoFormats[mediaType]
    if (video !== undefined) return Either.right({ _tag: "Video", format: video, source })
    const format = documentFormats[mediaType]
    if (format === undefined) {
      return Either.left(`unsupported media type ${part.mediaType}: expected one of ${supportedMediaTypes.join(", ")}`)
    }
    return Either.right(Message.document(source, {
      name: options?.name ?? (part.fileName === undefined ? `document ${documentIndex}` : documentName(part.fileName)),
      format,
      context: options?.context,
      citations: options?.citations
    }))
  })
}

/** A tool's result as toolResult content: text for a string, JSON otherwise (non-objects wrapped, as `Tool` does). */
const resultContent = (result: unknown, isFailure: boolean): ReadonlyArray<Message.ToolResultContent> =>
  typeof result === "string"
    ? [Message.text(result.length === 0 ? "(empty)" : result)]
    : [Message.json(
      typeof result === "object" && result !== null && !Array.isArray(result)
        ? result
        : { [isFailure ? "error" : "result"]: result ?? null }
    )]

const toolResultBlock = (part: Prompt.ToolResultPart): Message.ToolResult =>
  Message.toolResult(part.id, resultContent(part.result, part.isFailure), {
    status: part.isFailure ? "error" : "success"
  })

interface Turn {
  readonly role: Message.Role
  readonly content: Array<Message.ContentBlock>
}

/**
 * The prompt as the library's conversation. A reasoning part without a signature gets the one `memory` kept for its
 * message (`@effect/ai`'s `Prompt.fromResponseParts`, which `Chat` uses, drops part metadata); one that has none is
 * left out, as Bedrock allows for reasoning of earlier turns. System messages, wherever they are, become the system
 * prompt in order. Blank assistant text is dropped and the final assistant text (a prefill) loses trailing
 * whitespace, which Bedrock refuses.
 */
export const convert = (
  prompt: Prompt.Prompt,
  memory: ReasoningMemory.ReasoningMemory
): Either.Either<Converted, Problem> => {
  const system: Array<Message.SystemContentBlock> = []
  const turns: Array<Turn> = []
  let documents = 0
  const push = (role: Message.Role, content: ReadonlyArray<Message.ContentBlock>) => {
    if (content.length === 0) return
    const last = turns[turns.length - 1]
    if (last !== undefined && last.role === role) last.content.push(...content)
    else turns.push({ role, content: [...content] })
  }

  for (let index = 0; index < prompt.content.length; index++) {
    const message = prompt.content[index]!
    const where = (problem: string) => `prompt message ${index} (${message.role}): ${problem}`
    switch (message.role) {
      case "system": {
        const options = Options.optionsOf<Options.SystemOptions>(message)
        if (message.content.trim() !== "") {
          system.push(
            options?.guardContent === undefined
              ? Message.text(message.content)
              : guarded(message.content, options.guardContent)
          )
        }
        system.push(...cachePoint(options?.cachePoint))
        break
      }
      case "user": {
        const content: Array<Message.ContentBlock> = []
        for (const part of message.content) {
          if (part.type === "text") {
            const options = Options.optionsOf<Options.TextOptions>(part)
            content.push(
              options?.guardContent === undefined ? Message.text(part.text) : guarded(part.text, options.guardContent)
            )
            content.push(...cachePoint(options?.cachePoint))
          } else {
            const block = fileBlock(part, ++documents)
            if (Either.isLeft(block)) return Either.left(where(block.left))
            content.push(block.right, ...cachePoint(Options.optionsOf<Options.FileOptions>(part)?.cachePoint))
          }
        }
        content.push(...cachePoint(Options.optionsOf<Options.MessageOptions>(message)?.cachePoint))
        push("user", content)
        break
      }
      case "tool": {
        const content: Array<Message.ContentBlock> = message.content.map(toolResultBlock)
        content.push(...cachePoint(Options.optionsOf<Options.MessageOptions>(message)?.cachePoint))
        push("user", content)
        break
      }
      case "assistant": {
        const content: Array<Message.ContentBlock> = []
        const restored = memory.restore(message)
        let reasoningIndex = 0
        for (const part of message.content) {
          switch (part.type) {
            case "text":
              if (part.text.trim() !== "") content.push(Message.text(part.text))
              break
            case "reasoning": {
              const block = reasoningBlock(part, restored?.[reasoningIndex])
              reasoningIndex++
              if (block !== undefined) content.push(block)
              break
            }
            case "tool-call":
              // Tools the provider ran (Bedrock's server tools) are not sent back.
              if (!part.providerExecuted) content.push(Message.toolUse(part.id, part.name, part.params ?? {}))
              break
            case "tool-result":
              break
            case "file": {
              const block = fileBlock(part, ++documents)
              if (Either.isLeft(block)) return Either.left(where(block.left))
              content.push(block.right)
              break
            }
          }
        }
        content.push(...cachePoint(Options.optionsOf<Options.MessageOptions>(message)?.cachePoint))
        push("assistant", content)
        break
      }
    }
  }
  trimPrefill(turns)
  return Either.right({ messages: turns, system })
}

const reasoningBlock = (
  part: Prompt.ReasoningPart,
  restored: Message.ContentBlock | undefined
): Message.Reasoning | Message.RedactedReasoning | undefined => {
  const info = Options.optionsOf<Options.ReasoningInfo>(part)
  if (info?.redactedData !== undefined) {
    const data = Encoding.decodeBase64(info.redactedData)
    if (Either.isRight(data)) return { _tag: "RedactedReasoning", data: data.right }
  }
  if (info?.signature !== undefined) return { _tag: "Reasoning", text: part.text, signature: info.signature }
  if (restored?._tag === "RedactedReasoning") return restored
  if (restored?._tag === "Reasoning" && restored.text === part.text) return restored
  return undefined
}

/** Bedrock refuses a final assistant message whose last text ends with whitespace. */
const trimPrefill = (turns: Array<Turn>): void => {
  const last = turns[turns.length - 1]
  if (last?.role !== "assistant") return
  const index = last.content.length - 1
  const block = last.content[index]
  if (block?._tag === "Text") last.content[index] = Message.text(block.text.trimEnd())
}
