/**
 * The model catalog: what each Bedrock model is called, how large its context window and output are, what it can do,
 * and what it costs. Used by request validation (maxTokens), by cost accounting and by memory token budgets.
 *
 * Ids are resolved in every form Bedrock accepts: base model ids, cross-region inference profiles (`us.`, `eu.`,
 * `apac.`, `us-gov.`, `global.`, `jp.`, `au.` ... prefixes), foundation-model ARNs, system inference profile ARNs and
 * percent-encoded forms of all of these. Application inference profile ARNs
 * (`arn:aws:bedrock:<region>:<account>:application-inference-profile/<id>`) and provisioned-model ARNs do not name
 * their base model, so they resolve only when the user registered an entry (or an alias) for that exact ARN.
 *
 * @example
 * ```ts
 * import { ModelCatalog } from "bedrock-llm"
 * import { Option } from "effect"
 *
 * const info = ModelCatalog.resolve("us.anthropic.claude-3-5-haiku-20241022-v1:0") // a cross-region profile id
 * if (Option.isSome(info)) {
 *   const cost = ModelCatalog.costOf(info.value, { inputTokens: 1200, outputTokens: 300 })
 *   console.log(info.value.contextWindow, cost.total)
 * }
 * ```
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as ParseResult from "effect/ParseResult"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import { catalogEntries } from "./internal/catalogData.js"
import { TypeId } from "./internal/errorTypeId.js"

/**
 * The model families the library knows how to speak to natively; `other` for user-registered models.
 *
 * @since 0.1.0
 * @category models
 */
export const Family = Schema.Literal(
  "anthropic",
  "amazon-nova",
  "amazon-titan-text",
  "amazon-titan-embed",
  "meta-llama",
  "mistral",
  "cohere-command",
  "cohere-embed",
  "ai21-jamba",
  "other"
)

/**
 * A model family.
 *
 * @since 0.1.0
 * @category models
 */
export type Family = typeof Family.Type

/**
 * An input modality a model accepts.
 *
 * @since 0.1.0
 * @category models
 */
export const Modality = Schema.Literal("text", "image", "document", "video", "audio")

/**
 * An input modality a model accepts.
 *
 * @since 0.1.0
 * @category models
 */
export type Modality = typeof Modality.Type

/**
 * Embedding limits: the output dimensions offered, texts per call and tokens per text.
 *
 * @since 0.1.0
 * @category models
 */
export const EmbeddingCapabilities = Schema.Struct({
  dimensions: Schema.NonEmptyArray(Schema.Int.pipe(Schema.positive())),
  maxBatch: Schema.Int.pipe(Schema.positive()),
  maxInputTokens: Schema.Int.pipe(Schema.positive()),
  normalize: Schema.optional(Schema.Boolean)
})

/**
 * Embedding limits: the output dimensions offered, texts per call and tokens per text.
 *
 * @since 0.1.0
 * @category models
 */
export type EmbeddingCapabilities = typeof EmbeddingCapabilities.Type

/**
 * What a model can do through the Converse / InvokeModel APIs on Bedrock.
 *
 * @since 0.1.0
 * @category models
 */
export const Capabilities = Schema.Struct({
  tools: Schema.Boolean,
  streamingToolUse: Schema.Boolean,
  vision: Schema.Boolean,
  documents: Schema.Boolean,
  reasoning: Schema.Boolean,
  promptCaching: Schema.Boolean,
  citations: Schema.Boolean,
  embeddings: Schema.optional(EmbeddingCapabilities)
})

/**
 * What a model can do through the Converse / InvokeModel APIs on Bedrock.
 *
 * @since 0.1.0
 * @category models
 */
export type Capabilities = typeof Capabilities.Type

const Usd = Schema.Number.pipe(Schema.nonNegative(), Schema.finite())

