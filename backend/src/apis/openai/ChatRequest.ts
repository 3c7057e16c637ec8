/**
 * A chat completion request in OpenAI's shape -> the library's `BedrockClient.Request` for the models that will serve
 * it, or the 400 that names the parameter Bedrock cannot honour. Pure: nothing here reaches Bedrock, and everything
 * Bedrock would refuse (a conversation out of order, a capability the model lacks, an option it has no equivalent
 * for) is refused here first.
 *
 * - The messages: see `ChatMessages`.
 * - `response_format` `json_object` / `json_schema` is served as the library's structured output does it: a tool with
 *   the schema that the model is made to call, whose input is the answer.
 * - `reasoning_effort` asks Claude for extended thinking (`budget_tokens` 1024 / 1024 / 2048 / 4096 / 8192 for
 *   minimal / low / medium / high / xhigh) and Nova for `reasoningConfig` (low / low / medium / high).
 * - `cache_control` on a content part or tool (an extension) puts a Bedrock cache point after it.
 *
 * @since 0.1.0
 */
import { type BedrockClient, Conversation, type Message, type ModelCatalog } from "bedrock-llm"
import type * as Either from "effect/Either"
import { cachePointOf, checkConversation, checkToolResultTurns, translateMessages } from "./ChatMessages.js"
import { invalid, type OpenAiFailure, type ParameterNames, unsupported, unsupportedValue } from "./OpenAiError.js"
import type { ChatCompletionRequest, ResponseFormat } from "./OpenAiSchemas.js"
import { isSet, refuse, refusing } from "./Refusal.js"
import { type Capabilities, capabilitiesOf } from "./TargetCapabilities.js"

/**
 * What the translation needs from the service's configuration.
 *
 * @since 0.1.0
 * @category models
 */
export interface Defaults {
  /** Output tokens of a call that names none (`ServiceConfig.defaultMaxTokens`). */
  readonly defaultMaxTokens: number
}

/**
 * A translated request: the library request, the output bound to ask the gateway for, and how to answer.
 *
 * @since 0.1.0
 * @category models
 */
export interface ChatPlan {
  readonly request: BedrockClient.BedrockClient.Request
  /** The model the client named (an alias or a catalog id). */
  readonly model: string
  /** `max_completion_tokens` / `max_tokens`, or the bound reasoning needs; `undefined`: the gateway's default. */
  readonly maxTokens: number | undefined
  readonly stream: boolean
  readonly includeUsage: boolean
  /** The tool whose input is the answer (`response_format` `json_object` / `json_schema`). */
  readonly answerTool: string | undefined
  /** How the gateway's parameter names read in this request. */
  readonly names: ParameterNames
}

