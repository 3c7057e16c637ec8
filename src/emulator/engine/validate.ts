/**
 * Converse request validation, as the service does it, into the engine's neutral Conversation. The same parser
 * reads Nova's native messages-v1 bodies (their blocks have the Converse shapes) and CountTokens' converse input.
 *
 * @since 0.1.0
 */
import type { ModelInfo } from "./catalog.js"
import type { Conversation, GuardrailRequest, Part, ToolChoice, ToolDef } from "./conversation.js"
import { PromptUnits, toolUnit, turnUnits } from "./conversation.js"
import { decodeBase64, isArray, isInteger, isNumber, isRecord, isString, type Json, unionKey } from "./json.js"
import type { InputLimit } from "./limits.js"
import { inputLimit, MAX_DOCUMENT_NAME, MediaLimits, uncountedLimit } from "./limits.js"
import type { ImageFormat } from "./media.js"
import { reject, rejectField, rejectModel } from "./reject.js"

const IMAGE_FORMATS = ["png", "jpeg", "gif", "webp"]
const DOCUMENT_FORMATS = ["pdf", "csv", "doc", "docx", "xls", "xlsx", "html", "txt", "md"]
const TEXT_DOCUMENT_FORMATS = ["csv", "html", "txt", "md"]
const VIDEO_FORMATS = ["mkv", "mov", "mp4", "webm", "flv", "mpeg", "mpg", "wmv", "three_gp"]
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/
const MAX_CACHE_POINTS = 4

/** Options of the shared message parser. @internal */
export interface MessageOptions {
  readonly model: ModelInfo
  readonly hasToolConfig: boolean
  /** Counts and checks the request's images, documents and videos. */
  readonly media: MediaLimits
}

/** The parsed messages of a request, before the settings. @internal */
export interface ParsedMessages {
  readonly turns: Conversation["turns"]
  readonly blocks: ReadonlyArray<ReadonlyArray<Part | "cache">>
}

const expectArray = (value: unknown, path: string): ReadonlyArray<unknown> =>
  isArray(value) ? value : rejectField(path, value, "Member must be a list")

const expectRecord = (value: unknown, path: string): Json =>
  isRecord(value) ? value : rejectField(path, value, "Member must be a structure")

const expectString = (value: unknown, path: string): string =>
  isString(value) ? value : rejectField(path, value, "Member must be a string")

const nonBlank = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (!(c === 32 || (c >= 9 && c <= 13))) return true
  }
  return false
}

const bytesOf = (source: unknown, path: string): Uint8Array => {
  const src = expectRecord(source, path)
  if (src["s3Location"] !== undefined) {
    return reject("The model doesn't support S3 locations in this emulator. Send the bytes inline and try again.")
  }
  const raw = src["bytes"]
  if (!isString(raw)) return rejectField(`${path}.bytes`, raw, "Member must not be null")
  const bytes = decodeBase64(raw)
  return bytes ?? reject(`The bytes at ${path}.bytes are not valid base64. Encode the bytes as base64 and try again.`)
}

/** The `format` of a document, image or video block: one of the formats the service takes for it. */
const formatOf = (block: Json, path: string, formats: ReadonlyArray<string>): string => {
  const format = expectString(block["format"], `${path}.format`)
  return formats.includes(format)
    ? format
    : rejectField(`${path}.format`, format, `Member must satisfy enum value set: [${formats.join(", ")}]`)
}

const documentName = /^[A-Za-z0-9_\-()[\] ]+$/

const parseDocument = (value: unknown, path: string, media: MediaLimits): Part => {
  const doc = expectRecord(value, path)
  const format = formatOf(doc, path, DOCUMENT_FORMATS)
  const name = expectString(doc["name"], `${path}.name`)
  if (name.length > MAX_DOCUMENT_NAME) {
    return rejectField(`${path}.name`, name, `Member must have length less than or equal to ${MAX_DOCUMENT_NAME}`)
  }
  if (!documentName.test(name) || name.includes("  ")) {
    return reject(
      "The document file name can only contain alphanumeric characters, whitespace characters, hyphens, parentheses, and square brackets. The name can't contain more than one consecutive whitespace character."
    )
  }
  const source = expectRecord(doc["source"], `${path}.source`)
  let text: string
  if (isString(source["text"])) {
    text = source["text"]
    media.document(name, Buffer.byteLength(text, "utf8"))
  } else if (isArray(source["content"])) {
    text = source["content"].map((c) => (isRecord(c) && isString(c["text"]) ? c["text"] : "")).join("")
    media.document(name, Buffer.byteLength(text, "utf8"))
  } else {
    const bytes = bytesOf(source, `${path}.source`)
    media.document(name, bytes.length)
    text = TEXT_DOCUMENT_FORMATS.includes(format)
      ? Buffer.from(bytes).toString("utf8")
      : `[${format} document of ${bytes.length} bytes]`
  }
  const citations = isRecord(doc["citations"]) && doc["citations"]["enabled"] === true
  return { kind: "document", name, text, citations }
}

