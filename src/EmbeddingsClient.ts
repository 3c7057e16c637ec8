/**
 * The embeddings client: `embed` and `embedMany` for Amazon Titan Text Embeddings
 * v1/v2 and Cohere Embed v3/v4 over InvokeModel.
 *
 * `embed` calls go through an Effect `RequestResolver`: texts of calls composed with batching are deduplicated, split
 * into calls of at most the model's per-call limit (Titan: 1, Cohere: 96) and sent with bounded concurrency.
 * `embedMany`, whose texts are all known at once, does the same without the resolver: no request or fiber per text, so
 * a long list costs little beyond its calls. Every call is retried with the resilience policy
 * (`Resilience.retrySchedule`, so throttling backs off), bounded by the client's request timeout and by a
 * `CircuitBreaker` when one is in context. Results are kept in a cache with a capacity and a time to live (over
 * `Clock`, so `TestClock` drives it), keyed by model, options and text. Bad input (an empty text, dimensions the model
 * does not offer, an unsupported model) fails with a typed error before any request.
 *
 * @since 0.1.0
 */
import type * as Arr from "effect/Array"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Request from "effect/Request"
import * as RequestResolver from "effect/RequestResolver"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import { RetryConfig } from "./BedrockConfig.js"
import type * as BedrockError from "./BedrockError.js"
import { MalformedResponseError } from "./BedrockError.js"
import { BedrockRuntime } from "./BedrockRuntime.js"
import * as CircuitBreaker from "./CircuitBreaker.js"
import { EmbeddingCache } from "./internal/client/embeddingCache.js"
import { logRetries } from "./internal/client/retryLog.js"
import { plural } from "./internal/plural.js"
import * as Attributes from "./internal/telemetry/attributes.js"
import { Attr } from "./internal/telemetry/conventions.js"
import * as Metrics from "./internal/telemetry/metrics.js"
import * as Progress from "./internal/telemetry/progress.js"
import * as Span from "./internal/telemetry/span.js"
import { withSpan } from "./internal/tracing.js"
import * as ModelCatalog from "./ModelCatalog.js"
import * as Resilience from "./Resilience.js"
import * as Similarity from "./Similarity.js"

/**
 * The embeddings client.
 *
 * @since 0.1.0
 * @category services
 */
export class EmbeddingsClient
  extends Context.Tag("bedrock-llm/EmbeddingsClient")<EmbeddingsClient, EmbeddingsClient.Service>()
{}

/**
 * Cohere's `input_type`: what the texts are for. Titan models take no input type and ignore it.
 *
 * @since 0.1.0
 * @category models
 */
export const InputType = Schema.Literal("search_document", "search_query", "classification", "clustering")

/**
 * @since 0.1.0
 * @category models
 */
export type InputType = typeof InputType.Type

/**
 * Cohere's `truncate`: what the service does with a text longer than the model's input limit (`NONE` fails).
 *
 * @since 0.1.0
 * @category models
 */
export const Truncate = Schema.Literal("NONE", "START", "END")

/**
 * @since 0.1.0
 * @category models
 */
export type Truncate = typeof Truncate.Type

/**
 * The request body dialect of an embedding model: Titan v1 (text only), Titan v2 (`dimensions`, `normalize`), Cohere
 * v3 (`texts`, `input_type`) and Cohere v4 (plus `output_dimension`).
 *
 * @since 0.1.0
 * @category models
 */
export type Dialect = "titan-v1" | "titan-v2" | "cohere-v3" | "cohere-v4"

/**
 * Why an input was refused before any request.
 *
 * @since 0.1.0
 * @category models
 */
export const InputProblem = Schema.Literal("EmptyText", "NotText", "Dimensions", "InputType", "Truncate")

/**
 * A text or an option the model cannot take, found before any request: `index` is the text's position in
 * `embedMany`. Not retryable.
 *
 * @since 0.1.0
 * @category errors
 */
export class EmbeddingInputError extends Schema.TaggedError<EmbeddingInputError>("bedrock-llm/EmbeddingInputError")(
  "EmbeddingInputError",
  {
    message: Schema.String,
    problem: InputProblem,
    index: Schema.optional(Schema.Number)
  }
) {
  /** @since 0.1.0 */
  get retryable(): boolean {
    return false
  }
}

