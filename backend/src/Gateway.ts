/**
 * The seam every API calls: `generate`, `stream`, `embed` and `countTokens` on behalf of the request's `CurrentKey`
 * for a named API, plus `admit` for callers that talk to Bedrock in its own shapes (the passthrough). Each call is
 * authorized (403), resolved to its targets (an alias's, or one catalog id), bounded (input tokens, `maxTokens`),
 * admitted (rate limits and the worst-case cost reserved), sent through the library with fallback to the next target
 * on throttling or unavailability before the first byte, and settled with the real usage (also when the client
 * goes away mid-stream). What it learns goes into the request's log line.
 *
 * @since 0.1.0
 */
import {
  BedrockClient,
  BedrockRuntime,
  Config as LibraryConfig,
  EmbeddingsClient,
  type Message,
  ModelCatalog,
  Models,
  type Response
} from "bedrock-llm"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Deadline from "./Deadline.js"
import { type GatewayError, InvalidRequest, ModelNotFound } from "./GatewayError.js"
import { CurrentKey } from "./keys/Authentication.js"
import type { ApiName, KeyRecord } from "./keys/KeyStore.js"
import {
  Admission,
  authorize,
  matchesPattern,
  type PricedTarget,
  type Settled,
  type Ticket,
  type Used
} from "./limits/Admission.js"
import * as RequestLog from "./RequestLog.js"
import { ServiceConfig, type Target } from "./ServiceConfig.js"

/**
 * What every call names: the API it serves and the model the client asked for.
 *
 * @since 0.1.0
 * @category models
 */
export interface CallOptions {
  readonly api: ApiName
  /** An alias (`ServiceConfig.modelAliases`) or a model id / inference profile in the catalog. */
  readonly model: string
  /** The most output tokens; default `ServiceConfig.defaultMaxTokens`, capped at each target's limit. */
  readonly maxTokens?: number | undefined
  /** Input tokens the API counted itself; by default the gateway bounds them from the request. */
  readonly inputTokens?: number | undefined
}

/**
 * A served target: the model id or profile, its region (`undefined`: the service's), its catalog entry.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResolvedTarget extends PricedTarget {
  readonly region: string | undefined
}

/**
 * The answer of `generate`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Generated {
  readonly response: Response.Response
  /** The target that answered. */
  readonly modelId: string
  readonly costMicroUsd: number
}

/**
 * Options of `embed`.
 *
 * @since 0.1.0
 * @category models
 */
export interface EmbedOptions extends EmbeddingsClient.EmbeddingsClient.EmbedOptions {
  readonly api: ApiName
  readonly model: string
}

/**
 * The answer of `embed`: vectors in input order and the input tokens charged.
 *
 * @since 0.1.0
 * @category models
 */
export interface Embedded {
  readonly vectors: ReadonlyArray<ReadonlyArray<number>>
  readonly inputTokens: number
  readonly modelId: string
  readonly costMicroUsd: number
}

/**
 * The answer of `countTokens`: `exact` when Bedrock's CountTokens counted them, else the library's local estimate.
 *
 * @since 0.1.0
 * @category models
 */
export interface TokenCount {
  readonly inputTokens: number
  readonly exact: boolean
  readonly modelId: string
}

/**
 * A model the key may use, as `/v1/models` lists it: a catalog entry, or an alias with its first target's entry.
 *
 * @since 0.1.0
 * @category models
 */
export interface ModelEntry {
  readonly id: string
  readonly info: ModelCatalog.ModelInfo
  readonly alias: boolean
}

/**
 * A call admitted by `admit`: its targets with their runtimes, and `settle`, which the caller runs with what Bedrock
 * reported. A call the caller does not settle is settled when the scope closes, as having used nothing.
 *
 * @since 0.1.0
 * @category models
 */
export interface Admitted {
  readonly targets: ReadonlyArray<ResolvedTarget & { readonly runtime: BedrockRuntime.BedrockRuntime.Service }>
  readonly maxTokens: number
  readonly settle: (used: Used | undefined) => Effect.Effect<void>
}