const parseImage = (value: unknown, path: string, media: MediaLimits): Part => {
  const image = expectRecord(value, `${path}.image`)
  const format = formatOf(image, `${path}.image`, IMAGE_FORMATS)
  media.image(path, format as ImageFormat, bytesOf(image["source"], `${path}.image.source`))
  return { kind: "media", what: "image", format }
}

const parseVideo = (value: unknown, path: string, media: MediaLimits): Part => {
  const video = expectRecord(value, `${path}.video`)
  const format = formatOf(video, `${path}.video`, VIDEO_FORMATS)
  media.video(bytesOf(video["source"], `${path}.video.source`))
  return { kind: "media", what: "video", format }
}

const toolResultText = (content: ReadonlyArray<unknown>, path: string, media: MediaLimits): string => {
  const texts: Array<string> = []
  content.forEach((item, i) => {
    const block = expectRecord(item, `${path}.${i}`)
    if (isString(block["text"])) texts.push(block["text"])
    else if (block["json"] !== undefined) texts.push(JSON.stringify(block["json"]) ?? "null")
    else if (isRecord(block["document"])) {
      const doc = parseDocument(block["document"], `${path}.${i}.document`, media)
      if (doc.kind === "document") texts.push(doc.text)
    } else if (isRecord(block["image"])) {
      parseImage(block["image"], `${path}.${i}`, media)
      texts.push("[image]")
    } else if (isRecord(block["video"])) {
      parseVideo(block["video"], `${path}.${i}`, media)
      texts.push("[video]")
    } else if (isRecord(block["searchResult"])) texts.push(JSON.stringify(block["searchResult"]) ?? "")
    else rejectField(`${path}.${i}`, block, "Member must have exactly one of text, json, image, document, video")
  })
  return texts.join("\n")
}