/**
 * On-demand prices in USD per million tokens (us-east-1). An absent `cacheRead` / `cacheWrite` price means those
 * tokens are billed at the `input` price. `regionalSurcharge` (a fraction, e.g. `0.1`) is added for every id that is
 * not a `global.` inference profile: Bedrock prices Claude 4.5+ geo and in-Region endpoints 10% above global ones.
 *
 * @since 0.1.0
 * @category models
 */
export const Prices = Schema.Struct({
  input: Usd,
  output: Usd,
  cacheRead: Schema.optional(Usd),
  cacheWrite: Schema.optional(Usd),
  regionalSurcharge: Schema.optional(Schema.Number.pipe(Schema.between(0, 1))),
  /** The fraction off these prices for batch inference (e.g. `0.5`); absent when the model has no batch inference. */
  batchDiscount: Schema.optional(Schema.Number.pipe(Schema.between(0, 1)))
})

/**
 * On-demand prices in USD per million tokens.
 *
 * @since 0.1.0
 * @category models
 */
export type Prices = typeof Prices.Type

/**
 * One catalog entry. `id` is the base model id (or, for user entries, any id or ARN to match exactly).
 *
 * @since 0.1.0
 * @category models
 */
export class ModelInfo extends Schema.Class<ModelInfo>("bedrock-llm/ModelInfo")({
  id: Schema.NonEmptyTrimmedString,
  family: Family,
  displayName: Schema.NonEmptyTrimmedString,
  contextWindow: Schema.Int.pipe(Schema.positive()),
  maxOutputTokens: Schema.NonNegativeInt,
  capabilities: Capabilities,
  inputModalities: Schema.NonEmptyArray(Modality),
  prices: Prices,
  pricesAsOf: Schema.String.pipe(Schema.pattern(/^\d{4}-\d{2}-\d{2}$/)),
  pricesSource: Schema.optional(Schema.String),
  countTokensSupported: Schema.Boolean,
  lifecycle: Schema.optional(Schema.Literal("active", "legacy"))
}) {}

/**
 * A partial update applied by `override`; `capabilities` and `prices` are merged field by field.
 *
 * @since 0.1.0
 * @category models
 */
export interface ModelInfoPatch {
  readonly family?: Family | undefined
  readonly displayName?: string | undefined
  readonly contextWindow?: number | undefined
  readonly maxOutputTokens?: number | undefined
  readonly capabilities?: Partial<Capabilities> | undefined
  readonly inputModalities?: readonly [Modality, ...Array<Modality>] | undefined
  readonly prices?: Partial<Prices> | undefined
  readonly pricesAsOf?: string | undefined
  readonly pricesSource?: string | undefined
  readonly countTokensSupported?: boolean | undefined
  readonly lifecycle?: "active" | "legacy" | undefined
}

/**
 * Token usage as Bedrock reports it. `inputTokens` excludes cache reads and writes, which Bedrock counts separately.
 *
 * @since 0.1.0
 * @category models
 */
export interface Usage {
  readonly inputTokens: number
  readonly outputTokens: number
  readonly cacheReadInputTokens?: number | undefined
  readonly cacheWriteInputTokens?: number | undefined
}

/**
 * The cost of one usage record in USD.
 *
 * @since 0.1.0
 * @category models
 */
export const Cost = Schema.Struct({
  input: Usd,
  output: Usd,
  cacheRead: Usd,
  cacheWrite: Usd,
  total: Usd
})

/**
 * The cost of one usage record in USD.
 *
 * @since 0.1.0
 * @category models
 */
export type Cost = typeof Cost.Type

/**
 * No catalog entry matches the id (after resolving profiles and ARNs).
 *
 * @since 0.1.0
 * @category errors
 */
export class UnknownModel extends Schema.TaggedError<UnknownModel>("bedrock-llm/UnknownModel")("UnknownModel", {
  id: Schema.String,
  hint: Schema.String
}) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId

  override get message(): string {
    return `Unknown model "${this.id}": ${this.hint}`
  }
}