/**
 * The model is not an embedding model the client can speak to (not in the catalog, or not a Titan or Cohere text
 * embedding model). Not retryable.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnsupportedModelError
  extends Schema.TaggedError<UnsupportedModelError>("bedrock-llm/UnsupportedModelError")("UnsupportedModelError", {
    message: Schema.String,
    modelId: Schema.String
  })
{
  /** @since 0.1.0 */
  get retryable(): boolean {
    return false
  }
}

/**
 * Any failure of an embeddings call.
 *
 * @since 0.1.0
 * @category errors
 */
export type EmbeddingsError = BedrockError.BedrockError | MalformedResponseError | EmbeddingInputError

/**
 * @since 0.1.0
 */
export declare namespace EmbeddingsClient {
  /**
   * One embedding.
   *
   * @since 0.1.0
   * @category models
   */
  export type Embedding = ReadonlyArray<number>

  /**
   * Per-call options (merged over the client's defaults). `dimensions` must be one the model offers (Titan v2:
   * 256/512/1024; Cohere v4: 256/512/1024/1536; the others one fixed size); `normalize` asks for unit-length
   * vectors (sent to Titan v2, applied locally for the others); `inputType` (default `search_document`) and
   * `truncate` are Cohere's.
   *
   * @since 0.1.0
   * @category models
   */
  export interface EmbedOptions {
    readonly dimensions?: number | undefined
    readonly normalize?: boolean | undefined
    readonly inputType?: InputType | undefined
    readonly truncate?: Truncate | undefined
  }

  /**
   * Options of `embedMany`: the settings of `embed`, and a progress callback.
   *
   * @since 0.1.0
   * @category models
   */
  export interface EmbedManyOptions extends EmbedOptions {
    /**
     * Called as the work advances: texts done of the total (cached ones at once, the others a model call at a time),
     * failures and input tokens so far (draw it with `Telemetry.terminalBar`).
     */
    readonly onProgress?: ((progress: Progress.Progress) => Effect.Effect<void>) | undefined
  }

  /**
   * The model the client speaks to and its limits (from the model catalog).
   *
   * @since 0.1.0
   * @category models
   */
  export interface Model {
    readonly modelId: string
    readonly dialect: Dialect
    readonly dimensions: Arr.NonEmptyReadonlyArray<number>
    readonly defaultDimensions: number
    /** Texts per InvokeModel call. */
    readonly maxBatch: number
    readonly maxInputTokens: number
  }

  /**
   * Cache settings: at most `capacity` embeddings (least recently used leave first), each kept for `timeToLive`.
   *
   * @since 0.1.0
   * @category models
   */
  export interface CacheOptions {
    readonly capacity: number
    readonly timeToLive: Duration.DurationInput
  }

  /**
   * Counters since the client was built. `requests` counts HTTP attempts (retries included); `textsSent` the texts
   * they carried; `deduplicated` the repeated texts that were not sent again; `inputTokens` what Titan reported.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Stats {
    readonly requests: number
    readonly retries: number
    readonly textsSent: number
    readonly deduplicated: number
    readonly cacheHits: number
    readonly cacheMisses: number
    readonly inputTokens: number
  }

  /**
   * Options of `make` and `layer`. Defaults: `retry` `RetryConfig`'s defaults, `cache` 1,000 embeddings for one hour
   * (`false` for none), `concurrency` 4 calls in flight.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Options {
    /** Model id, inference profile id or ARN of a catalogued Titan or Cohere embedding model. */
    readonly model: string
    readonly defaults?: EmbedOptions | undefined
    readonly retry?: Resilience.RetryConfigInput | undefined
    readonly cache?: CacheOptions | false | undefined
    readonly concurrency?: number | undefined
  }

  /**
   * The service.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    readonly model: Model
    /** The embedding of one text. */
    readonly embed: (text: string, options?: EmbedOptions) => Effect.Effect<Embedding, EmbeddingsError>
    /** The embeddings of many texts, in input order. */
    readonly embedMany: (
      texts: Iterable<string>,
      options?: EmbedManyOptions
    ) => Effect.Effect<Array<Embedding>, EmbeddingsError>
    readonly stats: Effect.Effect<Stats>
    /** Empties the cache. */
    readonly clearCache: Effect.Effect<void>
  }
}