const parseBlock = (
  value: unknown,
  path: string,
  role: "user" | "assistant",
  options: MessageOptions
): Part | "cache" => {
  const block = expectRecord(value, path)
  const key = unionKey(block)
  switch (key) {
    case "text": {
      const text = expectString(block["text"], `${path}.text`)
      if (!nonBlank(text)) {
        return reject(
          `The text field in the ContentBlock object at ${path} is blank. Add text to the text field, and try again.`
        )
      }
      return { kind: "text", text }
    }
    case "image":
      return parseImage(block["image"], path, options.media)
    case "video":
      return parseVideo(block["video"], path, options.media)
    case "document":
      return parseDocument(block["document"], `${path}.document`, options.media)
    case "toolUse": {
      if (role !== "assistant") {
        return reject(
          `The toolUse block at ${path} is in a user message. Only assistant messages can hold toolUse blocks.`
        )
      }
      if (!options.hasToolConfig) {
        return reject("The toolConfig field must be defined when using toolUse and toolResult content blocks.")
      }
      const use = expectRecord(block["toolUse"], `${path}.toolUse`)
      const id = expectString(use["toolUseId"], `${path}.toolUse.toolUseId`)
      const name = expectString(use["name"], `${path}.toolUse.name`)
      if (!isRecord(use["input"]) && use["input"] === undefined) {
        return rejectField(`${path}.toolUse.input`, use["input"], "Member must not be null")
      }
      return { kind: "toolUse", id, name, input: use["input"] }
    }
    case "toolResult": {
      if (role !== "user") {
        return reject(
          `The toolResult block at ${path} is in an assistant message. Only user messages can hold toolResult blocks.`
        )
      }
      if (!options.hasToolConfig) {
        return reject("The toolConfig field must be defined when using toolUse and toolResult content blocks.")
      }
      const result = expectRecord(block["toolResult"], `${path}.toolResult`)
      const id = expectString(result["toolUseId"], `${path}.toolResult.toolUseId`)
      const content = expectArray(result["content"], `${path}.toolResult.content`)
      const status = result["status"] === undefined
        ? "success"
        : expectString(result["status"], `${path}.toolResult.status`)
      if (status !== "success" && status !== "error") {
        return rejectField(`${path}.toolResult.status`, status, "Member must satisfy enum value set: [success, error]")
      }
      if (status === "error" && content.length === 0) {
        return reject(`The content field at ${path}.toolResult cannot be empty when status value is error.`)
      }
      return {
        kind: "toolResult",
        id,
        status,
        text: toolResultText(content, `${path}.toolResult.content`, options.media)
      }
    }
    case "guardContent": {
      const guard = expectRecord(block["guardContent"], `${path}.guardContent`)
      const text = isRecord(guard["text"]) && isString(guard["text"]["text"]) ? guard["text"]["text"] : ""
      return { kind: "guard", text }
    }
    case "cachePoint": {
      const point = expectRecord(block["cachePoint"], `${path}.cachePoint`)
      if (point["type"] !== "default") {
        return rejectField(`${path}.cachePoint.type`, point["type"], "Member must satisfy enum value set: [default]")
      }
      return "cache"
    }
    case "reasoningContent": {
      if (role !== "assistant") {
        return reject(`The reasoningContent block at ${path} must be in an assistant message.`)
      }
      const reasoning = expectRecord(block["reasoningContent"], `${path}.reasoningContent`)
      const text = isRecord(reasoning["reasoningText"]) && isString(reasoning["reasoningText"]["text"])
        ? reasoning["reasoningText"]["text"]
        : ""
      return { kind: "reasoning", text }
    }
    case "citationsContent": {
      const cited = expectRecord(block["citationsContent"], `${path}.citationsContent`)
      const content = isArray(cited["content"]) ? cited["content"] : []
      const text = content.map((c) => (isRecord(c) && isString(c["text"]) ? c["text"] : "")).join("")
      return { kind: "text", text }
    }
    case "searchResult": {
      const result = expectRecord(block["searchResult"], `${path}.searchResult`)
      const content = isArray(result["content"]) ? result["content"] : []
      const text = content.map((c) => (isRecord(c) && isString(c["text"]) ? c["text"] : "")).join("\n")
      return {
        kind: "document",
        name: isString(result["title"]) ? result["title"] : "search result",
        text,
        citations: false
      }
    }
    default:
      return rejectField(
        path,
        block,
        "Member must have exactly one of text, image, document, video, toolUse, toolResult, guardContent, cachePoint, reasoningContent, citationsContent"
      )
  }
}

const isDocumentBlock = (block: unknown): boolean => isRecord(block) && isRecord(block["document"])

/**
 * Parses and validates `messages` (Converse shapes) with the service's conversation rules.
 *
 * @internal
 */
export const parseMessages = (value: unknown, options: MessageOptions): ParsedMessages => {
  const messages = expectArray(value, "messages")
  if (messages.length === 0) {
    return reject(
      "A conversation must start with a user message. Try again with a conversation that starts with a user message."
    )
  }
  const turns: Array<{ role: "user" | "assistant"; parts: Array<Part> }> = []
  const blocks: Array<Array<Part | "cache">> = []
  messages.forEach((item, m) => {
    const message = expectRecord(item, `messages.${m}`)
    const role = message["role"]
    if (role !== "user" && role !== "assistant") {
      return rejectField(`messages.${m}.member.role`, role, "Member must satisfy enum value set: [user, assistant]")
    }
    if (m === 0 && role !== "user") {
      return reject(
        "A conversation must start with a user message. Try again with a conversation that starts with a user message."
      )
    }
    if (m > 0 && turns[m - 1]!.role === role) {
      return reject(
        "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again."
      )
    }
    const content = expectArray(message["content"], `messages.${m}.content`)
    if (content.length === 0) {
      return reject(
        `The content field in the Message object at messages.${m} is empty. Add a ContentBlock object to the content field and try again.`
      )
    }
    const parsed = content.map((block, b) => parseBlock(block, `messages.${m}.content.${b}`, role, options))
    const parts = parsed.filter((p): p is Part => p !== "cache")
    if (options.media.api === "converse" && content.some(isDocumentBlock) && !parts.some((p) => p.kind === "text")) {
      return reject("A text block must be included when using documents.")
    }
    turns.push({ role, parts })
    blocks.push(parsed)
  })
  options.media.done()
  checkToolPairs(turns, options.model)
  return { turns, blocks }
}

