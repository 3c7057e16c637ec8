/**
 * What every client call does around its request, written once for the unary call and the stream call: the hooks,
 * the circuit breaker, the retry policy (each retry logged at Info), the accounting of usage and cost, the telemetry
 * of the call (the `chat` span's attributes, content under the capture switch, the GenAI metrics), and the final
 * failure of a call (a timeout then says how many attempts were made and the time they took).
 *
 * @internal
 */
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import type * as BedrockClient from "../../BedrockClient.js"
import type { RetryConfig } from "../../BedrockConfig.js"
import * as BedrockError from "../../BedrockError.js"
import type * as CircuitBreaker from "../../CircuitBreaker.js"
import * as ModelCatalog from "../../ModelCatalog.js"
import * as Resilience from "../../Resilience.js"
import * as Response from "../../Response.js"
import * as Attributes from "../telemetry/attributes.js"
import * as Content from "../telemetry/content.js"
import { Attr } from "../telemetry/conventions.js"
import * as Metrics from "../telemetry/metrics.js"
import * as Span from "../telemetry/span.js"
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
  /** Milliseconds since the first attempt started. */
  readonly elapsed: () => number
  /** The call's final failure, with the attempts and elapsed time when it is a timeout. */
  readonly failFinal: <E extends ClientError>(error: E) => Effect.Effect<never, E | BedrockError.RequestTimeoutError>
}

export interface CallPolicy {
  readonly hooks: ReadonlyArray<Hooks>
  readonly protect: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | BedrockError.CircuitOpenError, R>
  readonly attempts: (operation: RequestInfo["operation"], prepared: Prepared) => Attempts
  /** Accounts a successful stream from what its events said (without hooks to run or content to capture). */
  readonly record: (prepared: Prepared, attempts: Attempts, summary: StreamSummary) => Effect.Effect<void>
  /** Accounts a successful call and runs its `after` hooks. */
  readonly account: (prepared: Prepared, attempts: Attempts, response: Response.Response) => Effect.Effect<void>
  /** Records a stream's first chunk: the time to first chunk, as a metric and on the span. */
  readonly firstChunk: (prepared: Prepared, attempts: Attempts) => Effect.Effect<void>
  /** Accounts a failed call and runs its `onError` hooks. */
  readonly failed: (prepared: Prepared, attempts: Attempts) => (error: ClientError) => Effect.Effect<void>
  readonly totals: () => BedrockClient.BedrockClient.UsageTotals
}

/** What a stream's events said of its answer. */
export interface StreamSummary {
  readonly usage: Response.Usage
  readonly stopReason: Response.StopReason | undefined
  readonly requestId: string | undefined
}