/**
 * How an id was written: a base id, an inference profile, or one of the ARN forms.
 *
 * @since 0.1.0
 * @category models
 */
export type IdKind =
  | "base"
  | "inference-profile"
  | "foundation-model-arn"
  | "inference-profile-arn"
  | "application-inference-profile-arn"
  | "other-arn"

/**
 * A parsed model identifier. `baseId` is the id with profile prefix and ARN stripped (for application and other ARNs,
 * which do not name a model, it is the whole ARN); `profilePrefix` is `us`, `eu`, `global` ... when present.
 *
 * @since 0.1.0
 * @category models
 */
export interface ParsedId {
  readonly input: string
  readonly decoded: string
  readonly kind: IdKind
  readonly baseId: string
  readonly profilePrefix: Option.Option<string>
  readonly region: Option.Option<string>
}

const providerSegments = new Set([
  "ai21",
  "amazon",
  "anthropic",
  "cohere",
  "deepseek",
  "luma",
  "meta",
  "mistral",
  "openai",
  "qwen",
  "stability",
  "twelvelabs",
  "writer"
])

const profilePrefixPattern = /^([a-z]{2,6}(?:-[a-z]{2,6})?)\.(.+)$/

const decodeId = (id: string): string => {
  const trimmed = id.trim()
  if (!trimmed.includes("%")) return trimmed
  try {
    return decodeURIComponent(trimmed)
  } catch {
    return trimmed
  }
}

const splitProfile = (id: string): { readonly prefix: Option.Option<string>; readonly rest: string } => {
  const match = profilePrefixPattern.exec(id)
  if (match === null || providerSegments.has(match[1]!) || !match[2]!.includes(".")) {
    return { prefix: Option.none(), rest: id }
  }
  return { prefix: Option.some(match[1]!), rest: match[2]! }
}

/**
 * Parses any id form Bedrock accepts (percent-encoded or not) into its parts.
 *
 * @since 0.1.0
 * @category utils
 */
export const parseId = (input: string): ParsedId => {
  const decoded = decodeId(input)
  if (decoded.startsWith("arn:")) {
    const parts = decoded.split(":")
    const region = parts[3] !== undefined && parts[3] !== "" ? Option.some(parts[3]) : Option.none<string>()
    const resource = parts.slice(5).join(":")
    const slash = resource.indexOf("/")
    const resourceType = slash === -1 ? resource : resource.slice(0, slash)
    const resourceId = slash === -1 ? "" : resource.slice(slash + 1)
    if (resourceType === "foundation-model" && resourceId !== "") {
      return { input, decoded, kind: "foundation-model-arn", baseId: resourceId, profilePrefix: Option.none(), region }
    }
    if (resourceType === "inference-profile" && resourceId !== "") {
      const { prefix, rest } = splitProfile(resourceId)
      return { input, decoded, kind: "inference-profile-arn", baseId: rest, profilePrefix: prefix, region }
    }
    const kind = resourceType === "application-inference-profile" ? "application-inference-profile-arn" : "other-arn"
    return { input, decoded, kind, baseId: decoded, profilePrefix: Option.none(), region }
  }
  const { prefix, rest } = splitProfile(decoded)
  return {
    input,
    decoded,
    kind: Option.isSome(prefix) ? "inference-profile" : "base",
    baseId: rest,
    profilePrefix: prefix,
    region: Option.none()
  }
}

/**
 * True when the id is a `global.` cross-region inference profile (or its ARN).
 *
 * @since 0.1.0
 * @category utils
 */
export const isGlobalProfile = (id: string): boolean => {
  const parsed = parseId(id)
  return Option.getOrUndefined(parsed.profilePrefix) === "global"
}

interface CatalogState {
  readonly entries: ReadonlyMap<string, ModelInfo>
  readonly aliases: ReadonlyMap<string, string>
  /**
   * The lookups made against this state, by id as given. Every change makes a new state, so an answer never goes
   * stale; at most `foundLimit` are kept. (A call looks its model up; parsing the id each time was a visible share.)
   */
  readonly found: Map<string, Option.Option<ModelInfo>>
}