/**
 * @since 0.1.0
 */
export declare namespace Gateway {
  /**
   * The gateway.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /** One Converse (or native InvokeModel, with `request.api: "invoke"`) call. */
    readonly generate: (
      request: BedrockClient.BedrockClient.Request,
      options: CallOptions
    ) => Effect.Effect<Generated, GatewayError, CurrentKey>
    /**
     * One streaming call. The effect admits the call and waits for its first event, so that every refusal and every
     * error before the first byte is a failure of the effect (an HTTP status, not a broken stream); the stream then
     * gives every event, the first included, as it arrives. The call lives in the scope (a request's scope lasts
     * until its response has been written).
     */
    readonly stream: (
      request: BedrockClient.BedrockClient.Request,
      options: CallOptions
    ) => Effect.Effect<Stream.Stream<Response.StreamEvent, GatewayError>, GatewayError, CurrentKey | Scope.Scope>
    /** Embeddings of texts (in input order). */
    readonly embed: (
      texts: ReadonlyArray<string>,
      options: EmbedOptions
    ) => Effect.Effect<Embedded, GatewayError, CurrentKey>
    /** The input tokens of a request (authorized, not charged). */
    readonly countTokens: (
      request: BedrockClient.BedrockClient.Request,
      options: CallOptions
    ) => Effect.Effect<TokenCount, GatewayError, CurrentKey>
    /** Admission for a call made by the caller itself in Bedrock's shapes; `inputTokens` is then required. */
    readonly admit: (
      options: CallOptions & { readonly inputTokens: number }
    ) => Effect.Effect<Admitted, GatewayError, CurrentKey | Scope.Scope>
    /** The aliases and catalog models the current key may use. */
    readonly models: Effect.Effect<ReadonlyArray<ModelEntry>, never, CurrentKey>
    /** The targets of a model name (alias or catalog id). */
    readonly resolve: (model: string) => Effect.Effect<ReadonlyArray<ResolvedTarget>, ModelNotFound>
  }
}

/**
 * The gateway service.
 *
 * @since 0.1.0
 * @category services
 */
export class Gateway extends Context.Tag("bedrock-llm-backend/Gateway")<Gateway, Gateway.Service>() {}

/**
 * Failures after which the next target of an alias is tried (only before the first byte of an answer).
 *
 * @since 0.1.0
 * @category utils
 */
export const isFallbackError = (error: unknown): boolean =>
  typeof error === "object" && error !== null && "_tag" in error && (
    error._tag === "ThrottlingError" ||
    error._tag === "ServiceUnavailableError" ||
    error._tag === "ModelNotReadyError" ||
    error._tag === "CircuitOpenError"
  )

/** Tokens per image in the input bound: above what any catalogued model charges for one image. */
const imageTokenBound = 10_000
const textEncoder = new TextEncoder()
/** UTF-8 bytes of a string, counted without encoding it. */
const utf8Length = (text: string): number => Buffer.byteLength(text, "utf8")

interface InputSize {
  /** UTF-8 bytes of every text and JSON part: an upper bound of their tokens (no tokenizer makes a token of less). */
  readonly bytes: number
  readonly estimate: number
  readonly images: number
  /** Documents, videos or S3 sources, whose tokens only the model knows: bounded by the context window. */
  readonly unbounded: boolean
}

