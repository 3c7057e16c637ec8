/**
 * The one place every API's calls pass before and after Bedrock: authorize the model and the API (403), reserve the
 * key's rate limits and the call's worst-case cost, and afterwards settle the real usage into the limits, the budget
 * and the usage store.
 *
 * The worst case of a call is its input bound plus `maxTokens`, at the highest price among its targets: input tokens
 * at the larger of the input and cache-write prices, output tokens at the output price, the regional surcharge of
 * in-Region and geo profiles included (`ModelCatalog.costOf`).
 *
 * @since 0.1.0
 */
import { ModelCatalog } from "bedrock-llm"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { type BudgetExhausted, Forbidden, type RateLimited } from "../GatewayError.js"
import type { ApiName, KeyRecord } from "../keys/KeyStore.js"
import type { StoreError } from "../StoreError.js"
import { UsageStore } from "../usage/UsageStore.js"
import { Budget, type Reservation, toMicroUsd } from "./Budget.js"
import { Counters } from "./Counters.js"
import { type Permit, RateLimiter } from "./RateLimiter.js"

/**
 * Whether a model name matches a key's pattern (`*` matches any run of characters).
 *
 * @since 0.1.0
 * @category utils
 */
export const matchesPattern = (pattern: string, model: string): boolean => {
  if (!pattern.includes("*")) return pattern === model
  const parts = pattern.split("*")
  const first = parts[0]!
  const last = parts[parts.length - 1]!
  if (!model.startsWith(first) || model.length < first.length + last.length) return false
  let position = first.length
  for (const part of parts.slice(1, -1)) {
    const found = model.indexOf(part, position)
    if (found < 0) return false
    position = found + part.length
  }
  return model.endsWith(last) && model.length - last.length >= position
}

/**
 * Fails with `Forbidden` unless the key may use the API and the model (by the name the client asked for).
 *
 * @since 0.1.0
 * @category utils
 */
export const authorize = (key: KeyRecord, api: ApiName, model: string): Effect.Effect<void, Forbidden> => {
  if (!key.allowedApis.includes(api)) {
    return Effect.fail(
      new Forbidden({ message: `This key may not use the ${api} API.`, keyId: key.id, subject: "api" })
    )
  }
  if (!key.allowedModels.some((pattern) => matchesPattern(pattern, model))) {
    return Effect.fail(
      new Forbidden({ message: `This key may not use the model ${model}.`, keyId: key.id, subject: "model" })
    )
  }
  return Effect.void
}

/**
 * One model a call may be served by, with its catalog entry.
 *
 * @since 0.1.0
 * @category models
 */
export interface PricedTarget {
  readonly modelId: string
  readonly info: ModelCatalog.ModelInfo
}

/**
 * The worst-case cost of a call in micro-USD over its possible targets.
 *
 * @since 0.1.0
 * @category utils
 */
export const worstCaseMicroUsd = (
  targets: ReadonlyArray<PricedTarget>,
  inputTokens: number,
  maxTokens: number
): number =>
  Math.max(
    0,
    ...targets.map(({ info, modelId }) =>
      Math.max(
        toMicroUsd(ModelCatalog.costOf(info, { inputTokens, outputTokens: maxTokens }, modelId).total),
        toMicroUsd(
          ModelCatalog.costOf(
            info,
            { inputTokens: 0, cacheWriteInputTokens: inputTokens, outputTokens: maxTokens },
            modelId
          )
            .total
        )
      )
    )
  )

/**
 * A call to admit.
 *
 * @since 0.1.0
 * @category models
 */
export interface Call {
  readonly key: KeyRecord
  readonly targets: ReadonlyArray<PricedTarget>
  /** An upper bound of the call's input tokens (what the budget reserves). */
  readonly inputTokensBound: number
  /** The expected input tokens (what the tokens-per-minute window takes with `maxTokens`). */
  readonly inputTokensEstimate: number
  /** The most output tokens the call may produce (0 for embeddings). */
  readonly maxTokens: number
}

/**
 * What a call used, as Bedrock reported it (or as estimated when it was cut off).
 *
 * @since 0.1.0
 * @category models
 */
export interface Used {
  /** The target that served it. */
  readonly target: PricedTarget
  readonly usage: ModelCatalog.Usage
}