const foundLimit = 256

const stateWith = (entries: ReadonlyMap<string, ModelInfo>, aliases: ReadonlyMap<string, string>): CatalogState => ({
  entries,
  aliases,
  found: new Map()
})

const contextSuffix = /:\d+k$/

const lookupIn = (state: CatalogState, input: string): Option.Option<ModelInfo> => {
  const known = state.found.get(input)
  if (known !== undefined) return known
  const found = lookupParsed(state, input)
  if (state.found.size >= foundLimit) state.found.clear()
  state.found.set(input, found)
  return found
}

const lookupParsed = (state: CatalogState, input: string): Option.Option<ModelInfo> => {
  const parsed = parseId(input)
  const candidates = [parsed.decoded, parsed.baseId, parsed.baseId.replace(contextSuffix, "")]
  for (const candidate of candidates) {
    const direct = state.entries.get(candidate)
    if (direct !== undefined) return Option.some(direct)
    const target = state.aliases.get(candidate)
    if (target !== undefined && target !== candidate) {
      const aliased = state.entries.get(target)
      if (aliased !== undefined) return Option.some(aliased)
    }
  }
  return Option.none()
}

const hintFor = (state: CatalogState, input: string): string => {
  const parsed = parseId(input)
  if (parsed.kind === "application-inference-profile-arn" || parsed.kind === "other-arn") {
    return "this ARN does not name its base model; register an entry with this ARN as its id, " +
      "or alias it to a base model id (ModelCatalog.alias)"
  }
  const provider = parsed.baseId.split(".")[0] ?? ""
  const similar = Array.from(state.entries.keys()).filter((key) => key.startsWith(`${provider}.`)).slice(0, 3)
  const suggestion = similar.length > 0 ? `; known ${provider} ids include ${similar.join(", ")}` : ""
  return `no catalog entry for base id "${parsed.baseId}"; add one with ModelCatalog.register${suggestion}`
}

const perMillion = (tokens: number, price: number): number => (tokens * price) / 1_000_000

/**
 * Computes the USD cost of a usage record for an entry. Pass the id the request used so that `global.` profiles skip
 * the regional surcharge; it defaults to the entry's base id (in-Region pricing).
 *
 * @since 0.1.0
 * @category utils
 */
export const costOf = (info: ModelInfo, usage: Usage, requestedId: string = info.id): Cost => {
  const { prices } = info
  const factor = prices.regionalSurcharge !== undefined && !isGlobalProfile(requestedId)
    ? 1 + prices.regionalSurcharge
    : 1
  const input = perMillion(usage.inputTokens, prices.input) * factor
  const output = perMillion(usage.outputTokens, prices.output) * factor
  const cacheRead = perMillion(usage.cacheReadInputTokens ?? 0, prices.cacheRead ?? prices.input) * factor
  const cacheWrite = perMillion(usage.cacheWriteInputTokens ?? 0, prices.cacheWrite ?? prices.input) * factor
  return { input, output, cacheRead, cacheWrite, total: input + output + cacheRead + cacheWrite }
}

/**
 * Checks a requested maxTokens against the model's output limit; the Left names the limit that was broken.
 *
 * @since 0.1.0
 * @category utils
 */
export const checkMaxTokens = (info: ModelInfo, maxTokens: number): Either.Either<void, string> => {
  if (info.capabilities.embeddings !== undefined || info.maxOutputTokens === 0) {
    return Either.left(`${info.id} is an embeddings model and generates no output tokens`)
  }
  if (!Number.isInteger(maxTokens) || maxTokens < 1) {
    return Either.left(`maxTokens must be a positive integer, got ${maxTokens}`)
  }
  if (maxTokens > info.maxOutputTokens) {
    return Either.left(
      `maxTokens ${maxTokens} exceeds the max output tokens limit of ${info.maxOutputTokens} for ${info.id}`
    )
  }
  if (maxTokens > info.contextWindow) {
    return Either.left(`maxTokens ${maxTokens} exceeds the context window of ${info.contextWindow} for ${info.id}`)
  }
  return Either.right(undefined)
}