export interface Options {
  readonly hooks: ReadonlyArray<Hooks>
  /** Where the calls go (`server.address` and `server.port` on the spans). */
  readonly server?: Attributes.Server | undefined
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
    let clockOfCall: Clock.Clock | undefined
    let lastError: BedrockError.BedrockError | undefined
    const info = (): RequestInfo => ({ operation, modelId, callId, attempt })
    const begin = Effect.clockWith((clock) => {
      attempt++
      if (attempt === 1) {
        clockOfCall = clock
        startedAt = clock.unsafeCurrentTimeMillis()
        const annotated = annotateRequest(prepared)
        return hooks.length === 0 ? annotated : Effect.zipRight(annotated, runHooks((h) => h.before, info()))
      }
      if (lastError !== undefined) totals = { ...totals, retries: totals.retries + 1 }
      if (hooks.length === 0) return Effect.void
      const retrying = lastError === undefined ? Effect.void : runHooks((h) => h.onRetry, info(), lastError)
      return Effect.zipRight(retrying, runHooks((h) => h.before, info()))
    })
    const elapsed = () => clockOfCall === undefined ? 0 : clockOfCall.unsafeCurrentTimeMillis() - startedAt
    const remember = (error: unknown) =>
      Effect.sync(() => {
        if (BedrockError.isBedrockError(error)) lastError = error
      })
    const schedule = logRetries(Schedule.tapInput(retrySchedule, remember), {
      call: `${operation} call ${callId}`,
      operation: "chat",
      modelId,
      maxAttempts: options.retry.maxAttempts
    })
    const failFinal = <E extends ClientError>(error: E): Effect.Effect<never, E | BedrockError.RequestTimeoutError> =>
      error._tag === "RequestTimeoutError"
        ? Effect.clockWith((clock) =>
          Effect.fail(error.afterAttempts(attempt, clock.unsafeCurrentTimeMillis() - startedAt))
        )
        : Effect.fail(error)
    return { info, begin, schedule, elapsed, failFinal }
  }

  /** The `chat` span's request attributes, and the conversation when content is captured. */
  const annotateRequest = (prepared: Prepared): Effect.Effect<void> =>
    Effect.zipRight(
      Span.annotateSpan(() =>
        Attributes.requestAttributes("chat", prepared.config, { server: options.server, api: prepared.target.api })
      ),
      Span.annotateContent(() =>
        Content.inputContentAttributes(prepared.request.messages, {
          text: prepared.config.system,
          blocks: prepared.request.system
        })
      )
    )

  /** The telemetry of a successful call: the response's attributes on the span, the call's metrics. */
  const observeSuccess = (
    prepared: Prepared,
    attempts: Attempts,
    usage: Response.Usage,
    cost: ModelCatalog.Cost,
    attributes: () => Attributes.Attributes
  ): Effect.Effect<void> =>
    Effect.zipRight(
      Span.annotateSpan(attributes),
      Metrics.recordCall("chat", prepared.config.modelId, {
        durationMillis: attempts.elapsed(),
        usage,
        cost: cost.total
      })
    )

  return {
    hooks,
    protect,
    attempts,
    record: (prepared, attempts, summary) =>
      Effect.suspend(() => {
        const cost = recordUsage(prepared, summary.usage)
        return observeSuccess(prepared, attempts, summary.usage, cost, () => ({
          ...(summary.stopReason === undefined
            ? {}
            : { [Attr.responseFinishReasons]: Attributes.stringArray([summary.stopReason]) }),
          ...(summary.requestId === undefined ? {} : { [Attr.responseId]: summary.requestId }),
          ...Attributes.usageAttributes(summary.usage),
          [Attr.costUsd]: cost.total
        }))
      }),
    account: (prepared, attempts, response) =>
      Effect.suspend(() => {
        const cost = recordUsage(prepared, response.usage)
        return Effect.all([
          observeSuccess(prepared, attempts, response.usage, cost, () =>
            Attributes.responseAttributes(response, cost.total)),
          Span.annotateContent(() =>
            Content.outputContentAttributes(response)
          ),
          runHooks(
            (h) =>
              h.after,
            attempts.info(),
            response,
            cost
          )
        ], { discard: true })
      }),
    firstChunk: (prepared, attempts) =>
      Effect.suspend(() => {
        const millis = attempts.elapsed()
        return Effect.zipRight(
          Metrics.recordTimeToFirstChunk("chat", prepared.config.modelId, millis),
          Span.annotateSpan(() => Attributes.timeToFirstChunkAttributes(millis))
        )
      }),
    failed: (prepared, attempts) => (error) =>
      Effect.suspend(() => {
        totals = { ...totals, calls: totals.calls + 1, failures: totals.failures + 1 }
        return Effect.all([
          Span.annotateSpan(() => Attributes.errorAttributes(error)),
          Metrics.recordCall("chat", prepared.config.modelId, { durationMillis: attempts.elapsed(), error }),
          runHooks((h) => h.onError, attempts.info(), error)
        ], { discard: true })
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
  decode: (output: Output) => Effect.Effect<Response.Response, BedrockError.MalformedResponseError>
): Effect.Effect<Response.Response, ClientError> => {
  const attempts = policy.attempts(operation, prepared)
  return Resilience.retryOnFailure(Effect.zipRight(attempts.begin, policy.protect(send)), attempts.schedule).pipe(
    Effect.catchAll(attempts.failFinal),
    Effect.flatMap((output) =>
      Effect.flatMap(
        decode(output),
        (response) => Effect.as(policy.account(prepared, attempts, response), response)
      )
    ),
    Effect.tapError(policy.failed(prepared, attempts))
  )
}