const sizeOfRequest = (request: BedrockClient.BedrockClient.Request): InputSize => {
  let bytes = 0
  let estimate = 0
  let images = 0
  let unbounded = false
  const text = (value: string) => {
    bytes += utf8Length(value)
    estimate += ModelCatalog.estimateTokens(value)
  }
  const json = (value: unknown) => text(JSON.stringify(value ?? null))
  const block = (content: Message.ContentBlock | Message.ToolResultContent | Message.SystemContentBlock): void => {
    switch (content._tag) {
      case "Text":
        return text(content.text)
      case "Image":
        images++
        if (content.source._tag !== "Bytes") unbounded = true
        return
      case "Document":
      case "Video":
        unbounded = true
        return
      case "ToolUse":
        text(content.name)
        return json(content.input)
      case "ToolResult":
        for (const part of content.content) block(part)
        return
      case "Json":
        return json(content.json)
      case "Reasoning":
        return text(content.text)
      default:
        return json(content)
    }
  }
  for (const message of request.messages) for (const content of message.content) block(content)
  for (const content of request.system ?? []) block(content)
  if (request.toolConfig !== undefined) json(request.toolConfig)
  if (request.model?.system !== undefined) text(request.model.system)
  return { bytes, estimate: estimate + images * 1_600, images, unbounded }
}

const inputBound = (size: InputSize, targets: ReadonlyArray<PricedTarget>): number => {
  const window = Math.max(...targets.map((target) => target.info.contextWindow))
  return size.unbounded ? window : Math.min(window, size.bytes + size.images * imageTokenBound)
}

const outputText = (event: Response.StreamEvent): string => {
  if (event._tag !== "ContentBlockDelta") return ""
  const delta = event.delta
  return delta._tag === "TextDelta" || delta._tag === "ReasoningTextDelta"
    ? delta.text
    : delta._tag === "ToolUseInputDelta"
    ? delta.input
    : ""
}