const modelOf = (
  modelId: string,
  info: Option.Option<ModelCatalog.ModelInfo>
): Either.Either<EmbeddingsClient.Model, UnsupportedModelError> => {
  const unsupported = (why: string) =>
    Either.left(new UnsupportedModelError({ message: `${modelId} cannot be used for embeddings: ${why}`, modelId }))
  if (Option.isNone(info)) return unsupported("it is not in the model catalog (register it with ModelCatalog)")
  const { capabilities, family } = info.value
  const embeddings = capabilities.embeddings
  if (embeddings === undefined) return unsupported("it is not an embedding model")
  const flexible = embeddings.dimensions.length > 1
  const dialect: Dialect | undefined = family === "amazon-titan-embed"
    ? flexible || embeddings.normalize === true ? "titan-v2" : "titan-v1"
    : family === "cohere-embed"
    ? flexible ? "cohere-v4" : "cohere-v3"
    : undefined
  if (dialect === undefined) return unsupported(`the ${family} family has no embeddings body the client knows`)
  return Either.right({
    modelId,
    dialect,
    dimensions: embeddings.dimensions,
    defaultDimensions: Math.max(...embeddings.dimensions),
    maxBatch: dialect === "titan-v1" || dialect === "titan-v2" ? 1 : embeddings.maxBatch,
    maxInputTokens: embeddings.maxInputTokens
  })
}

/**
 * The model and limits of an embedding model id in the built-in catalog (use `make` with a `ModelCatalog` service for
 * user-registered models).
 *
 * @since 0.1.0
 * @category utils
 */
export const resolveModel = (modelId: string): Either.Either<EmbeddingsClient.Model, UnsupportedModelError> =>
  modelOf(modelId, ModelCatalog.resolve(modelId))

interface Settings {
  readonly dimensions: number | undefined
  readonly normalize: boolean | undefined
  readonly inputType: InputType
  readonly truncate: Truncate | undefined
}

const inputError = (problem: EmbeddingInputError["problem"], message: string, index?: number) =>
  new EmbeddingInputError({ problem, message, ...(index === undefined ? {} : { index }) })

const settingsOf = (
  model: EmbeddingsClient.Model,
  options: EmbeddingsClient.EmbedOptions
): Either.Either<Settings, EmbeddingInputError> => {
  const { dimensions, inputType = "search_document", truncate } = options
  if (dimensions !== undefined && !model.dimensions.includes(dimensions)) {
    return Either.left(inputError(
      "Dimensions",
      `${model.modelId} offers ${model.dimensions.join(", ")} dimensions, not ${dimensions}`
    ))
  }
  if (!InputType.literals.includes(inputType)) {
    return Either.left(inputError("InputType", `input type must be one of ${InputType.literals.join(", ")}`))
  }
  if (truncate !== undefined && !Truncate.literals.includes(truncate)) {
    return Either.left(inputError("Truncate", `truncate must be one of ${Truncate.literals.join(", ")}`))
  }
  return Either.right({ dimensions, normalize: options.normalize, inputType, truncate })
}

const checkText = (text: unknown, index?: number): Either.Either<string, EmbeddingInputError> =>
  typeof text !== "string"
    ? Either.left(inputError("NotText", `expected a string, got ${typeof text}`, index))
    : text.trim().length === 0
    ? Either.left(inputError("EmptyText", "cannot embed an empty or blank text", index))
    : Either.right(text)

/**
 * The InvokeModel body of an embeddings call (`texts` has one element for Titan models).
 *
 * @since 0.1.0
 * @category utils
 */
export const encodeRequest = (
  dialect: Dialect,
  texts: ReadonlyArray<string>,
  options: EmbeddingsClient.EmbedOptions = {}
): Record<string, unknown> => {
  switch (dialect) {
    case "titan-v1":
      return { inputText: texts[0] }
    case "titan-v2":
      return {
        inputText: texts[0],
        ...(options.dimensions === undefined ? {} : { dimensions: options.dimensions }),
        ...(options.normalize === undefined ? {} : { normalize: options.normalize })
      }
    case "cohere-v3":
    case "cohere-v4":
      return {
        texts,
        input_type: options.inputType ?? "search_document",
        ...(options.truncate === undefined ? {} : { truncate: options.truncate }),
        ...(dialect === "cohere-v4" && options.dimensions !== undefined ? { output_dimension: options.dimensions } : {})
      }
  }
}