export const checkToolPairs = (
  turns: ReadonlyArray<{ readonly role: string; readonly parts: ReadonlyArray<Part> }>,
  model: ModelInfo
): void => {
  for (let m = 0; m < turns.length; m++) {
    const turn = turns[m]!
    if (turn.role !== "user") continue
    const results = turn.parts.filter((p) => p.kind === "toolResult")
    if (results.length === 0) continue
    const previous = m > 0 ? turns[m - 1]!.parts.filter((p) => p.kind === "toolUse") : []
    if (results.length > previous.length) {
      reject(
        `The number of toolResult blocks at messages.${m}.content exceeds the number of toolUse blocks of previous turn.`
      )
    }
    const ids = new Set(previous.map((p) => (p.kind === "toolUse" ? p.id : "")))
    for (const [b, result] of turn.parts.entries()) {
      if (result.kind === "toolResult" && !ids.has(result.id)) {
        rejectModel(
          `messages.${m}.content.${b}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${result.id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`
        )
      }
    }
    if (model.family !== "anthropic" && turn.parts.some((p) => p.kind === "text" || p.kind === "document")) {
      reject(`messages.${m}.content: Conversation blocks and tool result blocks cannot be provided in the same turn.`)
    }
  }
  for (let m = 0; m + 1 < turns.length; m++) {
    const turn = turns[m]!
    if (turn.role !== "assistant") continue
    const uses = turn.parts.filter((p) => p.kind === "toolUse")
    if (uses.length === 0) continue
    const answered = new Set(turns[m + 1]!.parts.map((p) => (p.kind === "toolResult" ? p.id : "")))
    const missing = uses.filter((u) => u.kind === "toolUse" && !answered.has(u.id))
    if (missing.length > 0) {
      rejectModel(
        `messages.${m + 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${
          missing.map((u) => (u.kind === "toolUse" ? u.id : "")).join(", ")
        }. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`
      )
    }
  }
}

/** Parses `system` (Converse shapes). @internal */
export const parseSystem = (value: unknown, model: ModelInfo): ReadonlyArray<string | "cache"> => {
  if (value === undefined || value === null) return []
  const system = expectArray(value, "system")
  if (system.length > 0 && !model.capabilities.system) {
    return reject("This model doesn't support system messages. Try again without a system prompt.")
  }
  return system.map((item, i) => {
    const block = expectRecord(item, `system.${i}`)
    switch (unionKey(block)) {
      case "text": {
        const text = expectString(block["text"], `system.${i}.text`)
        if (!nonBlank(text)) {
          return reject(
            `The text field in the SystemContentBlock object at system.${i} is blank. Add text to the text field, and try again.`
          )
        }
        return text
      }
      case "guardContent": {
        const guard = expectRecord(block["guardContent"], `system.${i}.guardContent`)
        return isRecord(guard["text"]) && isString(guard["text"]["text"]) ? guard["text"]["text"] : ""
      }
      case "cachePoint":
        return "cache"
      default:
        return rejectField(`system.${i}`, block, "Member must have exactly one of text, guardContent, cachePoint")
    }
  })
}