/**
 * The settled cost of a call.
 *
 * @since 0.1.0
 * @category models
 */
export interface Settled {
  readonly costMicroUsd: number
  /** The key's monthly budget and what it has spent this month after this call (keys with a budget). */
  readonly budget?: { readonly budgetMicroUsd: number; readonly spentMicroUsd: number } | undefined
}

/**
 * An admitted call: settle it exactly once, with what it used (`undefined`: it reached no model).
 *
 * @since 0.1.0
 * @category models
 */
export interface Ticket {
  readonly reservedMicroUsd: number
  readonly settle: (used: Used | undefined) => Effect.Effect<Settled, StoreError>
}

/**
 * @since 0.1.0
 */
export declare namespace Admission {
  /**
   * The admission service.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    readonly admit: (call: Call) => Effect.Effect<Ticket, RateLimited | BudgetExhausted | StoreError>
  }
}

/**
 * The admission service.
 *
 * @since 0.1.0
 * @category services
 */
export class Admission extends Context.Tag("bedrock-llm-backend/Admission")<Admission, Admission.Service>() {}

const tokensOf = (usage: ModelCatalog.Usage): number =>
  usage.inputTokens + usage.outputTokens + (usage.cacheReadInputTokens ?? 0) + (usage.cacheWriteInputTokens ?? 0)

/**
 * Builds admission over the rate limiter, the budget and the usage store.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Admission.Service, never, RateLimiter | Budget | UsageStore | Counters> = Effect.gen(
  function*() {
    const limiter = yield* RateLimiter
    const concurrency = (yield* Counters).concurrentWrites ? "unbounded" : 1
    const budget = yield* Budget
    const usageStore = yield* UsageStore

    const admit = (call: Call) =>
      Effect.gen(function*() {
        const { key } = call
        const reservedMicroUsd = worstCaseMicroUsd(call.targets, call.inputTokensBound, call.maxTokens)
        const permit: Permit | undefined = key.rpm === undefined && key.tpm === undefined
          ? undefined
          : yield* limiter.acquire({
            keyId: key.id,
            rpm: key.rpm,
            tpm: key.tpm,
            tokens: call.inputTokensEstimate + call.maxTokens
          })
        const reservation: Reservation | undefined = key.monthlyBudgetMicroUsd === undefined
          ? undefined
          : yield* budget.reserve(key.id, key.monthlyBudgetMicroUsd, reservedMicroUsd).pipe(
            Effect.tapError(() => permit === undefined ? Effect.void : Effect.ignore(limiter.release(permit)))
          )
        let settled: Settled | undefined
        const settle = (used: Used | undefined) =>
          Effect.suspend(() => {
            if (settled !== undefined) return Effect.succeed(settled)
            const costMicroUsd = used === undefined
              ? 0
              : toMicroUsd(ModelCatalog.costOf(used.target.info, used.usage, used.target.modelId).total)
            settled = { costMicroUsd }
            const tokens = used === undefined ? 0 : tokensOf(used.usage)
            return Effect.all([
              permit === undefined ? Effect.void : limiter.settle(permit, tokens),
              reservation === undefined ? Effect.succeed(undefined) : budget.settle(reservation, costMicroUsd),
              used === undefined ? Effect.void : usageStore.record({
                keyId: key.id,
                modelId: used.target.modelId,
                requests: 1,
                inputTokens: used.usage.inputTokens,
                outputTokens: used.usage.outputTokens,
                cacheReadTokens: used.usage.cacheReadInputTokens ?? 0,
                cacheWriteTokens: used.usage.cacheWriteInputTokens ?? 0,
                costMicroUsd
              })
            ], { concurrency }).pipe(Effect.map(([, month]): Settled => {
              settled = month === undefined || key.monthlyBudgetMicroUsd === undefined
                ? { costMicroUsd }
                : {
                  costMicroUsd,
                  budget: { budgetMicroUsd: key.monthlyBudgetMicroUsd, spentMicroUsd: month.spentMicroUsd }
                }
              return settled
            }))
          })
        return { reservedMicroUsd, settle }
      })

    return Admission.of({ admit })
  }
)

/**
 * Admission as a layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Admission, never, RateLimiter | Budget | UsageStore | Counters> = Layer.effect(
  Admission,
  make
)