const Floats = Schema.Array(Schema.Number)

const TitanResponse = Schema.Struct({
  embedding: Schema.optional(Schema.NullOr(Floats)),
  embeddingsByType: Schema.optional(Schema.Struct({ float: Schema.optional(Floats) })),
  inputTextTokenCount: Schema.optional(Schema.Number)
})

const CohereResponse = Schema.Struct({
  embeddings: Schema.Union(Schema.Array(Floats), Schema.Struct({ float: Schema.optional(Schema.Array(Floats)) })),
  id: Schema.optional(Schema.String),
  response_type: Schema.optional(Schema.String)
})

/**
 * The float vectors of a decoded embeddings response and the input tokens it reports (Titan only).
 *
 * @since 0.1.0
 * @category models
 */
export interface DecodedResponse {
  readonly vectors: ReadonlyArray<ReadonlyArray<number>>
  readonly inputTokens: number | undefined
}

const decodeTitan = ParseResult.decodeUnknownEither(TitanResponse)
const decodeCohere = ParseResult.decodeUnknownEither(CohereResponse)

const describe = (issue: ParseResult.ParseIssue): string => ParseResult.TreeFormatter.formatIssueSync(issue)

/**
 * Decodes the JSON of an embeddings response of any dialect (Titan `embedding` or `embeddingsByType.float`; Cohere
 * `embeddings` as a list or by type); the Left says what was wrong.
 *
 * @since 0.1.0
 * @category utils
 */
export const decodeResponse = (dialect: Dialect, json: unknown): Either.Either<DecodedResponse, string> => {
  if (dialect === "titan-v1" || dialect === "titan-v2") {
    return Either.match(decodeTitan(json), {
      onLeft: (error) => Either.left(describe(error)),
      onRight: (body) => {
        const vector = body.embedding ?? body.embeddingsByType?.float
        return vector === undefined
          ? Either.left("the response has no float embedding")
          : Either.right({ vectors: [vector], inputTokens: body.inputTextTokenCount })
      }
    })
  }
  return Either.match(decodeCohere(json), {
    onLeft: (error) => Either.left(describe(error)),
    onRight: (body) => {
      const vectors = Array.isArray(body.embeddings)
        ? body.embeddings as ReadonlyArray<ReadonlyArray<number>>
        : (body.embeddings as { readonly float?: ReadonlyArray<ReadonlyArray<number>> }).float
      return vectors === undefined
        ? Either.left("the response has no float embeddings")
        : Either.right({ vectors, inputTokens: undefined })
    }
  })
}

class EmbedText extends Request.TaggedClass("EmbedText")<
  EmbeddingsClient.Embedding,
  EmbeddingsError,
  { readonly text: string; readonly settings: Settings; readonly settingsKey: string }
> {}

const emptyStats: EmbeddingsClient.Stats = {
  requests: 0,
  retries: 0,
  textsSent: 0,
  deduplicated: 0,
  cacheHits: 0,
  cacheMisses: 0,
  inputTokens: 0
}

const chunksOf = <A>(items: ReadonlyArray<A>, size: number): Array<ReadonlyArray<A>> => {
  const chunks: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size))
  return chunks
}

/** Items grouped by a key, in the order of their first item. */
const groupBy = <A>(items: Iterable<A>, key: (item: A) => string): Map<string, Array<A>> => {
  const groups = new Map<string, Array<A>>()
  for (const item of items) {
    const k = key(item)
    const group = groups.get(k)
    if (group === undefined) groups.set(k, [item])
    else group.push(item)
  }
  return groups
}

const textDecoder = new TextDecoder()

/** The cache key of a text under settings. */
const cacheKey = (settingsKey: string, text: string) => `${settingsKey}\u0000${text}`

