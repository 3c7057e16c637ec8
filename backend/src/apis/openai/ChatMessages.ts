/**
 * The messages of a chat completion request -> the library's system prompt and conversation: `system` and
 * `developer` messages become the system prompt, in order; `tool` messages become tool results in the next user
 * turn; consecutive messages of one role are joined (Bedrock wants alternating roles). Images and files are `data:`
 * URLs only (a remote URL is refused, never fetched); `cache_control` on a part puts a cache point after it. Every
 * block remembers the OpenAI message it came from, so that a conversation Bedrock would refuse is refused here,
 * naming that message. Pure.
 *
 * @since 0.1.0
 */
import { Conversation, Message } from "bedrock-llm"
import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"
import * as Option from "effect/Option"
import * as DataUrl from "./DataUrl.js"
import { invalid, unsupported, unsupportedValue } from "./OpenAiError.js"
import type { ChatMessage, FilePart, TextPart, UserPart } from "./OpenAiSchemas.js"
import { isSet, refuse } from "./Refusal.js"
import type { Capabilities } from "./TargetCapabilities.js"

const documentFormats: Readonly<Record<string, Message.DocumentFormat>> = {
  "application/pdf": "pdf",
  "text/csv": "csv",
  "text/plain": "txt",
  "text/markdown": "md",
  "text/html": "html",
  "application/msword": "doc",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
  "application/vnd.ms-excel": "xls",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx"
}

/**
 * One turn of the conversation, with the OpenAI message index of each block.
 *
 * @since 0.1.0
 * @category models
 */
export interface Turn {
  readonly role: Message.Role
  readonly content: Array<Message.ContentBlock>
  /** The OpenAI message index of each block. */
  readonly origins: Array<number>
}

/**
 * The translated messages.
 *
 * @since 0.1.0
 * @category models
 */
export interface Messages {
  readonly system: Array<Message.SystemContentBlock>
  readonly turns: Array<Turn>
  /** Where each cache point was asked for (for refusals). */
  readonly cachePoints: Array<string>
  readonly hasToolBlocks: boolean
}

/**
 * The cache point of a `cache_control`.
 *
 * @since 0.1.0
 * @category translation
 */
export const cachePointOf = (control: { readonly ttl?: Message.CacheTtl | undefined }): Message.CachePoint =>
  Message.cachePoint(control.ttl)

const documentName = (filename: string | undefined, index: number): string => {
  const stem = (filename ?? "").replace(/\.[^.]*$/, "")
  const cleaned = stem.replace(/[^A-Za-z0-9\-()[\] ]/g, "-").replace(/\s+/g, " ").trim().slice(0, 200)
  return cleaned === "" ? `document ${index + 1}` : cleaned
}

const imageOf = (url: string, param: string, capabilities: Capabilities, model: string): Message.Image => {
  const parsed = DataUrl.parse(url)
  if (Either.isLeft(parsed)) {
    return refuse(
      parsed.left === "remote"
        ? unsupportedValue(
          param,
          "Unsupported value: remote image URLs are never fetched by this gateway (that would let a request make it reach other servers). Send the image as a data URL: data:image/png;base64,..."
        )
        : invalid(param, `Invalid image URL: expected data:image/<png|jpeg|gif|webp>;base64,<data>.`)
    )
  }
  if (!capabilities.vision) {
    return refuse(unsupported(param, `The model ${model} does not take images.`))
  }
  const format = Message.detectImageFormat(parsed.right.bytes)
  if (Option.isNone(format)) {
    return refuse(invalid(param, "Invalid image: the data is not a PNG, JPEG, GIF or WebP image."))
  }
  return Message.image(parsed.right.bytes, format.value)
}

const documentOf = (
  file: FilePart["file"],
  param: string,
  index: number,
  capabilities: Capabilities,
  model: string
): Message.Document => {
  if (file.file_id !== undefined) {
    return refuse(
      unsupported(`${param}.file_id`, "Unsupported parameter: 'file_id'. The gateway has no files API: send file_data.")
    )
  }
  if (file.file_data === undefined) {
    return refuse(
      invalid(`${param}.file_data`, "Missing required parameter: 'file_data'.", "missing_required_parameter")
    )
  }
  const parsed = DataUrl.parse(file.file_data)
  if (Either.isLeft(parsed)) {
    return refuse(
      parsed.left === "remote"
        ? unsupportedValue(
          `${param}.file_data`,
          "Unsupported value: file_data must be a data URL; remote files are never fetched."
        )
        : invalid(`${param}.file_data`, "Invalid file_data: expected data:<media type>;base64,<data>.")
    )
  }
  const format = documentFormats[parsed.right.mediaType]
  if (format === undefined) {
    return refuse(
      unsupportedValue(
        `${param}.file_data`,
        `Unsupported file type ${parsed.right.mediaType}: Bedrock takes ${Object.keys(documentFormats).join(", ")}.`
      )
    )
  }
  if (!capabilities.documents) {
    return refuse(unsupported(param, `The model ${model} does not take documents.`))
  }
  return Message.document(parsed.right.bytes, { name: documentName(file.filename, index), format })
}