/** Parses `toolConfig` (Converse shapes). @internal */
export const parseToolConfig = (
  value: unknown,
  model: ModelInfo
): { readonly tools: ReadonlyArray<ToolDef | "cache">; readonly choice: ToolChoice } => {
  if (value === undefined || value === null) return { tools: [], choice: { kind: "auto" } }
  const config = expectRecord(value, "toolConfig")
  const list = expectArray(config["tools"], "toolConfig.tools")
  if (list.length === 0) {
    return rejectField("toolConfig.tools", list, "Member must have length greater than or equal to 1")
  }
  if (!model.capabilities.tools) return reject("This model doesn't support tool use.")
  const names = new Set<string>()
  const tools = list.map((item, i): ToolDef | "cache" => {
    const tool = expectRecord(item, `toolConfig.tools.${i}`)
    switch (unionKey(tool)) {
      case "toolSpec": {
        const spec = expectRecord(tool["toolSpec"], `toolConfig.tools.${i}.toolSpec`)
        const name = expectString(spec["name"], `toolConfig.tools.${i}.member.toolSpec.name`)
        if (!TOOL_NAME.test(name)) {
          return rejectField(
            `toolConfig.tools.${i + 1}.member.toolSpec.name`,
            name,
            "Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+"
          )
        }
        if (names.has(name)) return rejectModel("tools: Tool names must be unique.")
        names.add(name)
        const description = spec["description"] === undefined
          ? ""
          : expectString(spec["description"], `toolConfig.tools.${i}.toolSpec.description`)
        const inputSchema = expectRecord(spec["inputSchema"], `toolConfig.tools.${i}.toolSpec.inputSchema`)
        const schema = inputSchema["json"]
        if (!isRecord(schema)) {
          return rejectField(
            `toolConfig.tools.${i + 1}.member.toolSpec.inputSchema.json`,
            schema,
            "Member must not be null"
          )
        }
        if (schema["type"] !== undefined && schema["type"] !== "object") {
          return rejectModel(`tools.${i}.custom.input_schema.type: Input should be 'object'`)
        }
        return { name, description, schema }
      }
      case "systemTool": {
        const sys = expectRecord(tool["systemTool"], `toolConfig.tools.${i}.systemTool`)
        const name = expectString(sys["name"], `toolConfig.tools.${i}.systemTool.name`)
        names.add(name)
        return { name, description: "", schema: { type: "object", properties: {} } }
      }
      case "cachePoint":
        return "cache"
      default:
        return rejectField(
          `toolConfig.tools.${i}`,
          tool,
          "Member must have exactly one of toolSpec, systemTool, cachePoint"
        )
    }
  })
  let choice: ToolChoice = { kind: "auto" }
  if (config["toolChoice"] !== undefined) {
    const raw = expectRecord(config["toolChoice"], "toolConfig.toolChoice")
    switch (unionKey(raw)) {
      case "auto":
        break
      case "any":
        choice = { kind: "any" }
        break
      case "tool": {
        const t = expectRecord(raw["tool"], "toolConfig.toolChoice.tool")
        const name = expectString(t["name"], "toolConfig.toolChoice.tool.name")
        if (!names.has(name)) return rejectModel(`tool_choice.name: Tool '${name}' not found in tools`)
        choice = { kind: "tool", name }
        break
      }
      default:
        return rejectField("toolConfig.toolChoice", raw, "Member must have exactly one of auto, any, tool")
    }
  }
  return { tools, choice }
}

/** Parses `guardrailConfig`. @internal */
export const parseGuardrailConfig = (value: unknown): GuardrailRequest | undefined => {
  if (value === undefined || value === null) return undefined
  const config = expectRecord(value, "guardrailConfig")
  const id = expectString(config["guardrailIdentifier"], "guardrailConfig.guardrailIdentifier")
  const version = expectString(config["guardrailVersion"], "guardrailConfig.guardrailVersion")
  checkGuardrailIds(id, version, "guardrailConfig.")
  const trace = config["trace"] === "enabled" || config["trace"] === "enabled_full"
  return { id, version, trace }
}

const GUARDRAIL_ID =
  /^(?:[a-z0-9]{1,64}|arn:aws(?:-[a-z]+)*:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail\/[a-z0-9]{1,64})$/
const GUARDRAIL_VERSION = /^(?:[1-9][0-9]{0,7}|DRAFT)$/

/** @internal */
export const checkGuardrailIds = (id: string, version: string, prefix: string): void => {
  if (!GUARDRAIL_ID.test(id)) {
    rejectField(
      `${prefix}guardrailIdentifier`,
      id,
      "Member must satisfy regular expression pattern: (([a-z0-9]+)|(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail/[a-z0-9]+))"
    )
  }
  if (!GUARDRAIL_VERSION.test(version)) {
    rejectField(
      `${prefix}guardrailVersion`,
      version,
      "Member must satisfy regular expression pattern: (([1-9][0-9]{0,7})|(DRAFT))"
    )
  }
}