/**
 * Builds the gateway over the runtime (the service's region), the catalog, admission and the configuration. Clients
 * for other regions (alias targets) are made on first use and live as long as the gateway.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<
  Gateway.Service,
  ModelCatalog.UnknownModel,
  BedrockRuntime.BedrockRuntime | ModelCatalog.ModelCatalog | Admission | ServiceConfig | Scope.Scope
> = Effect.gen(function*() {
  const config = yield* ServiceConfig
  const catalog = yield* ModelCatalog.ModelCatalog
  const admission = yield* Admission
  const baseRuntime = yield* BedrockRuntime.BedrockRuntime
  const layerScope = yield* Effect.scope

  const aliases = new Map<string, ReadonlyArray<ResolvedTarget>>()
  for (const [alias, targets] of Object.entries(config.modelAliases)) {
    const resolved: Array<ResolvedTarget> = []
    for (const target of targets as ReadonlyArray<Target>) {
      const info = yield* catalog.get(target.modelId)
      resolved.push({ modelId: target.modelId, region: target.region, info })
    }
    aliases.set(alias, resolved)
  }

  const runtimeWithin = Deadline.runtimeWithin(baseRuntime)
  const runtimeFor = yield* Effect.cachedFunction((region: string) =>
    region === "" || region === baseRuntime.config.region
      ? Effect.succeed(runtimeWithin)
      : Effect.map(
        Scope.extend(
          BedrockRuntime.make(new LibraryConfig.ClientConfig({ ...baseRuntime.config, region })),
          layerScope
        ),
        Deadline.runtimeWithin
      )
  )
  const clientFor = yield* Effect.cachedFunction((region: string) =>
    Effect.flatMap(runtimeFor(region), (runtime) =>
      BedrockClient.make({
        model: { modelId: "gateway.default" },
        retry: config.retry,
        circuitBreaker: false
      }).pipe(
        Effect.provideService(BedrockRuntime.BedrockRuntime, runtime),
        Effect.provideService(ModelCatalog.ModelCatalog, catalog)
      ))
  )
  const embeddingsFor = yield* Effect.cachedFunction((target: string) => {
    const [region, modelId] = JSON.parse(target) as [string, string]
    return Effect.flatMap(
      runtimeFor(region),
      (runtime) =>
        EmbeddingsClient.make({ model: modelId, cache: false, retry: config.retry }).pipe(
          Effect.provideService(BedrockRuntime.BedrockRuntime, runtime),
          Effect.provideService(ModelCatalog.ModelCatalog, catalog)
        )
    )
  })

  const resolve = (model: string): Effect.Effect<ReadonlyArray<ResolvedTarget>, ModelNotFound> => {
    const alias = aliases.get(model)
    if (alias !== undefined) return Effect.succeed(alias)
    return Effect.flatMap(catalog.find(model), (info) =>
      Option.match(info, {
        onNone: () =>
          Effect.fail(
            new ModelNotFound({
              message: `The model ${model} is neither an alias of this gateway nor in its model catalog.`,
              model
            })
          ),
        onSome: (info) => Effect.succeed([{ modelId: model, region: undefined, info }])
      }))
  }

  interface Plan {
    readonly key: KeyRecord
    readonly targets: ReadonlyArray<ResolvedTarget>
    readonly maxTokens: number
    readonly size: InputSize
    readonly ticket: Ticket
    readonly startedAt: number
  }

  /** Authorize, resolve, bound and admit a call; the ticket is settled by `finish`. */
  const plan = (options: CallOptions, size: InputSize, kind: "text" | "embeddings" | "any") =>
    Effect.gen(function*() {
      const key = yield* CurrentKey
      const startedAt = yield* Clock.currentTimeMillis
      yield* RequestLog.annotate({ keyId: key.id, api: options.api, model: options.model })
      yield* authorize(key, options.api, options.model)
      const targets = yield* resolve(options.model)
      const first = targets[0]!
      const embeddings = first.info.capabilities.embeddings !== undefined
      if (kind !== "any" && embeddings !== (kind === "embeddings")) {
        return yield* new InvalidRequest({
          message: kind === "embeddings"
            ? `The model ${options.model} is not an embeddings model.`
            : `The model ${options.model} is an embeddings model; it cannot generate text.`,
          parameter: "model"
        })
      }
      const limit = Math.min(...targets.map((target) => target.info.maxOutputTokens))
      if (options.maxTokens !== undefined && (!Number.isInteger(options.maxTokens) || options.maxTokens < 1)) {
        return yield* new InvalidRequest({
          message: `maxTokens must be a positive integer, got ${options.maxTokens}.`,
          parameter: "maxTokens"
        })
      }
      if (!embeddings && options.maxTokens !== undefined && options.maxTokens > limit) {
        return yield* new InvalidRequest({
          message: `maxTokens ${options.maxTokens} exceeds the limit of ${limit} output tokens of ${options.model}.`,
          parameter: "maxTokens"
        })
      }
      const maxTokens = embeddings ? 0 : options.maxTokens ?? Math.min(config.defaultMaxTokens, limit)
      if (key.tpm !== undefined && size.estimate + maxTokens > key.tpm) {
        return yield* new InvalidRequest({
          message: `This call may use up to ${
            size.estimate + maxTokens
          } tokens, more than the key's limit of ${key.tpm} tokens per minute; lower maxTokens.`,
          parameter: "maxTokens"
        })
      }
      const counted = options.inputTokens
      const ticket = yield* admission.admit({
        key,
        targets,
        inputTokensBound: counted ?? inputBound(size, targets),
        inputTokensEstimate: counted ?? size.estimate,
        maxTokens
      })
      return { key, targets, maxTokens, size, ticket, startedAt } satisfies Plan
    }).pipe(Effect.tapError((refusal) => RequestLog.annotate({ error: refusal._tag })))

  /** Settles a call and writes what it used into the request's log line; a store failure is logged, never raised. */
  const finish = (call: Plan, used: Used | undefined, extra: RequestLog.Fields = {}) =>
    Effect.gen(function*() {
      const settled = yield* call.ticket.settle(used).pipe(
        Effect.catchAll((error) =>
          Effect.as(
            Effect.logError("settlement failed: the reservation stays counted until the month ends", error).pipe(
              Effect.annotateLogs({ keyId: call.key.id })
            ),
            { costMicroUsd: 0 } as Settled
          )
        )
      )
      yield* RequestLog.annotate({
        ...extra,
        ...(used === undefined ? {} : {
          modelId: used.target.modelId,
          inputTokens: used.usage.inputTokens,
          outputTokens: used.usage.outputTokens,
          cacheReadTokens: used.usage.cacheReadInputTokens ?? 0,
          cacheWriteTokens: used.usage.cacheWriteInputTokens ?? 0
        }),
        costMicroUsd: settled.costMicroUsd,
        ...(settled.budget === undefined ? {} : {
          budgetMicroUsd: settled.budget.budgetMicroUsd,
          budgetSpentMicroUsd: settled.budget.spentMicroUsd
        })
      })
      return settled
    })

  const withDeadline = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.flatMap(Deadline.remaining, (left) =>
      Option.match(left, {
        onNone: () => effect,
        onSome: (duration) => Effect.timeoutFail(effect, { duration, onTimeout: () => Deadline.expired(duration) })
      }))

  const requestFor = (
    request: BedrockClient.BedrockClient.Request,
    target: ResolvedTarget,
    key: KeyRecord,
    maxTokens: number
  ): BedrockClient.BedrockClient.Request => ({
    ...request,
    model: {
      ...request.model,
      modelId: target.modelId,
      maxTokens: Math.min(maxTokens, target.info.maxOutputTokens),
      ...(key.guardrail === undefined ? {} : { guardrail: key.guardrail })
    }
  })

  /**
   * Runs a call's Bedrock part and settles it exactly once: with what it used on success, with `onInterrupt` when it
   * was interrupted (the client went away: Bedrock may have read the input), with nothing when it failed.
   */
  const metered = <A, E>(
    call: Plan,
    effect: Effect.Effect<A, E>,
    usedOf: (value: A) => Used,
    extra: () => RequestLog.Fields
  ) =>
    Effect.uninterruptibleMask((restore) =>
      Effect.matchCauseEffect(restore(effect), {
        onFailure: (cause) =>
          Effect.zipRight(
            finish(
              call,
              Cause.isInterruptedOnly(cause)
                ? { target: call.targets[0]!, usage: { inputTokens: call.size.estimate, outputTokens: 0 } }
                : undefined,
              { ...extra(), outcome: Cause.isInterruptedOnly(cause) ? "interrupted" : "failed" }
            ),
            Effect.failCause(cause)
          ),
        onSuccess: (value) => Effect.map(finish(call, usedOf(value), extra()), (settled) => ({ value, settled }))
      })
    )

  const generate = (request: BedrockClient.BedrockClient.Request, options: CallOptions) =>
    Effect.flatMap(plan(options, sizeOfRequest(request), "text"), (call) => {
      let fallbacks = 0
      const attempt = (
        index: number
      ): Effect.Effect<{ readonly response: Response.Response; readonly target: ResolvedTarget }, GatewayError> => {
        const target = call.targets[index]!
        return Effect.flatMap(
          clientFor(target.region ?? ""),
          (client) => client.generate(requestFor(request, target, call.key, call.maxTokens))
        ).pipe(
          Effect.map((response) => ({ response, target })),
          Effect.catchAll((error) => {
            if (index + 1 < call.targets.length && isFallbackError(error)) {
              fallbacks++
              return attempt(index + 1)
            }
            return Effect.fail(error)
          })
        )
      }
      return Effect.map(
        metered(call, attempt(0), ({ response, target }) => ({ target, usage: response.usage }), () => ({ fallbacks })),
        ({ settled, value }): Generated => ({
          response: value.response,
          modelId: value.target.modelId,
          costMicroUsd: settled.costMicroUsd
        })
      )
    })

  const stream = (request: BedrockClient.BedrockClient.Request, options: CallOptions) =>
    Effect.gen(function*() {
      const call = yield* plan(options, sizeOfRequest(request), "text")
      const requestScope = yield* Effect.scope
      let usage: Response.Usage | undefined
      let outputChars = ""
      let firstTokenAt: number | undefined
      let served: ResolvedTarget | undefined
      let fallbacks = 0
      let done = false
      /** Settles once: the reported usage, else (cut off) an estimate of what was read and written, else nothing. */
      const settle = Effect.suspend(() => {
        if (done) return Effect.void
        done = true
        const estimated = { inputTokens: call.size.estimate, outputTokens: ModelCatalog.estimateTokens(outputChars) }
        return finish(call, served === undefined ? undefined : { target: served, usage: usage ?? estimated }, {
          fallbacks,
          ...(firstTokenAt === undefined ? {} : { timeToFirstTokenMs: firstTokenAt - call.startedAt }),
          outcome: served === undefined ? "failed" : usage === undefined ? "cut-off" : "complete"
        })
      })
      yield* Scope.addFinalizer(requestScope, settle)
      const observe = (chunk: Chunk.Chunk<Response.StreamEvent>) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Effect.sync(() => {
            for (const event of chunk) {
              if (event._tag === "Metadata") {
                usage = event.usage
              }
              const text = outputText(event)
              if (text.length > 0) {
                firstTokenAt ??= now
                outputChars += text
              }
            }
          }))

      const open = (
        index: number
      ): Effect.Effect<
        {
          readonly first: Chunk.Chunk<Response.StreamEvent>
          readonly pull: BedrockClient.Pull<Response.StreamEvent, GatewayError>
          /** The served attempt's scope (closing it aborts the Bedrock request), unless it ended at once. */
          readonly scope?: Scope.CloseableScope | undefined
        },
        GatewayError
      > => {
        const target = call.targets[index]!
        return Effect.gen(function*() {
          const client = yield* clientFor(target.region ?? "")
          const attemptScope = yield* Scope.fork(requestScope, ExecutionStrategy.sequential)
          const pull = yield* Scope.extend(
            client.streamPull(requestFor(request, target, call.key, call.maxTokens)),
            attemptScope
          )
          const first = yield* Effect.either(pull)
          if (first._tag === "Right") {
            served = target
            return { first: first.right, pull, scope: attemptScope }
          }
          yield* Scope.close(attemptScope, Exit.void)
          if (Option.isNone(first.left)) {
            served = target
            return { first: Chunk.empty(), pull: Effect.fail(Option.none()) }
          }
          const error = first.left.value
          if (index + 1 < call.targets.length && isFallbackError(error)) {
            fallbacks++
            return yield* open(index + 1)
          }
          return yield* Effect.fail(error)
        })
      }

      const opened = yield* withDeadline(open(0)).pipe(Effect.tapErrorCause(() => settle))
      yield* observe(opened.first)
      const left = yield* Deadline.remaining
      const pull = Option.isNone(left) || opened.scope === undefined
        ? opened.pull
        : yield* pullWithin(opened.pull, opened.scope, requestScope, left.value)
      return Stream.concat(
        Stream.fromChunk(opened.first),
        Stream.repeatEffectChunkOption(Effect.tap(pull, observe))
      ).pipe(Stream.ensuring(settle))
    })

  /**
   * The pull of a served stream, failing with the request's deadline once it passes: one timer per stream closes the
   * attempt's scope then (aborting the Bedrock request, which ends the pending pull), where `Stream.interruptWhen`
   * would race every pull against the deadline (its allocations were most of an open stream's memory).
   */
  const pullWithin = <A>(
    pull: BedrockClient.Pull<A, GatewayError>,
    attemptScope: Scope.CloseableScope,
    requestScope: Scope.Scope,
    duration: Duration.Duration
  ) =>
    Effect.gen(function*() {
      let expired = false
      yield* Effect.forkIn(
        Effect.zipRight(
          Effect.sleep(duration),
          Effect.suspend(() => {
            expired = true
            return Scope.close(attemptScope, Exit.void)
          })
        ),
        requestScope
      )
      return Effect.catchAll(
        pull,
        (error): BedrockClient.Pull<A, GatewayError> =>
          Effect.fail(expired ? Option.some(Deadline.expired(duration)) : error)
      )
    })

  const embed = (texts: ReadonlyArray<string>, options: EmbedOptions) =>
    Effect.gen(function*() {
      const size = texts.reduce<InputSize>(
        (total, text) => ({
          bytes: total.bytes + utf8Length(text),
          estimate: total.estimate + ModelCatalog.estimateTokens(text),
          images: 0,
          unbounded: false
        }),
        { bytes: 0, estimate: 0, images: 0, unbounded: false }
      )
      const call = yield* plan(options, size, "embeddings")
      const target = call.targets[0]!
      const { api: _api, model: _model, ...embedOptions } = options
      const { settled, value } = yield* metered(
        call,
        Effect.flatMap(
          embeddingsFor(JSON.stringify([target.region ?? "", target.modelId])),
          (client) => client.embedMany(texts, embedOptions)
        ),
        () => ({ target, usage: { inputTokens: size.estimate, outputTokens: 0 } }),
        () => ({})
      )
      return { vectors: value, inputTokens: size.estimate, modelId: target.modelId, costMicroUsd: settled.costMicroUsd }
    })

  const countTokens = (request: BedrockClient.BedrockClient.Request, options: CallOptions) =>
    Effect.gen(function*() {
      const key = yield* CurrentKey
      yield* RequestLog.annotate({ keyId: key.id, api: options.api, model: options.model })
      yield* authorize(key, options.api, options.model)
      const target = (yield* resolve(options.model))[0]!
      const implementation = Models.forFamily(target.info.family)
      if (!target.info.countTokensSupported || Option.isNone(implementation)) {
        return { inputTokens: sizeOfRequest(request).estimate, exact: false, modelId: target.modelId }
      }
      const body = yield* implementation.value.encodeRequest({
        messages: request.messages,
        system: request.system,
        toolConfig: request.toolConfig,
        model: new LibraryConfig.ModelConfig({ modelId: target.modelId, maxTokens: 1 })
      })
      const runtime = yield* runtimeFor(target.region ?? "")
      const counted = yield* runtime.countTokens({
        modelId: target.modelId,
        input: { invokeModel: { body: textEncoder.encode(JSON.stringify(body)) } }
      })
      return { inputTokens: counted.inputTokens ?? 0, exact: true, modelId: target.modelId }
    })

  const admit = (options: CallOptions & { readonly inputTokens: number }) =>
    Effect.gen(function*() {
      const call = yield* plan(options, { bytes: 0, estimate: options.inputTokens, images: 0, unbounded: false }, "any")
      const targets = yield* Effect.forEach(
        call.targets,
        (target) => Effect.map(runtimeFor(target.region ?? ""), (runtime) => ({ ...target, runtime }))
      )
      let settled = false
      const settle = (used: Used | undefined) =>
        Effect.suspend(() => {
          if (settled) return Effect.void
          settled = true
          return Effect.asVoid(finish(call, used))
        })
      yield* Effect.addFinalizer(() => settle(undefined))
      return { targets, maxTokens: call.maxTokens, settle }
    })

  const models = Effect.gen(function*() {
    const key = yield* CurrentKey
    const allowed = (id: string) => key.allowedModels.some((pattern) => matchesPattern(pattern, id))
    const entries: Array<ModelEntry> = []
    for (const [alias, targets] of aliases) {
      if (allowed(alias)) entries.push({ id: alias, info: targets[0]!.info, alias: true })
    }
    for (const info of yield* catalog.all) {
      if (allowed(info.id)) entries.push({ id: info.id, info, alias: false })
    }
    return entries
  })

  return Gateway.of({ generate, stream, embed, countTokens, admit, models, resolve })
})

/**
 * The gateway as a layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<
  Gateway,
  ModelCatalog.UnknownModel,
  BedrockRuntime.BedrockRuntime | ModelCatalog.ModelCatalog | Admission | ServiceConfig
> = Layer.scoped(Gateway, make)