/** What a client's calls share: its model, runtime, breaker, retry policy, concurrency, counters and cache. */
interface Client {
  readonly model: EmbeddingsClient.Model
  readonly runtime: BedrockRuntime.Service
  readonly breaker: Option.Option<CircuitBreaker.CircuitBreaker.Service>
  readonly semaphore: Effect.Semaphore
  readonly concurrency: number
  readonly retryPolicy: Schedule.Schedule<unknown, unknown>
  readonly count: (update: Partial<EmbeddingsClient.Stats>) => Effect.Effect<void>
  readonly cache: EmbeddingCache<EmbeddingsClient.Embedding>
  /** Where the calls go, for the spans. */
  readonly server: Attributes.Server | undefined
}

/** What one model call gave: the vectors, and the input tokens the model counted (when it reports them). */
interface CallResult {
  readonly inputTokens: number | undefined
  readonly vectors: ReadonlyArray<EmbeddingsClient.Embedding>
}

/** The embeddings of one model call's JSON body, checked against the texts sent and the dimensions expected. */
const decodeCall = (
  client: Client,
  output: { readonly body: Uint8Array; readonly $metadata: { readonly requestId?: string | undefined } },
  texts: ReadonlyArray<string>,
  settings: Settings
): Effect.Effect<CallResult, MalformedResponseError> => {
  const { model } = client
  const expected = settings.dimensions ?? model.defaultDimensions
  const malformed = (why: string) =>
    new MalformedResponseError({
      message: `${model.modelId} embeddings response: ${why}`,
      ...(output.$metadata.requestId === undefined ? {} : { requestId: output.$metadata.requestId })
    })
  return Effect.try({
    try: () => JSON.parse(textDecoder.decode(output.body)) as unknown,
    catch: () => malformed("the body is not JSON")
  }).pipe(
    Effect.flatMap((json) => Either.mapLeft(decodeResponse(model.dialect, json), malformed)),
    Effect.filterOrFail(
      (decoded) => decoded.vectors.length === texts.length,
      (decoded) => malformed(`${plural(decoded.vectors.length, "embedding")} for ${plural(texts.length, "text")}`)
    ),
    Effect.filterOrFail(
      (decoded) => decoded.vectors.every((vector) => vector.length === expected),
      () => malformed(`an embedding does not have ${expected} dimensions`)
    ),
    Effect.tap((decoded) => client.count({ inputTokens: decoded.inputTokens ?? 0 })),
    Effect.map((decoded) => ({
      inputTokens: decoded.inputTokens,
      vectors: settings.normalize === true && model.dialect !== "titan-v2"
        ? decoded.vectors.map(Similarity.normalize)
        : decoded.vectors
    }))
  )
}

/** What `callModel` records of a finished call: its metrics, and on its span the tokens counted or the failure. */
const observeCall = (
  modelId: string,
  startedAt: number,
  exit: Exit.Exit<CallResult, EmbeddingsError>
): Effect.Effect<void> =>
  Effect.clockWith((clock) => {
    const durationMillis = clock.unsafeCurrentTimeMillis() - startedAt
    if (Exit.isFailure(exit)) {
      const error = Cause.squash(exit.cause)
      return Effect.zipRight(
        Span.annotateSpan(() => Attributes.errorAttributes(error)),
        Metrics.recordCall("embeddings", modelId, { durationMillis, error })
      )
    }
    const inputTokens = exit.value.inputTokens
    return inputTokens === undefined
      ? Metrics.recordCall("embeddings", modelId, { durationMillis })
      : Effect.zipRight(
        Span.annotateSpan(() => ({ [Attr.usageInputTokens]: inputTokens })),
        Metrics.recordCall("embeddings", modelId, { durationMillis, usage: { inputTokens } })
      )
  })

/**
 * One model call for some texts: a permit of the client's concurrency, the breaker, the retry policy; in an
 * `embeddings {model}` span, with the GenAI metrics of the call.
 */