/** Checks `maxTokens` against the model's limit. @internal */
export const checkMaxTokens = (value: unknown, path: string, model: ModelInfo): number => {
  if (value === undefined || value === null) return model.maxOutputTokens
  if (!isInteger(value)) return rejectField(path, value, "Member must be an integer")
  if (value < 1) return rejectField(path, value, "Member must have value greater than or equal to 1")
  if (value > model.maxOutputTokens) {
    return reject(
      `The maximum tokens you requested exceeds the model limit of ${model.maxOutputTokens}. Try again with a maximum tokens value that is lower than ${model.maxOutputTokens}.`
    )
  }
  return value
}

/** Checks a sampling parameter's range. @internal */
export const checkRange = (value: unknown, path: string, min: number, max: number): number | undefined => {
  if (value === undefined || value === null) return undefined
  if (!isNumber(value)) return rejectField(path, value, "Member must be a number")
  if (value < min) return rejectField(path, value, `Member must have value greater than or equal to ${min}`)
  if (value > max) return rejectField(path, value, `Member must have value less than or equal to ${max}`)
  return value
}

/** Checks a list of stop sequences. @internal */
export const checkStopSequences = (value: unknown, path: string): ReadonlyArray<string> => {
  if (value === undefined || value === null) return []
  const list = expectArray(value, path)
  if (list.length > 2500) return rejectField(path, list, "Member must have length less than or equal to 2500")
  return list.map((s, i) => {
    const seq = expectString(s, `${path}.${i}`)
    if (seq.length === 0) {
      return rejectField(`${path}.${i + 1}.member`, seq, "Member must have length greater than or equal to 1")
    }
    return seq
  })
}

/** Reads Claude's `thinking` request field (Converse additionalModelRequestFields or the native body). @internal */
export const parseThinking = (
  value: unknown,
  model: ModelInfo,
  maxTokens: number,
  temperature: number | undefined,
  path: string
): { readonly budget: number } | undefined => {
  if (value === undefined || value === null) return undefined
  if (!model.capabilities.reasoning) return rejectModel(`${path}: Extra inputs are not permitted`)
  const thinking = expectRecord(value, path)
  if (thinking["type"] === "disabled") return undefined
  if (thinking["type"] === "adaptive") return { budget: Math.min(4096, Math.max(1, maxTokens - 1)) }
  if (thinking["type"] !== "enabled") {
    return rejectModel(
      `${path}: Input tag '${
        String(thinking["type"])
      }' found using 'type' does not match any of the expected tags: 'enabled', 'disabled', 'adaptive'`
    )
  }
  const budget = thinking["budget_tokens"]
  if (!isInteger(budget)) return rejectModel(`${path}.enabled.budget_tokens: Field required`)
  if (budget < 1024) return rejectModel(`${path}.enabled.budget_tokens: Input should be greater than or equal to 1024`)
  if (maxTokens <= budget) return rejectModel("`max_tokens` must be greater than `thinking.budget_tokens`.")
  if (temperature !== undefined && temperature !== 1) {
    return rejectModel("`temperature` may only be set to 1 when thinking is enabled.")
  }
  return { budget }
}

/** Reads Nova 2's `reasoningConfig`. @internal */
export const parseReasoningConfig = (value: unknown, model: ModelInfo): { readonly budget: number } | undefined => {
  if (value === undefined || value === null) return undefined
  if (!model.capabilities.reasoning) return rejectModel("reasoningConfig: Extra inputs are not permitted")
  const config = expectRecord(value, "additionalModelRequestFields.reasoningConfig")
  if (config["type"] === "disabled") return undefined
  if (config["type"] !== "enabled") {
    return rejectField(
      "additionalModelRequestFields.reasoningConfig.type",
      config["type"],
      "Member must satisfy enum value set: [enabled, disabled]"
    )
  }
  const effort = config["maxReasoningEffort"]
  return { budget: effort === "high" ? 4096 : effort === "medium" ? 2048 : 1024 }
}