const textPartsOf = (
  content: string | ReadonlyArray<TextPart>,
  param: string,
  cachePoints: Array<string>
): Array<Message.Text | Message.CachePoint> => {
  if (typeof content === "string") return [Message.text(content)]
  const blocks: Array<Message.Text | Message.CachePoint> = []
  content.forEach((part, j) => {
    blocks.push(Message.text(part.text))
    if (part.cache_control !== undefined) {
      cachePoints.push(`${param}[${j}].cache_control`)
      blocks.push(cachePointOf(part.cache_control))
    }
  })
  return blocks
}

const toolInputOf = (args: string, param: string): unknown => {
  if (args.trim() === "") return {}
  let input: unknown
  try {
    input = JSON.parse(args)
  } catch {
    return refuse(invalid(param, `Invalid '${param}': the arguments are not valid JSON.`))
  }
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return refuse(invalid(param, `Invalid '${param}': the arguments must be a JSON object.`))
  }
  return input
}

/**
 * Translates the messages for models of these capabilities (the model's name is for messages).
 *
 * @since 0.1.0
 * @category translation
 */
export const translateMessages = (
  messages: ReadonlyArray<ChatMessage>,
  capabilities: Capabilities,
  model: string
): Messages => {
  const system: Array<Message.SystemContentBlock> = []
  const turns: Array<Turn> = []
  const cachePoints: Array<string> = []
  let documents = 0
  let hasToolBlocks = false
  const append = (role: Message.Role, blocks: ReadonlyArray<Message.ContentBlock>, origin: number) => {
    const last = turns[turns.length - 1]
    const turn = last !== undefined && last.role === role ? last : { role, content: [], origins: [] }
    if (turn !== last) turns.push(turn)
    for (const block of blocks) {
      turn.content.push(block)
      turn.origins.push(origin)
    }
  }
  messages.forEach((message, i) => {
    const at = `messages[${i}]`
    if ("name" in message && message.name !== undefined) {
      refuse(unsupported(`${at}.name`, "Unsupported parameter: 'name'. Bedrock messages carry no participant name."))
    }
    switch (message.role) {
      case "system":
      case "developer": {
        const blocks = textPartsOf(message.content, `${at}.content`, cachePoints)
        blocks.forEach((block) => {
          if (block._tag === "Text" && block.text.trim() === "") {
            refuse(invalid(`${at}.content`, `Invalid '${at}.content': a ${message.role} message must not be blank.`))
          }
        })
        system.push(...blocks)
        return
      }
      case "user": {
        if (typeof message.content === "string") return append("user", [Message.text(message.content)], i)
        if (message.content.length === 0) {
          return refuse(invalid(`${at}.content`, `Invalid '${at}.content': expected at least one content part.`))
        }
        const blocks: Array<Message.ContentBlock> = []
        message.content.forEach((part: UserPart, j) => {
          const param = `${at}.content[${j}]`
          switch (part.type) {
            case "text":
              blocks.push(Message.text(part.text))
              break
            case "image_url":
              if (part.image_url.detail === "low" || part.image_url.detail === "high") {
                refuse(
                  unsupportedValue(
                    `${param}.image_url.detail`,
                    "Unsupported value: Bedrock models take images at their own resolution; use detail \"auto\"."
                  )
                )
              }
              blocks.push(imageOf(part.image_url.url, `${param}.image_url.url`, capabilities, model))
              break
            case "file":
              blocks.push(documentOf(part.file, `${param}.file`, documents++, capabilities, model))
              break
            case "input_audio":
              refuse(unsupported(`${param}`, "Unsupported content part: audio input is not available on Bedrock."))
          }
          if ("cache_control" in part && part.cache_control !== undefined) {
            cachePoints.push(`${param}.cache_control`)
            blocks.push(cachePointOf(part.cache_control))
          }
        })
        return append("user", blocks, i)
      }
      case "assistant": {
        if (isSet(message.audio)) {
          refuse(unsupported(`${at}.audio`, "Unsupported parameter: 'audio'. Audio is not available on Bedrock."))
        }
        if (isSet(message.function_call)) {
          refuse(
            unsupported(`${at}.function_call`, "Unsupported parameter: 'function_call' (deprecated): use tool_calls.")
          )
        }
        // Signed reasoning goes back to the model (Claude needs it to continue after a tool call). Unsigned reasoning
        // (`reasoning_content`, or a block without its signature) does not: Bedrock refuses it for Claude, and
        // models read no reasoning of earlier turns but the signed one.
        const blocks: Array<Message.ContentBlock> = []
        ;(message.thinking_blocks ?? []).forEach((block, j) => {
          if (block.type === "thinking") {
            if (block.signature !== undefined) {
              blocks.push({ _tag: "Reasoning", text: block.thinking, signature: block.signature })
            }
            return
          }
          const data = Encoding.decodeBase64(block.data)
          if (Either.isLeft(data)) {
            refuse(invalid(`${at}.thinking_blocks[${j}].data`, "Invalid redacted thinking: the data is not base64."))
          } else blocks.push({ _tag: "RedactedReasoning", data: data.right })
        })
        const texts: Array<Message.ContentBlock> = []
        if (typeof message.content === "string") texts.push(Message.text(message.content))
        else if (isSet(message.content)) {
          message.content.forEach((part, j) => {
            texts.push(Message.text(part.type === "text" ? part.text : part.refusal))
            if (part.type === "text" && part.cache_control !== undefined) {
              cachePoints.push(`${at}.content[${j}].cache_control`)
              texts.push(cachePointOf(part.cache_control))
            }
          })
        } else if (isSet(message.refusal)) texts.push(Message.text(message.refusal))
        const calls = message.tool_calls ?? []
        // An empty text beside tool calls or reasoning is how clients write "no text": leave it out.
        const keep = texts.filter((block) =>
          !(block._tag === "Text" && block.text.trim() === "" && (calls.length > 0 || blocks.length > 0))
        )
        blocks.push(...keep)
        calls.forEach((call, j) => {
          hasToolBlocks = true
          blocks.push(
            Message.toolUse(
              call.id,
              call.function.name,
              toolInputOf(call.function.arguments, `${at}.tool_calls[${j}].function.arguments`)
            )
          )
        })
        return append("assistant", blocks, i)
      }
      case "tool": {
        hasToolBlocks = true
        const content = typeof message.content === "string"
          ? message.content === "" ? [] : [Message.text(message.content)]
          : message.content.map((part) => Message.text(part.text))
        return append("user", [Message.toolResult(message.tool_call_id, content)], i)
      }
      case "function":
        return refuse(unsupported(`${at}.role`, "Unsupported role: 'function' (deprecated): use tool messages."))
    }
  })
  return { system, turns, cachePoints, hasToolBlocks }
}

