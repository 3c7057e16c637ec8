/**
 * Embeddings on InvokeModel (Titan Text Embeddings v1/v2, Cohere Embed v3/v4): deterministic vectors built from
 * hashed features of the text (its lower-cased words, weight 1, and their character trigrams, weight 0.5), each
 * feature adding ±weight to one dimension chosen by its hash. Texts that share words and spellings share
 * dimensions, so similar texts are closer than unrelated ones. Vectors are L2-normalized when asked (and always
 * for Cohere); they have exactly the requested dimensions.
 *
 * @since 0.1.0
 */
import type { ModelInfo } from "./catalog.js"
import { checkKeys, nativeBody } from "./families/common.js"
import { fnv1a, prng, stableUuid } from "./hash.js"
import { isArray, isRecord, isString, type Json } from "./json.js"
import { rejectMalformed } from "./reject.js"
import { countText } from "./tokens.js"
import type { InvokeOutput } from "./types.js"

/** How many dimensions each feature touches. */
const SPREAD = 16

const wordsOf = (text: string): Array<string> => text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 0)

/**
 * The raw (unnormalized) feature vector of a text.
 *
 * @since 0.1.0
 * @category utils
 */
export const featureVector = (text: string, dimensions: number): Float64Array => {
  const v = new Float64Array(dimensions)
  const add = (feature: string, weight: number): void => {
    const next = prng(fnv1a(feature))
    for (let k = 0; k < SPREAD; k++) {
      const r = next()
      const index = Math.floor(next() * dimensions)
      v[index]! += r < 0.5 ? weight : -weight
    }
  }
  const words = wordsOf(text)
  for (const word of words) {
    add("w:" + word, 1)
    const padded = `^${word}$`
    for (let i = 0; i + 3 <= padded.length; i++) add("t:" + padded.slice(i, i + 3), 0.5)
  }
  if (words.length === 0) add("empty:" + text, 1)
  return v
}

const normalized = (v: Float64Array): Array<number> => {
  let norm = 0
  for (const x of v) norm += x * x
  norm = Math.sqrt(norm) || 1
  return Array.from(v, (x) => x / norm)
}

/**
 * A text's embedding with the given dimensions; normalized to unit length, or scaled as the raw models do.
 *
 * @since 0.1.0
 * @category utils
 */
export const embed = (text: string, dimensions: number, normalize: boolean): Array<number> => {
  const unit = normalized(featureVector(text, dimensions))
  return normalize ? unit : unit.map((x) => x * 12)
}

const intField = (body: Json, key: string): number | undefined => {
  const v = body[key]
  if (v === undefined || v === null) return undefined
  return typeof v === "number" && Number.isInteger(v)
    ? v
    : rejectMalformed([`#/${key}: expected type: Integer, found: ${typeof v}`])
}

const binary = (v: ReadonlyArray<number>): Array<number> => v.map((x) => (x > 0 ? 1 : 0))

const int8 = (v: ReadonlyArray<number>): Array<number> =>
  v.map((x) => Math.max(-128, Math.min(127, Math.round(x * 127 * 4))))

const packBits = (v: ReadonlyArray<number>, signed: boolean): Array<number> => {
  const out: Array<number> = []
  for (let i = 0; i < v.length; i += 8) {
    let byte = 0
    for (let j = 0; j < 8; j++) byte = (byte << 1) | ((v[i + j] ?? 0) > 0 ? 1 : 0)
    out.push(signed ? byte - 128 : byte)
  }
  return out
}

const titan = (model: ModelInfo, body: Json): InvokeOutput => {
  const v2 = model.id.includes("v2")
  checkKeys(body, ["inputText"], v2 ? ["dimensions", "normalize", "embeddingTypes"] : [])
  const text = body["inputText"]
  if (!isString(text)) return rejectMalformed(["#/inputText: expected type: String, found: " + typeof text])
  if (text.length === 0) return rejectMalformed(["#/inputText: expected minLength: 1, actual: 0"])
  const tokens = countText(text)
  if (tokens > model.contextWindow) {
    return rejectMalformed([`#/inputText: the input is too long (${tokens} tokens, limit ${model.contextWindow})`])
  }
  const dimensions = intField(body, "dimensions") ?? model.dimensions!.default
  if (!model.dimensions!.allowed.includes(dimensions)) {
    return rejectMalformed([`#/dimensions: ${dimensions} is not a valid enum value`])
  }
  const normalize = body["normalize"] === undefined ? v2 : body["normalize"] === true
  if (body["normalize"] !== undefined && typeof body["normalize"] !== "boolean") {
    return rejectMalformed(["#/normalize: expected type: Boolean, found: " + typeof body["normalize"]])
  }
  const embedding = embed(text, dimensions, normalize)
  if (!v2) return { body: { embedding, inputTextTokenCount: tokens }, chunks: [] }
  const types = body["embeddingTypes"] === undefined ? ["float"] : body["embeddingTypes"]
  if (!isArray(types) || types.length === 0 || types.some((t) => t !== "float" && t !== "binary")) {
    return rejectMalformed(["#/embeddingTypes: expected one or more of [float, binary]"])
  }
  const byType: Json = {}
  if (types.includes("float")) byType["float"] = embedding
  if (types.includes("binary")) byType["binary"] = binary(embedding)
  return {
    body: {
      embedding: types.includes("float") ? embedding : null,
      embeddingsByType: byType,
      inputTextTokenCount: tokens
    },
    chunks: []
  }
}