const callModel = (
  client: Client,
  texts: ReadonlyArray<string>,
  settings: Settings
): Effect.Effect<CallResult, EmbeddingsError> => {
  const { model } = client
  const body = JSON.stringify(encodeRequest(model.dialect, texts, settings))
  // The runtime bounds the request by `ClientConfig.requestTimeout`.
  const send = client.runtime.invokeModel({
    modelId: model.modelId,
    body,
    contentType: "application/json",
    accept: "application/json"
  })
  const attempt = client.semaphore.withPermits(1)(
    Effect.zipRight(
      client.count({ requests: 1, textsSent: texts.length }),
      Option.match(client.breaker, { onNone: () => send, onSome: (breaker) => breaker.protect(send) })
    )
  )
  const call = Resilience.retryOnFailure(attempt, client.retryPolicy).pipe(
    Effect.flatMap((output) => decodeCall(client, output, texts, settings))
  )
  return Effect.clockWith((clock) => {
    const startedAt = clock.unsafeCurrentTimeMillis()
    return Effect.zipRight(
      Span.annotateSpan(() => ({
        ...Attributes.requestAttributes("embeddings", model, { server: client.server }),
        ...Attributes.embeddingsAttributes({
          texts: texts.length,
          dimensions: settings.dimensions ?? model.defaultDimensions
        })
      })),
      Effect.onExit(call, (exit) => observeCall(model.modelId, startedAt, exit))
    )
  }).pipe(withSpan(Attributes.spanName("embeddings", model.modelId), embeddingsSpanOptions))
}

/** The span options of an embeddings call: kind `client`. */
const embeddingsSpanOptions = Span.clientSpan()

/**
 * The resolver of `embed`: the requests of one batch grouped by settings, each text once, in calls of the model's
 * per-call limit.
 */
const makeResolver = (client: Client) => {
  const runGroup = (requests: ReadonlyArray<EmbedText>): Effect.Effect<void> => {
    const byText = groupBy(requests, (request) => request.text)
    const settings = requests[0]!.settings
    const complete =
      (texts: ReadonlyArray<string>) => (exit: Exit.Exit<ReadonlyArray<EmbeddingsClient.Embedding>, EmbeddingsError>) =>
        Effect.forEach(texts, (text, i) =>
          Effect.forEach(
            byText.get(text)!,
            (request) => Request.completeEffect(request, Exit.map(exit, (vectors) => vectors[i]!)),
            { discard: true }
          ), { discard: true })
    return Effect.zipRight(
      client.count({ deduplicated: requests.length - byText.size }),
      Effect.forEach(
        chunksOf(Array.from(byText.keys()), client.model.maxBatch),
        (texts) =>
          Effect.flatMap(
            Effect.exit(Effect.map(callModel(client, texts, settings), (result) => result.vectors)),
            complete(texts)
          ),
        { concurrency: client.concurrency, discard: true }
      )
    )
  }
  return RequestResolver.makeBatched((requests: Arr.NonEmptyArray<EmbedText>) =>
    Effect.forEach(groupBy(requests, (request) => request.settingsKey).values(), runGroup, {
      concurrency: "unbounded",
      discard: true
    })
  )
}

/** How many times each text occurs in `list`. */
const countOccurrences = (list: ReadonlyArray<string>): Map<string, number> => {
  const counts = new Map<string, number>()
  for (const text of list) counts.set(text, (counts.get(text) ?? 0) + 1)
  return counts
}

/**
 * The texts of one `embedMany`, all known up front, go to the model without the resolver: each distinct text once,
 * those not in the cache in calls of the model's per-call limit, taken by `concurrency` workers. (The resolver's
 * per-text request, fiber and completion cost more than a Titan call's own client CPU.)
 */