/**
 * Bedrock's rules for tool results in a turn: first in the turn, and (except on Claude) alone in it.
 *
 * @since 0.1.0
 * @category checks
 */
export const checkToolResultTurns = (turns: ReadonlyArray<Turn>, capabilities: Capabilities): void => {
  const onlyClaude = capabilities.families.size === 1 && capabilities.families.has("anthropic")
  for (const turn of turns) {
    if (turn.role !== "user") continue
    const results = turn.content.flatMap((block, b) => block._tag === "ToolResult" ? [b] : [])
    if (results.length === 0) continue
    const others = turn.content.flatMap((block, b) =>
      block._tag !== "ToolResult" && block._tag !== "CachePoint" ? [b] : []
    )
    const late = results.find((b) => others.some((o) => o < b))
    if (late !== undefined) {
      const at = `messages[${turn.origins[late]}]`
      refuse(
        invalid(at, `Invalid '${at}': a tool message must directly follow the assistant message with its tool call.`)
      )
    }
    if (!onlyClaude && others.length > 0) {
      const at = `messages[${turn.origins[others[0]!]}]`
      refuse(
        unsupportedValue(
          at,
          `Unsupported conversation: on this model Bedrock cannot take tool results and other content in one turn; add an assistant message between the tool messages and ${at}.`
        )
      )
    }
  }
}

/**
 * Refuses the first of Bedrock's conversation rules the turns break, naming the OpenAI message that breaks it.
 *
 * @since 0.1.0
 * @category checks
 */
export const checkConversation = (
  turns: ReadonlyArray<Turn>,
  toolConfig: Conversation.ToolConfiguration | undefined
): void => {
  const messages = turns.map((turn): Message.Message => ({ role: turn.role, content: turn.content }))
  const broken = Conversation.check(messages, { toolConfig })
  if (Option.isNone(broken)) return
  const violation = broken.value
  if (violation.rule === "no-messages") {
    refuse(invalid("messages", "Invalid 'messages': expected at least one user message.", "invalid_value"))
  }
  if (violation.rule === "tool-config-required") {
    refuse(invalid("tools", "Invalid request: a conversation with tool calls or tool messages needs 'tools'."))
  }
  const turn = turns[violation.messageIndex]
  const origin = turn === undefined
    ? violation.messageIndex
    : turn.origins[violation.blockIndex ?? 0] ?? turn.origins[0] ?? violation.messageIndex
  const at = `messages[${origin}]`
  const detail = violation.message.replace(/^messages\[\d+\](\.content\[\d+\])?: /, "")
  const reason = violation.rule === "first-message-from-user"
    ? "after the system and developer messages, the conversation must start with a user message"
    : violation.rule === "tool-result-without-tool-use"
    ? "this tool message answers no tool call of the assistant message before it"
    : detail
  refuse(invalid(at, `Invalid '${at}': ${reason}.`))
}
