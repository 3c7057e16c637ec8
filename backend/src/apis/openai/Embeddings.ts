/**
 * An embeddings request in OpenAI's shape -> the texts and options for the gateway's `embed`, and the vectors back
 * as OpenAI's `list` of `embedding`s: numbers, or (`encoding_format: "base64"`) the base64 of each vector's
 * little-endian float32 bytes, as OpenAI sends them. Pure.
 *
 * @since 0.1.0
 */
import type { ModelCatalog } from "bedrock-llm"
import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"
import { invalid, type OpenAiFailure, unsupported, unsupportedValue } from "./OpenAiError.js"
import type { EmbeddingRequest, EmbeddingResponse } from "./OpenAiSchemas.js"

/**
 * Most inputs in one request, as OpenAI allows.
 *
 * @since 0.1.0
 * @category constants
 */
export const maxInputs = 2048

/**
 * A translated request.
 *
 * @since 0.1.0
 * @category models
 */
export interface EmbeddingPlan {
  readonly model: string
  readonly texts: ReadonlyArray<string>
  readonly dimensions: number | undefined
  readonly encoding: "float" | "base64"
}

const isText = (input: EmbeddingRequest["input"]): input is string | ReadonlyArray<string> =>
  typeof input === "string" || (input as ReadonlyArray<unknown>).every((item) => typeof item === "string")

/**
 * Checks a decoded request against the model's embedding capabilities (`undefined`: not an embeddings model).
 *
 * @since 0.1.0
 * @category translation
 */
export const translate = (
  body: EmbeddingRequest,
  capabilities: ModelCatalog.EmbeddingCapabilities | undefined
): Either.Either<EmbeddingPlan, OpenAiFailure> => {
  if (capabilities === undefined) {
    return Either.left(invalid("model", `The model ${body.model} is not an embeddings model.`))
  }
  if (body.user !== undefined && body.user !== null) {
    return Either.left(
      unsupported("user", "Unsupported parameter: 'user'. Bedrock's embedding calls carry no request metadata.")
    )
  }
  const input = body.input
  if (!isText(input) || (Array.isArray(input) && input.length > 0 && typeof input[0] !== "string")) {
    return Either.left(
      unsupportedValue(
        "input",
        "Unsupported value: token arrays as 'input'. Bedrock's embedding models have their own tokenizers: send text."
      )
    )
  }
  const texts = typeof input === "string" ? [input] : input
  if (texts.length === 0) return Either.left(invalid("input", "Invalid 'input': expected at least one text."))
  if (texts.length > maxInputs) {
    return Either.left(invalid("input", `Invalid 'input': at most ${maxInputs} texts, got ${texts.length}.`))
  }
  const empty = texts.findIndex((text) => text.trim() === "")
  if (empty >= 0) {
    const param = typeof input === "string" ? "input" : `input[${empty}]`
    return Either.left(invalid(param, `Invalid '${param}': a text must not be empty or blank.`))
  }
  const dimensions = body.dimensions ?? undefined
  if (dimensions !== undefined) {
    if (!Number.isInteger(dimensions) || dimensions < 1) {
      return Either.left(invalid("dimensions", `Invalid 'dimensions': expected a positive integer, got ${dimensions}.`))
    }
    if (!capabilities.dimensions.includes(dimensions)) {
      return Either.left(
        unsupportedValue(
          "dimensions",
          `Unsupported value: 'dimensions' ${dimensions}. ${body.model} gives ${capabilities.dimensions.join(", ")}.`
        )
      )
    }
  }
  return Either.right({ model: body.model, texts, dimensions, encoding: body.encoding_format ?? "float" })
}

/**
 * The base64 of a vector's little-endian float32 bytes.
 *
 * @since 0.1.0
 * @category encoding
 */
export const toBase64 = (vector: ReadonlyArray<number>): string => {
  const bytes = new Uint8Array(vector.length * 4)
  const view = new DataView(bytes.buffer)
  vector.forEach((value, i) => view.setFloat32(i * 4, value, true))
  return Encoding.encodeBase64(bytes)
}

/**
 * The answer of an embeddings request.
 *
 * @since 0.1.0
 * @category translation
 */
export const response = (
  plan: EmbeddingPlan,
  vectors: ReadonlyArray<ReadonlyArray<number>>,
  inputTokens: number
): EmbeddingResponse => ({
  object: "list",
  data: vectors.map((vector, index) => ({
    object: "embedding",
    index,
    embedding: plan.encoding === "base64" ? toBase64(vector) : vector
  })),
  model: plan.model,
  usage: { prompt_tokens: inputTokens, total_tokens: inputTokens }
})