const embedAll = (
  client: Client,
  list: ReadonlyArray<string>,
  settings: Settings,
  settingsKey: string,
  progress: Progress.Reporter | undefined
): Effect.Effect<Array<EmbeddingsClient.Embedding>, EmbeddingsError> =>
  Effect.gen(function*() {
    const { cache } = client
    const distinct = Array.from(new Set(list))
    const vectors = new Map<string, EmbeddingsClient.Embedding>()
    const missing: Array<string> = []
    const lookedUpAt = cache.enabled ? yield* Clock.currentTimeMillis : 0
    for (const text of distinct) {
      const cached = cache.enabled ? cache.lookup(cacheKey(settingsKey, text), lookedUpAt) : undefined
      if (cached === undefined) missing.push(text)
      else vectors.set(text, cached)
    }
    yield* client.count({
      deduplicated: list.length - distinct.length,
      cacheHits: distinct.length - missing.length,
      cacheMisses: missing.length
    })
    if (cache.enabled) yield* Metrics.recordEmbeddingsCache(client.model.modelId, vectors.size, missing.length)
    const occurrences = progress === undefined ? undefined : countOccurrences(list)
    const itemsOf = (texts: ReadonlyArray<string>) =>
      occurrences === undefined ? texts.length : texts.reduce((sum, text) => sum + occurrences.get(text)!, 0)
    if (progress !== undefined && vectors.size > 0) yield* progress.advance({ done: itemsOf([...vectors.keys()]) })
    const batches = chunksOf(missing, client.model.maxBatch)
    let next = 0
    const worker: Effect.Effect<void, EmbeddingsError> = Effect.suspend(() => {
      const batch = batches[next++]
      if (batch === undefined) return Effect.void
      const called = Effect.flatMap(callModel(client, batch, settings), ({ inputTokens, vectors: embeddings }) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) => {
          batch.forEach((text, i) => {
            vectors.set(text, embeddings[i]!)
            cache.store(cacheKey(settingsKey, text), embeddings[i]!, now)
          })
          return progress === undefined ? Effect.void : progress.advance({ done: itemsOf(batch), inputTokens })
        }))
      return Effect.zipRight(
        progress === undefined ? called : Effect.tapError(called, () =>
          progress.advance({ failed: itemsOf(batch) })),
        worker
      )
    })
    yield* Effect.all(
      Array.from({ length: Math.min(client.concurrency, batches.length) }, () =>
        worker),
      {
        concurrency: "unbounded",
        discard: true
      }
    )
    return list.map((text) => vectors.get(text)!)
  })

/** The model a client uses: from the `ModelCatalog` in context (user-registered entries), else the built-in one. */
const modelFromContext = (modelId: string) =>
  Effect.flatMap(
    Effect.flatMap(
      Effect.serviceOption(ModelCatalog.ModelCatalog),
      Option.match({
        onSome: (catalog) => catalog.find(modelId),
        onNone: () => Effect.succeed(ModelCatalog.resolve(modelId))
      })
    ),
    (info) => modelOf(modelId, info)
  )

/** A client's shared state: counters in one mutable record, touched only inside synchronous steps. */
const makeClient = (options: EmbeddingsClient.Options, model: EmbeddingsClient.Model) =>
  Effect.gen(function*() {
    const stats: { -readonly [K in keyof EmbeddingsClient.Stats]: number } = { ...emptyStats }
    const count = (update: Partial<EmbeddingsClient.Stats>) =>
      Effect.sync(() => {
        for (const key in update) stats[key as keyof EmbeddingsClient.Stats] += update[key as keyof typeof update]!
      })
    const runtime = yield* BedrockRuntime
    const cacheOptions = options.cache ?? { capacity: 1_000, timeToLive: Duration.hours(1) }
    const retryConfig = options.retry instanceof RetryConfig ? options.retry : new RetryConfig(options.retry ?? {})
    const concurrency = Math.max(1, Math.floor(options.concurrency ?? 4))
    const client: Client = {
      model,
      runtime,
      breaker: yield* Effect.serviceOption(CircuitBreaker.CircuitBreaker),
      semaphore: yield* Effect.makeSemaphore(concurrency),
      concurrency,
      retryPolicy: logRetries(Resilience.retrySchedule(retryConfig), {
        call: "embeddings",
        operation: "embeddings",
        modelId: model.modelId,
        maxAttempts: retryConfig.maxAttempts
      }).pipe(Schedule.tapInput(() => count({ retries: 1 }))),
      count,
      server: Attributes.serverOf({ region: runtime.config.region, endpoint: runtime.config.endpoint }),
      cache: cacheOptions === false
        ? new EmbeddingCache(0, 0)
        : new EmbeddingCache(
          Math.max(0, Math.floor(cacheOptions.capacity)),
          Duration.toMillis(cacheOptions.timeToLive)
        )
    }
    return { client, stats: Effect.sync((): EmbeddingsClient.Stats => ({ ...stats })) }
  })

