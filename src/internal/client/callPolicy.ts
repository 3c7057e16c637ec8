/**
 * What every client call does around its request, written once for the unary call and the stream call: the hooks,
 * the circuit breaker, the retry policy (each retry logged at Info), the accounting of usage and cost, and the final
 * failure of a call (a timeout then says how many attempts were made and the time they took).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import type * as BedrockClient from "../../BedrockClient.js"
import * as BedrockError from "../../BedrockError.js"
import type * as CircuitBreaker from "../../CircuitBreaker.js"
import type { RetryConfig } from "../../Config.js"
import * as ModelCatalog from "../../ModelCatalog.js"
import * as Resilience from "../../Resilience.js"
import * as Response from "../../Response.js"
import type { Prepared } from "./prepareRequest.js"
import { logRetries } from "./retryLog.js"

type Hooks = BedrockClient.BedrockClient.Hooks
type RequestInfo = BedrockClient.BedrockClient.RequestInfo
type ClientError = BedrockClient.ClientError

export const zeroCost: ModelCatalog.Cost = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 }

const emptyTotals: BedrockClient.BedrockClient.UsageTotals = {
  calls: 0,
  failures: 0,
  retries: 0,
  usage: Response.Usage.empty,
  cost: 0
}

/** The cost of a response at the catalog entry found when the call was prepared (0 for a model not in it). */
const priceOf = (prepared: Prepared, usage: Response.Usage): ModelCatalog.Cost =>
  Option.isSome(prepared.info) ? ModelCatalog.costOf(prepared.info.value, usage, prepared.config.modelId) : zeroCost

/** The attempts of one call: their hooks, their retry schedule and the call's final failure. */
export interface Attempts {
  /** What hooks learn about the current attempt. */
  readonly info: () => RequestInfo
  /** Starts an attempt: counts a retry, runs `onRetry` (after a failure) and `before`. */
  readonly begin: Effect.Effect<void>
  /** The retry policy of the call; it remembers each failure for the next attempt's `onRetry`. */
  readonly schedule: Schedule.Schedule<unknown, ClientError>
  /** The call's final failure, with the attempts and elapsed time when it is a timeout. */
  readonly failFinal: <E extends ClientError>(error: E) => Effect.Effect<never, E | BedrockError.RequestTimeoutError>
}

export interface CallPolicy {
  readonly hooks: ReadonlyArray<Hooks>
  readonly protect: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | BedrockError.CircuitOpenError, R>
  readonly attempts: (operation: RequestInfo["operation"], prepared: Prepared) => Attempts
  /** Accounts a successful call's usage (without hooks to run). */
  readonly record: (prepared: Prepared, usage: Response.Usage) => Effect.Effect<void>
  /** Accounts a successful call and runs its `after` hooks. */
  readonly account: (prepared: Prepared, info: RequestInfo, response: Response.Response) => Effect.Effect<void>
  /** Accounts a failed call and runs its `onError` hooks. */
  readonly failed: (info: () => RequestInfo) => (error: ClientError) => Effect.Effect<void>
  readonly totals: () => BedrockClient.BedrockClient.UsageTotals
}

export interface Options {
  readonly hooks: ReadonlyArray<Hooks>
  readonly breaker: Option.Option<CircuitBreaker.CircuitBreaker.Service>
  readonly retry: RetryConfig
}

export const make = (options: Options): CallPolicy => {
  const { hooks } = options
  let totals = emptyTotals
  const retrySchedule = Resilience.retrySchedule(options.retry)

  const runHooks = <Args extends ReadonlyArray<unknown>>(
    pick: (hooks: Hooks) => ((...args: Args) => Effect.Effect<void>) | undefined,
    ...args: Args
  ): Effect.Effect<void> =>
    hooks.length === 0 ? Effect.void : Effect.forEach(hooks, (hook) => {
      const run = pick(hook)
      return run === undefined
        ? Effect.void
        : Effect.catchAllCause(run(...args), (cause) => Effect.logWarning("bedrock-llm hook failed", cause))
    }, { discard: true })

  const protect = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | BedrockError.CircuitOpenError, R> =>
    Option.match(options.breaker, { onNone: () => effect, onSome: (breaker) => breaker.protect(effect) })

  /** Adds a successful call to the totals; its cost. */
  const recordUsage = (prepared: Prepared, usage: Response.Usage): ModelCatalog.Cost => {
    const cost = priceOf(prepared, usage)
    totals = {
      ...totals,
      calls: totals.calls + 1,
      usage: Response.Usage.add(totals.usage, usage),
      cost: totals.cost + cost.total
    }
    return cost
  }

  const attempts = (operation: RequestInfo["operation"], prepared: Prepared): Attempts => {
    const { callId, config: { modelId } } = prepared
    let attempt = 0
    let startedAt = 0
    let lastError: BedrockError.BedrockError | undefined
    const info = (): RequestInfo => ({ operation, modelId, callId, attempt })
    const begin = Effect.clockWith((clock) => {
      attempt++
      if (attempt === 1) startedAt = clock.unsafeCurrentTimeMillis()
      if (lastError !== undefined) totals = { ...totals, retries: totals.retries + 1 }
      if (hooks.length === 0) return Effect.void
      const retrying = lastError === undefined ? Effect.void : runHooks((h) => h.onRetry, info(), lastError)
      return Effect.zipRight(retrying, runHooks((h) => h.before, info()))
    })
    const remember = (error: unknown) =>
      Effect.sync(() => {
        if (BedrockError.isBedrockError(error)) lastError = error
      })
    const schedule = logRetries(
      Schedule.tapInput(retrySchedule, remember),
      `${operation} call ${callId}`,
      options.retry.maxAttempts,
      { modelId }
    )
    const failFinal = <E extends ClientError>(error: E): Effect.Effect<never, E | BedrockError.RequestTimeoutError> =>
      error._tag === "RequestTimeoutError"
        ? Effect.clockWith((clock) =>
          Effect.fail(error.afterAttempts(attempt, clock.unsafeCurrentTimeMillis() - startedAt))
        )
        : Effect.fail(error)
    return { info, begin, schedule, failFinal }
  }

  return {
    hooks,
    protect,
    attempts,
    record: (prepared, usage) => Effect.sync(() => void recordUsage(prepared, usage)),
    account: (prepared, info, response) =>
      Effect.suspend(() => runHooks((h) => h.after, info, response, recordUsage(prepared, response.usage))),
    failed: (info) => (error) =>
      Effect.suspend(() => {
        totals = { ...totals, calls: totals.calls + 1, failures: totals.failures + 1 }
        return runHooks((h) => h.onError, info(), error)
      }),
    totals: () => totals
  }
}

/** One unary call: hooks, breaker and retry around `send` (its deadline is the runtime's), then `decode` and accounting. */
export const unaryCall = <Output>(
  policy: CallPolicy,
  prepared: Prepared,
  operation: RequestInfo["operation"],
  send: Effect.Effect<Output, BedrockError.BedrockError>,
  decode: (output: Output) => Effect.Effect<Response.Response, Response.MalformedResponse>
): Effect.Effect<Response.Response, ClientError> => {
  const attempts = policy.attempts(operation, prepared)
  return Resilience.retryOnFailure(Effect.zipRight(attempts.begin, policy.protect(send)), attempts.schedule).pipe(
    Effect.catchAll(attempts.failFinal),
    Effect.flatMap((output) =>
      Effect.flatMap(
        decode(output),
        (response) => Effect.as(policy.account(prepared, attempts.info(), response), response)
      )
    ),
    Effect.tapError(policy.failed(attempts.info))
  )
}