const INPUT_TYPES = ["search_document", "search_query", "classification", "clustering", "image"]
const COHERE_TYPES = ["float", "int8", "uint8", "binary", "ubinary"]

const cohere = (model: ModelInfo, body: Json): InvokeOutput => {
  const v4 = model.id.includes("v4")
  checkKeys(body, ["input_type"], [
    "texts",
    "images",
    "truncate",
    "embedding_types",
    ...(v4 ? ["inputs", "output_dimension", "max_tokens"] : [])
  ])
  if (!INPUT_TYPES.includes(body["input_type"] as string)) {
    return rejectMalformed([`#/input_type: ${String(body["input_type"])} is not a valid enum value`])
  }
  const rawTexts = body["texts"] ??
    (v4 && isArray(body["inputs"])
      ? body["inputs"].map((
        i
      ) => (isRecord(i) && isArray(i["content"])
        ? i["content"].map((c) => (isRecord(c) && isString(c["text"]) ? c["text"] : "")).join(" ")
        : "")
      )
      : undefined)
  if (!isArray(rawTexts)) {
    if (isArray(body["images"])) {
      return rejectMalformed(["#/images: image embeddings are not supported by the emulator"])
    }
    return rejectMalformed(["#: required key [texts] not found"])
  }
  if (rawTexts.length === 0) return rejectMalformed(["#/texts: expected minimum item count: 1, found: 0"])
  if (rawTexts.length > 96) {
    return rejectMalformed([`#/texts: expected maximum item count: 96, found: ${rawTexts.length}`])
  }
  const texts = rawTexts.map((t, i) =>
    isString(t) ? t : rejectMalformed([`#/texts/${i}: expected type: String, found: ${typeof t}`])
  )
  const truncate = body["truncate"]
  if (
    truncate !== undefined && truncate !== "NONE" && truncate !== "START" && truncate !== "END" &&
    truncate !== "LEFT" && truncate !== "RIGHT"
  ) {
    return rejectMalformed([`#/truncate: ${String(truncate)} is not a valid enum value`])
  }
  for (const text of texts) {
    if (truncate === "NONE" && countText(text) > model.contextWindow) {
      return rejectMalformed([
        `#/texts: a text is too long (more than ${model.contextWindow} tokens) and truncate is NONE`
      ])
    }
  }
  const dimensions = v4 ? intField(body, "output_dimension") ?? model.dimensions!.default : model.dimensions!.default
  if (!model.dimensions!.allowed.includes(dimensions)) {
    return rejectMalformed([`#/output_dimension: ${dimensions} is not a valid enum value`])
  }
  const requested = body["embedding_types"]
  if (requested !== undefined && (!isArray(requested) || requested.some((t) => !COHERE_TYPES.includes(t as string)))) {
    return rejectMalformed([`#/embedding_types: expected one or more of [${COHERE_TYPES.join(", ")}]`])
  }
  const floats = texts.map((t) => embed(t, dimensions, true))
  const id = stableUuid(`${model.id}:${texts.join("\u0000")}`)
  const echoed = v4 ? texts : texts.map((t) => t.toLowerCase())
  if (requested === undefined && !v4) {
    return { body: { embeddings: floats, id, response_type: "embeddings_floats", texts: echoed }, chunks: [] }
  }
  const types = (requested ?? ["float"]) as ReadonlyArray<string>
  const embeddings: Json = {}
  for (const type of types) {
    embeddings[type] = type === "float"
      ? floats
      : type === "int8"
      ? floats.map(int8)
      : type === "uint8"
      ? floats.map((v) => int8(v).map((x) => x + 128))
      : floats.map((v) => packBits(v, type === "binary"))
  }
  return { body: { embeddings, id, response_type: "embeddings_by_type", texts: echoed }, chunks: [] }
}

/** The input token count of an embeddings request that was answered. @internal */
export const embeddingTokens = (body: Json): number => {
  if (isString(body["inputText"])) return countText(body["inputText"])
  return isArray(body["texts"]) ? body["texts"].reduce((n: number, t) => n + (isString(t) ? countText(t) : 0), 0) : 0
}

/** Answers an embeddings InvokeModel request. @internal */
export const embeddings = (model: ModelInfo, input: unknown): InvokeOutput => {
  const body = nativeBody(input)
  const out = model.family === "titan-embed" ? titan(model, body) : cohere(model, body)
  return {
    ...out,
    usage: {
      inputTokens: embeddingTokens(body),
      outputTokens: 0,
      cacheReadInputTokens: 0,
      cacheWriteInputTokens: 0,
      latencyMs: 60 + Math.ceil(embeddingTokens(body) / 20)
    }
  }
}