const whitespace = /\s+/u

/**
 * Local token estimate for models without CountTokens: `ceil(max(asciiChars / 4 + nonAsciiCodePoints, words * 4 / 3))`
 * where words are whitespace-separated runs. For English prose it is typically within ±25% of the Claude, Llama and
 * Nova tokenizers and errs high on short texts; it undercounts dense code, long digit strings and base64 (often by
 * 30-50%), and counts one token per non-ASCII code point, which is close for CJK but overcounts accented Latin text.
 * Use it for budgets with a safety margin, never for billing.
 *
 * @since 0.1.0
 * @category utils
 */
export const estimateTokens = (text: string): number => {
  let ascii = 0
  let nonAscii = 0
  for (const char of text) {
    if (char.codePointAt(0)! < 128) ascii++
    else nonAscii++
  }
  const words = text.split(whitespace).filter((word) => word.length > 0).length
  return Math.ceil(Math.max(ascii / 4 + nonAscii, (words * 4) / 3))
}

const decodeEntry = Schema.decodeUnknownSync(ModelInfo)

/**
 * The built-in entries (see `src/internal/catalogData.ts` for sources and the dates prices were read).
 *
 * @since 0.1.0
 * @category constructors
 */
export const defaults: ReadonlyArray<ModelInfo> = catalogEntries.map((entry) => decodeEntry(entry))

const stateOf = (entries: Iterable<ModelInfo>): CatalogState => {
  const map = new Map<string, ModelInfo>()
  for (const entry of entries) map.set(entry.id, entry)
  return stateWith(map, new Map())
}

const defaultState = stateOf(defaults)

/**
 * Resolves any id form against the built-in entries (for user entries use the `ModelCatalog` service).
 *
 * @since 0.1.0
 * @category utils
 */
export const resolve = (id: string): Option.Option<ModelInfo> => lookupIn(defaultState, id)

/**
 * Edit distance from `typed` to `id`, or to the start of `id` plus one when that is closer: an id typed without its
 * date or version suffix (`anthropic.claude-3-haiku`) is near the full one.
 */
const idDistance = (typed: string, id: string): number => {
  let previous = Array.from({ length: id.length + 1 }, (_, j) => j)
  for (let i = 1; i <= typed.length; i++) {
    const current = [i]
    for (let j = 1; j <= id.length; j++) {
      const substitution = previous[j - 1]! + (typed[i - 1] === id[j - 1] ? 0 : 1)
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution))
    }
    previous = current
  }
  return Math.min(previous[id.length]!, Math.min(...previous) + 1)
}

/**
 * The catalog ids nearest to an id the catalog does not know (a typo, a missing date or version suffix), best first:
 * at most `limit` (default 3) and none when nothing is close. The id's profile prefix (`us.`, `global.` ...) is kept
 * on the suggestions; application inference profile ARNs, which do not name a model, get none. `ids` defaults to the
 * built-in entries.
 *
 * @since 0.1.0
 * @category utils
 */