/** Assembles the conversation and its prompt units (tools, system, messages, in that order). @internal */
export const assemble = (
  model: ModelInfo,
  system: ReadonlyArray<string | "cache">,
  parsed: ParsedMessages,
  toolConfig: { readonly tools: ReadonlyArray<ToolDef | "cache">; readonly choice: ToolChoice },
  settings: {
    readonly maxTokens: number
    readonly stopSequences: ReadonlyArray<string>
    readonly thinking: { readonly budget: number } | undefined
    readonly guardrail: GuardrailRequest | undefined
    /** The prompt's token limit: the context window, or none when only counting. */
    readonly inputLimit: InputLimit
  }
): Conversation => {
  const units = new PromptUnits(settings.inputLimit)
  let cachePoints = 0
  for (const tool of toolConfig.tools) {
    if (tool === "cache") {
      cachePoints++
      units.cachePoint()
    } else toolUnit(units, tool)
  }
  for (const block of system) {
    if (block === "cache") {
      cachePoints++
      units.cachePoint()
    } else units.text("system", block)
  }
  parsed.blocks.forEach((blocks, m) => {
    cachePoints += blocks.filter((b) => b === "cache").length
    turnUnits(units, parsed.turns[m]!.role, blocks)
  })
  if (cachePoints > 0 && !model.capabilities.cache) {
    reject(
      "You invoked an unsupported model or your request did not allow prompt caching. See the documentation for more information."
    )
  }
  if (cachePoints > MAX_CACHE_POINTS) {
    rejectModel(`A maximum of ${MAX_CACHE_POINTS} blocks with cache_control may be provided. Found ${cachePoints}.`)
  }
  return {
    system: system.filter((s): s is string => s !== "cache"),
    turns: parsed.turns,
    tools: toolConfig.tools.filter((t): t is ToolDef => t !== "cache"),
    toolChoice: toolConfig.choice,
    maxTokens: settings.maxTokens,
    stopSequences: settings.stopSequences,
    thinking: settings.thinking,
    guardrail: settings.guardrail,
    units: units.units
  }
}

/**
 * Validates a Converse (or ConverseStream) request body for a model. `forCount` reads CountTokens' converse
 * input, which has no inference settings.
 *
 * @internal
 */
export const parseConverseRequest = (model: ModelInfo, body: unknown, forCount = false): Conversation => {
  if (!model.capabilities.converse) {
    return reject(
      "This action doesn't support the model that you provided. Try again with a supported text or chat model."
    )
  }
  const request = isRecord(body) ? body : rejectField("body", body, "Member must be a structure")
  const toolConfig = parseToolConfig(request["toolConfig"], model)
  const parsed = parseMessages(request["messages"], {
    model,
    hasToolConfig: request["toolConfig"] !== undefined,
    media: new MediaLimits(model, "converse")
  })
  const system = parseSystem(request["system"], model)
  if (forCount) {
    return assemble(model, system, parsed, toolConfig, {
      maxTokens: model.maxOutputTokens,
      stopSequences: [],
      thinking: undefined,
      guardrail: undefined,
      inputLimit: uncountedLimit
    })
  }
  const inference = request["inferenceConfig"] === undefined || request["inferenceConfig"] === null
    ? {}
    : expectRecord(request["inferenceConfig"], "inferenceConfig")
  const maxTokens = checkMaxTokens(inference["maxTokens"], "inferenceConfig.maxTokens", model)
  const temperature = checkRange(inference["temperature"], "inferenceConfig.temperature", 0, 1)
  checkRange(inference["topP"], "inferenceConfig.topP", 0, 1)
  const stopSequences = checkStopSequences(inference["stopSequences"], "inferenceConfig.stopSequences")
  const extra =
    request["additionalModelRequestFields"] === undefined || request["additionalModelRequestFields"] === null
      ? {}
      : expectRecord(request["additionalModelRequestFields"], "additionalModelRequestFields")
  const thinking = model.family === "anthropic"
    ? parseThinking(extra["thinking"], model, maxTokens, temperature, "thinking")
    : model.family === "nova"
    ? parseReasoningConfig(extra["reasoningConfig"], model)
    : undefined
  const guardrail = parseGuardrailConfig(request["guardrailConfig"])
  return assemble(model, system, parsed, toolConfig, {
    maxTokens,
    stopSequences,
    thinking,
    guardrail,
    inputLimit: inputLimit(model)
  })
}