const toolNamePattern = /^[a-zA-Z0-9_-]{1,64}$/
const metadataPattern = /^[a-zA-Z0-9\s:_@$#=/+,.-]*$/
const maxCachePoints = 4
const maxStopSequences = 4

const claudeBudgets = { minimal: 1024, low: 1024, medium: 2048, high: 4096, xhigh: 8192 } as const
const novaEfforts = { minimal: "low", low: "low", medium: "medium", high: "high" } as const

/** Parameters the gateway knows and refuses whenever they are set (not null), with why. */
const refusedWhenSet: ReadonlyArray<readonly [keyof ChatCompletionRequest, string]> = [
  ["top_logprobs", "Bedrock returns no token log probabilities."],
  ["seed", "Bedrock models take no sampling seed."],
  ["audio", "Audio output is not available on Bedrock through this gateway."],
  ["prediction", "Predicted outputs are not available on Bedrock."],
  ["verbosity", "Bedrock models take no verbosity setting."],
  ["web_search_options", "Web search is not available through this gateway."],
  [
    "prompt_cache_key",
    "Bedrock caches prompts at explicit cache points: put cache_control on a content part or tool instead."
  ],
  [
    "prompt_cache_retention",
    "Bedrock caches prompts at explicit cache points: put cache_control (with its ttl) on a content part or tool."
  ],
  ["functions", "Function calling through `functions` is deprecated and not supported: use `tools`."],
  ["function_call", "Function calling through `function_call` is deprecated and not supported: use `tool_choice`."]
]

const checkRange = (param: string, value: number, min: number, max: number): void => {
  if (!Number.isFinite(value) || value < min || value > max) {
    refuse(invalid(param, `Invalid '${param}': expected a number between ${min} and ${max}, got ${value}.`))
  }
}

const positiveInteger = (param: string, value: number): number => {
  if (!Number.isInteger(value) || value < 1) {
    refuse(invalid(param, `Invalid '${param}': expected an integer of at least 1, got ${value}.`))
  }
  return value
}

// ---------------------------------------------------------------------------
// parameters Bedrock cannot honour
// ---------------------------------------------------------------------------

const refuseUnsupported = (body: ChatCompletionRequest): void => {
  for (const [param, why] of refusedWhenSet) {
    if (isSet(body[param])) refuse(unsupported(param, `Unsupported parameter: '${param}'. ${why}`))
  }
  if (isSet(body.n)) {
    positiveInteger("n", body.n)
    if (body.n !== 1) {
      refuse(unsupportedValue("n", "Unsupported value: 'n' must be 1: Bedrock answers one choice per request."))
    }
  }
  if (body.logprobs === true) {
    refuse(unsupported("logprobs", "Unsupported parameter: 'logprobs'. Bedrock returns no token log probabilities."))
  }
  if (isSet(body.logit_bias) && Object.keys(body.logit_bias).length > 0) {
    refuse(unsupported("logit_bias", "Unsupported parameter: 'logit_bias'. Bedrock models take no token biases."))
  }
  for (const param of ["frequency_penalty", "presence_penalty"] as const) {
    const value = body[param]
    if (isSet(value)) {
      checkRange(param, value, -2, 2)
      if (value !== 0) {
        refuse(unsupported(param, `Unsupported parameter: '${param}'. Bedrock's Converse API takes no penalties.`))
      }
    }
  }
  if (isSet(body.modalities) && body.modalities.some((modality) => modality !== "text")) {
    refuse(unsupportedValue("modalities", "Unsupported value: 'modalities' may only hold \"text\" on Bedrock."))
  }
  if (body.store === true) {
    refuse(unsupportedValue("store", "Unsupported value: 'store'. The gateway does not store completions."))
  }
  if (body.service_tier === "scale") {
    refuse(unsupportedValue("service_tier", "Unsupported value: 'service_tier' \"scale\" has no Bedrock tier."))
  }
  if (body.parallel_tool_calls === false) {
    refuse(
      unsupportedValue(
        "parallel_tool_calls",
        "Unsupported value: 'parallel_tool_calls' false. Bedrock's Converse API cannot forbid parallel tool calls."
      )
    )
  }
  if (isSet(body.stream_options)) {
    if (body.stream !== true) {
      refuse(invalid("stream_options", "Invalid 'stream_options': only allowed when 'stream' is true."))
    }
    if (body.stream_options.include_obfuscation === true) {
      refuse(
        unsupportedValue(
          "stream_options.include_obfuscation",
          "Unsupported value: the gateway sends no obfuscation padding in stream chunks."
        )
      )
    }
  }
}

// ---------------------------------------------------------------------------
// tools and structured output
// ---------------------------------------------------------------------------

interface Tools {
  readonly config: Conversation.ToolConfiguration | undefined
  readonly answerTool: string | undefined
  /** The model must call a tool (`required`, a named function, or a structured answer). */
  readonly forced: boolean
}

const objectSchema = (param: string, schema: Record<string, unknown> | undefined): Message.JsonObject => {
  if (schema === undefined) return { type: "object", properties: {} }
  if (schema["type"] !== undefined && schema["type"] !== "object") {
    return refuse(
      unsupportedValue(
        param,
        `Unsupported value: '${param}' must describe an object (Bedrock tool inputs are objects).`
      )
    )
  }
  return schema["type"] === undefined ? { type: "object", ...schema } : schema
}

const answerToolOf = (
  format: ResponseFormat,
  userTools: ReadonlySet<string>
): Conversation.ToolSpec | undefined => {
  if (format.type === "text") return undefined
  if (format.type === "json_object") {
    if (userTools.has("json_object")) {
      return refuse(invalid("response_format", "A tool named json_object collides with response_format json_object."))
    }
    return Conversation.toolSpec({
      name: "json_object",
      description: "Respond with the answer as this tool's input: a JSON object.",
      inputSchema: { type: "object" }
    })
  }
  const spec = format.json_schema
  if (!toolNamePattern.test(spec.name)) {
    return refuse(
      invalid(
        "response_format.json_schema.name",
        "Invalid 'response_format.json_schema.name': expected ^[a-zA-Z0-9_-]{1,64}$."
      )
    )
  }
  if (userTools.has(spec.name)) {
    return refuse(
      invalid(
        "response_format.json_schema.name",
        `A tool is already named ${spec.name}: give the response format another name.`
      )
    )
  }
  return Conversation.toolSpec({
    name: spec.name,
    description: spec.description ?? "Respond with the answer as this tool's input, following its schema.",
    inputSchema: objectSchema("response_format.json_schema.schema", spec.schema),
    ...(spec.strict === true ? { strict: true } : {})
  })
}

const translateTools = (
  body: ChatCompletionRequest,
  hasToolBlocks: boolean,
  capabilities: Capabilities,
  cachePoints: Array<string>
): Tools => {
  const specs: Array<Conversation.Tool> = []
  const names = new Set<string>()
  ;(body.tools ?? []).forEach((tool, i) => {
    const at = `tools[${i}]`
    if (tool.type === "custom") {
      refuse(unsupported(at, "Unsupported tool type 'custom': Bedrock tools take JSON input; use a function tool."))
      return
    }
    const fn = tool.function
    if (!toolNamePattern.test(fn.name)) {
      refuse(invalid(`${at}.function.name`, `Invalid '${at}.function.name': expected ^[a-zA-Z0-9_-]{1,64}$.`))
    }
    if (names.has(fn.name)) refuse(invalid(`${at}.function.name`, `Duplicate tool name ${fn.name}.`))
    names.add(fn.name)
    specs.push(Conversation.toolSpec({
      name: fn.name,
      ...(fn.description === undefined ? {} : { description: fn.description }),
      inputSchema: objectSchema(`${at}.function.parameters`, fn.parameters),
      ...(fn.strict === true ? { strict: true } : {})
    }))
    if (tool.cache_control !== undefined) {
      cachePoints.push(`${at}.cache_control`)
      specs.push(cachePointOf(tool.cache_control))
    }
  })
  if (isSet(body.tools) && body.tools.length === 0) {
    refuse(invalid("tools", "Invalid 'tools': expected at least one tool, or leave it out."))
  }
  const answer = isSet(body.response_format) ? answerToolOf(body.response_format, names) : undefined
  const choice = body.tool_choice ?? undefined
  if (typeof choice === "object" && (choice.type === "allowed_tools" || choice.type === "custom")) {
    refuse(unsupportedValue("tool_choice", `Unsupported value: tool_choice of type ${choice.type}.`))
  }
  if (names.size > 0 || answer !== undefined) {
    if (!capabilities.tools) {
      refuse(
        unsupported(names.size > 0 ? "tools" : "response_format", "This model does not support tool use on Bedrock.")
      )
    }
    if (body.stream === true && !capabilities.streamingToolUse) {
      refuse(
        unsupportedValue("stream", "This model cannot stream tool use on Bedrock: send the request without stream.")
      )
    }
  }
  if (choice === "none") {
    if (answer !== undefined) {
      return {
        config: Conversation.toolConfig([...specs, answer], Conversation.toolChoiceTool(answer.name)),
        answerTool: answer.name,
        forced: true
      }
    }
    if (hasToolBlocks) {
      refuse(
        unsupportedValue(
          "tool_choice",
          "Unsupported value: tool_choice \"none\" in a conversation that holds tool calls: Bedrock's Converse API cannot forbid tool calls while it needs the tools to read the conversation."
        )
      )
    }
    return { config: undefined, answerTool: undefined, forced: false }
  }
  const named = typeof choice === "object" && choice.type === "function" ? choice.function.name : undefined
  if (choice === "required" || named !== undefined) {
    if (names.size === 0) refuse(invalid("tool_choice", "Invalid 'tool_choice': only allowed when 'tools' are given."))
    if (named !== undefined && !names.has(named)) {
      refuse(invalid("tool_choice.function.name", `Invalid 'tool_choice': no tool is named ${named}.`))
    }
    // The client insists on its own tools: the structured answer is for the turn after them.
    return {
      config: Conversation.toolConfig(
        specs,
        named === undefined ? Conversation.toolChoiceAny : Conversation.toolChoiceTool(named)
      ),
      answerTool: undefined,
      forced: true
    }
  }
  if (answer !== undefined) {
    return {
      config: Conversation.toolConfig(
        [...specs, answer],
        names.size === 0 ? Conversation.toolChoiceTool(answer.name) : Conversation.toolChoiceAny
      ),
      answerTool: answer.name,
      forced: true
    }
  }
  return {
    config: names.size === 0 ? undefined : Conversation.toolConfig(specs, Conversation.toolChoiceAuto),
    answerTool: undefined,
    forced: false
  }
}

// ---------------------------------------------------------------------------
// sampling, reasoning, metadata
// ---------------------------------------------------------------------------

const stopSequencesOf = (stop: string | ReadonlyArray<string>): ReadonlyArray<string> => {
  const sequences = typeof stop === "string" ? [stop] : stop
  if (sequences.length > maxStopSequences) {
    refuse(invalid("stop", `Invalid 'stop': at most ${maxStopSequences} sequences, got ${sequences.length}.`))
  }
  sequences.forEach((sequence, i) => {
    if (sequence === "") {
      refuse(
        invalid(typeof stop === "string" ? "stop" : `stop[${i}]`, "Invalid 'stop': a stop sequence must not be empty.")
      )
    }
  })
  return sequences
}

const requestMetadataOf = (body: ChatCompletionRequest): Record<string, string> | undefined => {
  const entries: Array<readonly [string, string, string]> = Object.entries(body.metadata ?? {}).map((
    [key, value]
  ) => [key, value, `metadata.${key}`] as const)
  if (isSet(body.user)) entries.push(["user", body.user, "user"])
  if (isSet(body.safety_identifier)) entries.push(["safety_identifier", body.safety_identifier, "safety_identifier"])
  if (entries.length === 0) return undefined
  if (entries.length > 16) {
    refuse(
      invalid("metadata", "Invalid 'metadata': Bedrock takes at most 16 request metadata entries (user included).")
    )
  }
  const metadata: Record<string, string> = {}
  for (const [key, value, param] of entries) {
    if (key in metadata) refuse(invalid(param, `'${param}' is given twice (as a parameter and in metadata).`))
    if (
      key.length < 1 || key.length > 256 || value.length > 256 || !metadataPattern.test(key) ||
      !metadataPattern.test(value)
    ) {
      refuse(
        invalid(
          param,
          `Invalid '${param}': Bedrock request metadata keys and values are at most 256 letters, digits, spaces and :_@$#=/+,.- characters.`
        )
      )
    }
    metadata[key] = value
  }
  return metadata
}

interface Reasoning {
  readonly fields: Record<string, unknown> | undefined
  /** The output bound reasoning needs when the client gave none. */
  readonly maxTokens: number | undefined
}

const reasoningOf = (
  body: ChatCompletionRequest,
  capabilities: Capabilities,
  tools: Tools,
  maxTokens: { readonly value: number | undefined; readonly param: string },
  defaults: Defaults
): Reasoning => {
  const effort = body.reasoning_effort
  if (!isSet(effort) || effort === "none") return { fields: undefined, maxTokens: undefined }
  if (!capabilities.reasoning) {
    return refuse(
      unsupported(
        "reasoning_effort",
        `Unsupported parameter: 'reasoning_effort'. The model ${body.model} does not reason.`
      )
    )
  }
  if (capabilities.families.size !== 1) {
    return refuse(
      unsupported(
        "reasoning_effort",
        `The targets of ${body.model} are of different model families: no one reasoning setting fits them all.`
      )
    )
  }
  const family = [...capabilities.families][0]!
  if (family === "anthropic") {
    const budget = claudeBudgets[effort]
    if (isSet(body.temperature) && body.temperature !== 1) {
      refuse(
        unsupportedValue("temperature", "Unsupported value: with reasoning_effort, Claude takes temperature 1 or none.")
      )
    }
    if (isSet(body.top_p) && body.top_p < 0.95) {
      refuse(unsupportedValue("top_p", "Unsupported value: with reasoning_effort, Claude takes top_p of 0.95 or more."))
    }
    if (tools.forced) {
      refuse(
        unsupportedValue(
          isSet(body.response_format) && body.response_format.type !== "text" ? "response_format" : "tool_choice",
          "Unsupported value: Claude cannot reason while it is made to call a tool (tool_choice required or named, or a JSON response_format)."
        )
      )
    }
    if (maxTokens.value !== undefined && maxTokens.value <= budget) {
      refuse(
        invalid(
          maxTokens.param,
          `Invalid '${maxTokens.param}': reasoning_effort "${effort}" gives Claude a reasoning budget of ${budget} tokens; '${maxTokens.param}' must be above it.`
        )
      )
    }
    return {
      fields: { thinking: { type: "enabled", budget_tokens: budget } },
      maxTokens: maxTokens.value ?? Math.min(capabilities.maxOutputTokens, budget + defaults.defaultMaxTokens)
    }
  }
  if (family === "amazon-nova") {
    if (effort === "xhigh") {
      return refuse(
        unsupportedValue("reasoning_effort", "Unsupported value: Nova's highest reasoning effort is \"high\".")
      )
    }
    return {
      fields: { reasoningConfig: { type: "enabled", maxReasoningEffort: novaEfforts[effort] } },
      maxTokens: undefined
    }
  }
  return refuse(unsupported("reasoning_effort", `The gateway does not know how to ask ${body.model} to reason.`))
}

// ---------------------------------------------------------------------------
// the translation
// ---------------------------------------------------------------------------

const translateOrRefuse = (
  body: ChatCompletionRequest,
  targets: ReadonlyArray<ModelCatalog.ModelInfo>,
  defaults: Defaults
): ChatPlan => {
  refuseUnsupported(body)
  const capabilities = capabilitiesOf(targets)
  if (isSet(body.max_tokens) && isSet(body.max_completion_tokens) && body.max_tokens !== body.max_completion_tokens) {
    refuse(invalid("max_tokens", "Give max_completion_tokens or max_tokens, not both with different values."))
  }
  const maxTokensParam = isSet(body.max_completion_tokens) ? "max_completion_tokens" : "max_tokens"
  const requested = body.max_completion_tokens ?? body.max_tokens ?? undefined
  const maxTokens = requested === undefined ? undefined : positiveInteger(maxTokensParam, requested)
  if (maxTokens !== undefined && maxTokens > capabilities.maxOutputTokens) {
    refuse(
      invalid(
        maxTokensParam,
        `Invalid '${maxTokensParam}': ${maxTokens} is above the ${capabilities.maxOutputTokens} output tokens ${body.model} can write.`
      )
    )
  }
  if (isSet(body.temperature)) {
    checkRange("temperature", body.temperature, 0, 2)
    if (body.temperature > 1) {
      refuse(
        unsupportedValue(
          "temperature",
          `Unsupported value: 'temperature' ${body.temperature}. Bedrock models take a temperature between 0 and 1.`
        )
      )
    }
  }
  if (isSet(body.top_p)) checkRange("top_p", body.top_p, 0, 1)
  const stopSequences = isSet(body.stop) ? stopSequencesOf(body.stop) : undefined
  const requestMetadata = requestMetadataOf(body)

  const messages = translateMessages(body.messages, capabilities, body.model)
  const tools = translateTools(body, messages.hasToolBlocks, capabilities, messages.cachePoints)
  if (messages.cachePoints.length > 0 && !capabilities.promptCaching) {
    refuse(unsupported(messages.cachePoints[0]!, `The model ${body.model} has no prompt caching on Bedrock.`))
  }
  if (messages.cachePoints.length > maxCachePoints) {
    refuse(
      invalid(
        messages.cachePoints[maxCachePoints]!,
        `At most ${maxCachePoints} cache_control points may be given in one request.`
      )
    )
  }
  checkToolResultTurns(messages.turns, capabilities)
  checkConversation(messages.turns, tools.config)
  const reasoning = reasoningOf(body, capabilities, tools, { value: maxTokens, param: maxTokensParam }, defaults)

  const model: BedrockClient.BedrockClient.ModelOverrides = {
    ...(isSet(body.temperature) ? { temperature: body.temperature } : {}),
    ...(isSet(body.top_p) ? { topP: body.top_p } : {}),
    ...(stopSequences === undefined ? {} : { stopSequences }),
    ...(reasoning.fields === undefined ? {} : { additionalModelRequestFields: reasoning.fields }),
    ...(requestMetadata === undefined ? {} : { requestMetadata }),
    ...(body.service_tier === "flex" || body.service_tier === "priority" || body.service_tier === "default"
      ? { serviceTier: body.service_tier }
      : {})
  }
  return {
    request: {
      messages: messages.turns.map((turn): Message.Message => ({ role: turn.role, content: turn.content })),
      ...(messages.system.length === 0 ? {} : { system: messages.system }),
      ...(tools.config === undefined ? {} : { toolConfig: tools.config }),
      ...(Object.keys(model).length === 0 ? {} : { model })
    },
    model: body.model,
    maxTokens: maxTokens ?? reasoning.maxTokens,
    stream: body.stream === true,
    includeUsage: body.stream_options?.include_usage === true,
    answerTool: tools.answerTool,
    names: { maxTokens: maxTokensParam, model: "model" }
  }
}

/**
 * Translates a decoded request for the targets that may serve it (an alias's, or one catalog entry), or gives the
 * 400 naming what Bedrock cannot take.
 *
 * @since 0.1.0
 * @category translation
 */
export const translate = (
  body: ChatCompletionRequest,
  targets: ReadonlyArray<ModelCatalog.ModelInfo>,
  defaults: Defaults
): Either.Either<ChatPlan, OpenAiFailure> => refusing(() => translateOrRefuse(body, targets, defaults))