export const suggest = (
  id: string,
  options?: { readonly limit?: number | undefined; readonly ids?: Iterable<string> | undefined }
): ReadonlyArray<string> => {
  const parsed = parseId(id)
  if (parsed.kind === "application-inference-profile-arn" || parsed.kind === "other-arn") return []
  const typed = parsed.baseId.toLowerCase()
  if (typed === "") return []
  const prefix = Option.match(parsed.profilePrefix, { onNone: () => "", onSome: (profile) => `${profile}.` })
  const farthest = Math.max(2, Math.ceil(typed.length / 5))
  const near: Array<{ readonly id: string; readonly distance: number }> = []
  for (const candidate of options?.ids ?? defaultState.entries.keys()) {
    const distance = idDistance(typed, candidate.toLowerCase())
    if (distance <= farthest && candidate.toLowerCase() !== typed) near.push({ id: candidate, distance })
  }
  near.sort((a, b) => a.distance - b.distance)
  const best = near[0]?.distance ?? 0
  return near.filter((entry) => entry.distance <= best + 2).slice(0, options?.limit ?? 3).map((entry) =>
    `${prefix}${entry.id}`
  )
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace ModelCatalog {
  /**
   * The catalog service: lookups, user entries and cost accounting.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    readonly get: (id: string) => Effect.Effect<ModelInfo, UnknownModel>
    readonly find: (id: string) => Effect.Effect<Option.Option<ModelInfo>>
    readonly register: (info: ModelInfo) => Effect.Effect<void>
    readonly override: (
      id: string,
      patch: ModelInfoPatch
    ) => Effect.Effect<ModelInfo, UnknownModel | ParseResult.ParseError>
    readonly alias: (alias: string, targetId: string) => Effect.Effect<void, UnknownModel>
    readonly all: Effect.Effect<ReadonlyArray<ModelInfo>>
    readonly cost: (id: string, usage: Usage) => Effect.Effect<Cost, UnknownModel>
  }
}

/**
 * The model catalog service.
 *
 * @since 0.1.0
 * @category services
 */
export class ModelCatalog extends Context.Tag("bedrock-llm/ModelCatalog")<ModelCatalog, ModelCatalog.Service>() {}

const decodePatched = Schema.decodeUnknown(ModelInfo)

/**
 * Builds a catalog over the built-in entries plus `entries` (an entry with an existing id replaces it).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (entries: Iterable<ModelInfo> = []): Effect.Effect<ModelCatalog.Service> =>
  Effect.gen(function*() {
    const state = yield* Ref.make(stateOf([...defaults, ...entries]))

    const find = (id: string) => Effect.map(Ref.get(state), (current) => lookupIn(current, id))

    const get = (id: string) =>
      Effect.flatMap(Ref.get(state), (current) =>
        Option.match(lookupIn(current, id), {
          onNone: () => Effect.fail(new UnknownModel({ id, hint: hintFor(current, id) })),
          onSome: Effect.succeed
        }))

    const register = (info: ModelInfo) =>
      Ref.update(state, (current) => stateWith(new Map(current.entries).set(info.id, info), current.aliases))

    const override = (id: string, patch: ModelInfoPatch) =>
      Effect.gen(function*() {
        const existing = yield* get(id)
        const { capabilities, prices, ...rest } = patch
        const defined = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined))
        const updated = yield* decodePatched({
          ...Schema.encodeSync(ModelInfo)(existing),
          ...defined,
          capabilities: { ...existing.capabilities, ...capabilities },
          prices: { ...existing.prices, ...prices }
        })
        yield* register(updated)
        return updated
      })

    const alias = (from: string, targetId: string) =>
      Effect.flatMap(get(targetId), (target) =>
        Ref.update(state, (current) =>
          stateWith(current.entries, new Map(current.aliases).set(decodeId(from), target.id))))

    const all = Effect.map(Ref.get(state), (current) =>
      Array.from(current.entries.values()))

    const cost = (id: string, usage: Usage) =>
      Effect.map(get(id), (info) => costOf(info, usage, id))

    return ModelCatalog.of({ get, find, register, override, alias, all, cost })
  })

/**
 * The catalog with the built-in entries.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<ModelCatalog> = Layer.effect(ModelCatalog, make())

/**
 * The catalog with the built-in entries plus extra or replacing entries.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWith = (entries: Iterable<ModelInfo>): Layer.Layer<ModelCatalog> =>
  Layer.effect(ModelCatalog, make(entries))