/**
 * Builds the client over the `BedrockRuntime` in context. A `ModelCatalog` in context resolves the model (for
 * user-registered entries), a `CircuitBreaker` in context protects every call. Fails when the model cannot be used.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: EmbeddingsClient.Options
): Effect.Effect<EmbeddingsClient.Service, UnsupportedModelError | EmbeddingInputError, BedrockRuntime> =>
  Effect.gen(function*() {
    const model = yield* modelFromContext(options.model)
    const defaults = options.defaults ?? {}
    yield* settingsOf(model, defaults)
    const { client, stats } = yield* makeClient(options, model)
    const resolver = makeResolver(client)

    const prepare = (callOptions: EmbeddingsClient.EmbedOptions | undefined) =>
      Effect.map(settingsOf(model, { ...defaults, ...callOptions }), (settings) => ({
        settings,
        settingsKey: JSON.stringify([
          model.modelId,
          settings.dimensions ?? model.defaultDimensions,
          settings.normalize ?? null,
          model.dialect.startsWith("cohere") ? settings.inputType : null,
          settings.truncate ?? null
        ])
      }))

    const embedChecked = (text: string, settings: Settings, settingsKey: string) => {
      const key = cacheKey(settingsKey, text)
      return Effect.flatMap(
        client.cache.get(key),
        Option.match({
          onSome: (value) =>
            Effect.as(
              Effect.zipRight(client.count({ cacheHits: 1 }), Metrics.recordEmbeddingsCache(model.modelId, 1, 0)),
              value
            ),
          onNone: () =>
            Effect.zipRight(
              Effect.zipRight(client.count({ cacheMisses: 1 }), Metrics.recordEmbeddingsCache(model.modelId, 0, 1)),
              Effect.tap(
                Effect.request(new EmbedText({ text, settings, settingsKey }), resolver),
                (value) => client.cache.set(key, value)
              )
            )
        })
      )
    }

    return EmbeddingsClient.of({
      model,
      embed: (text, callOptions) =>
        Effect.gen(function*() {
          const checked = yield* checkText(text)
          const { settings, settingsKey } = yield* prepare(callOptions)
          return yield* embedChecked(checked, settings, settingsKey)
        }).pipe(withSpan("EmbeddingsClient.embed")),
      embedMany: (texts, manyOptions) =>
        Effect.gen(function*() {
          const list = Array.from(texts)
          for (let index = 0; index < list.length; index++) yield* checkText(list[index], index)
          const { onProgress, ...callOptions } = manyOptions ?? {}
          const { settings, settingsKey } = yield* prepare(callOptions)
          return yield* onProgress === undefined
            ? embedAll(client, list, settings, settingsKey, undefined)
            : Progress.track(
              list.length,
              (reporter) => embedAll(client, list, settings, settingsKey, reporter),
              onProgress
            )
        }).pipe(withSpan("EmbeddingsClient.embedMany")),
      stats,
      clearCache: Effect.sync(() => client.cache.clear())
    })
  })

/**
 * A Layer of the client over the `BedrockRuntime` in context, e.g.
 * `EmbeddingsClient.layer({ model: "amazon.titan-embed-text-v2:0" }).pipe(Layer.provide(BedrockRuntime.layerConfig()))`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: EmbeddingsClient.Options
): Layer.Layer<EmbeddingsClient, UnsupportedModelError | EmbeddingInputError, BedrockRuntime> =>
  Layer.effect(EmbeddingsClient, make(options))

/**
 * `embed` with the client in context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const embed = (
  text: string,
  options?: EmbeddingsClient.EmbedOptions
): Effect.Effect<EmbeddingsClient.Embedding, EmbeddingsError, EmbeddingsClient> =>
  Effect.flatMap(EmbeddingsClient, (client) => client.embed(text, options))

/**
 * `embedMany` with the client in context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const embedMany = (
  texts: Iterable<string>,
  options?: EmbeddingsClient.EmbedManyOptions
): Effect.Effect<Array<EmbeddingsClient.Embedding>, EmbeddingsError, EmbeddingsClient> =>
  Effect.flatMap(EmbeddingsClient, (client) => client.embedMany(texts, options))
