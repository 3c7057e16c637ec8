/**
 * `ModelConfig` -> the model-related fields of a Converse / ConverseStream request.
 *
 * @internal
 */
import type { ConverseStreamRequest } from "@aws-sdk/client-bedrock-runtime"
import type { ModelConfig } from "../../BedrockConfig.js"
import * as ModelCatalog from "../../ModelCatalog.js"

/** The request fields that come from a `ModelConfig` (everything but `modelId`, `messages` and `toolConfig`). */
export type RequestFields = Pick<
  ConverseStreamRequest,
  | "system"
  | "inferenceConfig"
  | "additionalModelRequestFields"
  | "additionalModelResponseFieldPaths"
  | "guardrailConfig"
  | "performanceConfig"
  | "serviceTier"
  | "promptVariables"
  | "requestMetadata"
>

type Json = Record<string, unknown>

const isPlainObject = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)

const deepMerge = (base: Json, over: Json): Json => {
  const out: Json = { ...base }
  for (const [key, value] of Object.entries(over)) {
    const current = out[key]
    out[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value
  }
  return out
}

/**
 * Where a model family takes `top_k`: Anthropic, Mistral and most others `top_k`, Amazon Nova
 * `inferenceConfig.topK`, Cohere `k`; Meta Llama, AI21, OpenAI, Writer and Amazon Titan take none (dropped). An ARN
 * that does not name a model (application inference profile) gets `top_k`.
 */
export const topKFields = (modelId: string, topK: number): Json | undefined => {
  const baseId = ModelCatalog.parseId(modelId).baseId
  const provider = baseId.startsWith("arn:")
    ? ""
    : baseId.slice(0, baseId.indexOf(".") === -1 ? 0 : baseId.indexOf("."))
  switch (provider) {
    case "amazon":
      return baseId.startsWith("amazon.nova") ? { inferenceConfig: { topK } } : undefined
    case "cohere":
      return { k: topK }
    case "meta":
    case "ai21":
    case "openai":
    case "writer":
      return undefined
    default:
      return { top_k: topK }
  }
}

/**
 * The Converse request fields for a model configuration; only fields that are set appear. `streaming` keeps the
 * guardrail's `streamProcessingMode` (a ConverseStream-only field). The conversation's own system blocks go after
 * `system` here.
 */
export const toSdkInferenceConfig = (
  model: ModelConfig,
  options?: { readonly streaming?: boolean | undefined }
): RequestFields => {
  const fields: RequestFields = {}
  if (model.system !== undefined && model.system.length > 0) {
    fields.system = [{ text: model.system }]
  }
  const inference: NonNullable<RequestFields["inferenceConfig"]> = {}
  if (model.maxTokens !== undefined) inference.maxTokens = model.maxTokens
  if (model.temperature !== undefined) inference.temperature = model.temperature
  if (model.topP !== undefined) inference.topP = model.topP
  if (model.stopSequences !== undefined) inference.stopSequences = [...model.stopSequences]
  if (Object.keys(inference).length > 0) fields.inferenceConfig = inference

  const fromTopK = model.topK === undefined ? undefined : topKFields(model.modelId, model.topK)
  const additional = fromTopK === undefined
    ? model.additionalModelRequestFields
    : deepMerge(fromTopK, model.additionalModelRequestFields ?? {})
  if (additional !== undefined && Object.keys(additional).length > 0) {
    fields.additionalModelRequestFields = additional as RequestFields["additionalModelRequestFields"]
  }
  if (model.additionalModelResponseFieldPaths !== undefined) {
    fields.additionalModelResponseFieldPaths = [...model.additionalModelResponseFieldPaths]
  }
  if (model.guardrail !== undefined) {
    const { identifier, streamProcessingMode, trace, version } = model.guardrail
    fields.guardrailConfig = {
      guardrailIdentifier: identifier,
      guardrailVersion: version,
      ...(trace !== undefined ? { trace } : {}),
      ...(options?.streaming === true && streamProcessingMode !== undefined ? { streamProcessingMode } : {})
    }
  }
  if (model.latency !== undefined) fields.performanceConfig = { latency: model.latency }
  if (model.serviceTier !== undefined) fields.serviceTier = { type: model.serviceTier }
  if (model.promptVariables !== undefined) {
    fields.promptVariables = Object.fromEntries(
      Object.entries(model.promptVariables).map(([name, text]) => [name, { text }])
    )
  }
  if (model.requestMetadata !== undefined) fields.requestMetadata = { ...model.requestMetadata }
  return fields
}
