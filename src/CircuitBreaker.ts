/**
 * A circuit breaker over `Clock`: its state is one value, read and replaced only inside synchronous steps.
 *
 * - Closed: calls pass; `failureThreshold` consecutive counted failures open it. A success resets the count; a
 *   failure that does not count (a `ValidationError`, an interruption, a defect) leaves the count as it is.
 * - Open: calls fail fast with `CircuitOpenError` (carrying the time left) without running, until `resetTimeout` has
 *   passed since it opened.
 * - Half-open: at most `halfOpenMaxProbes` calls run at a time as probes; `successThreshold` successful probes close
 *   it, one counted probe failure re-opens it. Other calls fail fast.
 *
 * A result that arrives after the breaker changed state (a slow call admitted while closed that ends after it opened)
 * does not affect the new state. Counted failures are, by default, those with `retryable: true` (throttling, 5xx,
 * model timeouts, transport errors, request timeouts).
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import type * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as PubSub from "effect/PubSub"
import * as Stream from "effect/Stream"
import { CircuitBreakerConfig } from "./BedrockConfig.js"
import { CircuitOpenError, isRetryable } from "./BedrockError.js"
import * as Metrics from "./internal/telemetry/metrics.js"

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace CircuitBreaker {
  /**
   * The breaker's state, as reported by `state`.
   *
   * @since 0.1.0
   * @category models
   */
  export type State =
    | { readonly _tag: "Closed"; readonly failures: number }
    | { readonly _tag: "Open"; readonly openedAt: number; readonly retryAfterMs: number }
    | { readonly _tag: "HalfOpen"; readonly openedAt: number; readonly probes: number; readonly successes: number }

  /**
   * A change of state, published on `changes` and given to `onStateChange`.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Transition {
    readonly from: State["_tag"]
    readonly to: State["_tag"]
    readonly at: number
  }

  /**
   * @since 0.1.0
   * @category models
   */
  export interface Options {
    /** Which failures count towards opening (default: `retryable === true`). */
    readonly isFailure?: ((error: unknown) => boolean) | undefined
    /** Called after every transition (e.g. to log it). */
    readonly onStateChange?: ((transition: Transition) => Effect.Effect<void>) | undefined
    /**
     * The model the breaker guards, as the `gen_ai.request.model` label of its `bedrock_llm.circuit_breaker.transitions`
     * (a client sets it on the breaker it makes; a breaker shared across models has none).
     */
    readonly modelId?: string | undefined
  }

  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /** Runs the effect through the breaker, or fails fast with `CircuitOpenError`. */
    readonly protect: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | CircuitOpenError, R>
    /** The current state (for metrics and health checks). */
    readonly state: Effect.Effect<State>
    /** Every transition from the moment the stream is run. */
    readonly changes: Stream.Stream<Transition>
    /** Closes the breaker (operator override). */
    readonly reset: Effect.Effect<void>
  }
}

/**
 * The circuit breaker service.
 *
 * @since 0.1.0
 * @category services
 */
export class CircuitBreaker extends Context.Tag("bedrock-llm/CircuitBreaker")<
  CircuitBreaker,
  CircuitBreaker.Service
>() {}

type Internal =
  | { readonly _tag: "Closed"; readonly generation: number; readonly failures: number }
  | { readonly _tag: "Open"; readonly generation: number; readonly openedAt: number }
  | {
    readonly _tag: "HalfOpen"
    readonly generation: number
    readonly openedAt: number
    readonly probes: number
    readonly successes: number
  }

type Admission =
  | { readonly _tag: "Admitted"; readonly generation: number; readonly probe: boolean }
  | { readonly _tag: "Rejected"; readonly error: CircuitOpenError }

type Outcome = "success" | "failure" | "neutral"

/**
 * A `CircuitBreakerConfig` or the fields to build one from (defaults fill the rest).
 *
 * @since 0.1.0
 * @category models
 */
export type ConfigInput = CircuitBreakerConfig | ConstructorParameters<typeof CircuitBreakerConfig>[0]

const openError = (state: "open" | "half-open", openedAt: number, retryAfterMs: number | undefined) =>
  new CircuitOpenError({
    message: state === "open"
      ? `circuit breaker is open; the next probe is allowed in ${retryAfterMs ?? 0} ms`
      : "circuit breaker is half-open and every probe slot is taken",
    state,
    openedAt,
    retryAfterMs
  })

/** The limits of a breaker's state machine. */
interface Limits {
  readonly failureThreshold: number
  readonly successThreshold: number
  readonly halfOpenMaxProbes: number
  readonly resetTimeout: number
}

const transition = (from: Internal, to: Internal, at: number) =>
  Option.some<CircuitBreaker.Transition>({ from: from._tag, to: to._tag, at })

type Step<A> = readonly [A, Internal]

/** Admits or rejects a call at `now`: the admission, the transition it made (Open to HalfOpen), the next state. */
const admit = (
  limits: Limits,
  state: Internal,
  now: number
): Step<readonly [Admission, Option.Option<CircuitBreaker.Transition>]> => {
  switch (state._tag) {
    case "Closed":
      return [[{ _tag: "Admitted", generation: state.generation, probe: false }, Option.none()], state]
    case "Open": {
      const remaining = state.openedAt + limits.resetTimeout - now
      if (remaining > 0) {
        return [[{ _tag: "Rejected", error: openError("open", state.openedAt, remaining) }, Option.none()], state]
      }
      const next: Internal = {
        _tag: "HalfOpen",
        generation: state.generation + 1,
        openedAt: state.openedAt,
        probes: 1,
        successes: 0
      }
      return [[{ _tag: "Admitted", generation: next.generation, probe: true }, transition(state, next, now)], next]
    }
    case "HalfOpen": {
      if (state.probes >= limits.halfOpenMaxProbes) {
        return [[{ _tag: "Rejected", error: openError("half-open", state.openedAt, undefined) }, Option.none()], state]
      }
      return [[{ _tag: "Admitted", generation: state.generation, probe: true }, Option.none()], {
        ...state,
        probes: state.probes + 1
      }]
    }
  }
}

/** Settles a call admitted in `generation` with its outcome: the transition it made, the next state. */
const settle = (
  limits: Limits,
  state: Internal,
  generation: number,
  outcome: Outcome,
  now: number
): Step<Option.Option<CircuitBreaker.Transition>> => {
  if (state.generation !== generation) return [Option.none(), state]
  switch (state._tag) {
    case "Closed": {
      if (outcome === "success") return [Option.none(), { ...state, failures: 0 }]
      if (outcome === "neutral") return [Option.none(), state]
      const failures = state.failures + 1
      if (failures < limits.failureThreshold) return [Option.none(), { ...state, failures }]
      const next: Internal = { _tag: "Open", generation: state.generation + 1, openedAt: now }
      return [transition(state, next, now), next]
    }
    case "Open":
      return [Option.none(), state]
    case "HalfOpen": {
      const released = { ...state, probes: state.probes - 1 }
      if (outcome === "neutral") return [Option.none(), released]
      if (outcome === "failure") {
        const next: Internal = { _tag: "Open", generation: state.generation + 1, openedAt: now }
        return [transition(state, next, now), next]
      }
      const successes = state.successes + 1
      if (successes < limits.successThreshold) return [Option.none(), { ...released, successes }]
      const next: Internal = { _tag: "Closed", generation: state.generation + 1, failures: 0 }
      return [transition(state, next, now), next]
    }
  }
}

/** The state as `state` reports it. */
const publicState = (internal: Internal, now: number, resetTimeout: number): CircuitBreaker.State => {
  switch (internal._tag) {
    case "Closed":
      return { _tag: "Closed", failures: internal.failures }
    case "Open":
      return {
        _tag: "Open",
        openedAt: internal.openedAt,
        retryAfterMs: Math.max(0, internal.openedAt + resetTimeout - now)
      }
    case "HalfOpen":
      return { _tag: "HalfOpen", openedAt: internal.openedAt, probes: internal.probes, successes: internal.successes }
  }
}

const outcomeOf = <A, E>(exit: Exit.Exit<A, E>, isFailure: (error: unknown) => boolean): Outcome =>
  Exit.isSuccess(exit)
    ? "success"
    : Option.match(Cause.failureOption(exit.cause), {
      onNone: () => "neutral",
      onSome: (error) => isFailure(error) ? "failure" : "neutral"
    })

/**
 * Builds a circuit breaker.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  input: ConfigInput = new CircuitBreakerConfig({}),
  options?: CircuitBreaker.Options
): Effect.Effect<CircuitBreaker.Service> =>
  Effect.gen(function*() {
    const config = input instanceof CircuitBreakerConfig ? input : new CircuitBreakerConfig(input)
    const limits: Limits = { ...config, resetTimeout: Duration.toMillis(config.resetTimeout) }
    const isFailure = options?.isFailure ?? isRetryable
    let current: Internal = { _tag: "Closed", generation: 0, failures: 0 }
    const pubsub = yield* PubSub.unbounded<CircuitBreaker.Transition>()

    const announce = (transition: Option.Option<CircuitBreaker.Transition>): Effect.Effect<void> =>
      Option.match(transition, {
        onNone: () => Effect.void,
        onSome: (t) =>
          Effect.zipRight(
            Effect.zipRight(PubSub.publish(pubsub, t), Metrics.recordBreakerTransition(t, options?.modelId)),
            options?.onStateChange === undefined ?
              Effect.void :
              Effect.catchAllCause(options.onStateChange(t), () => Effect.void)
          )
      })

    // One synchronous step admits the call and one settles it: the state is only touched inside them, so no other
    // fiber can interleave (the same guarantee `Ref.modify` gives, without an Effect per read and write).
    const admitNow = (now: number) => {
      const [result, next] = admit(limits, current, now)
      current = next
      return result
    }

    const settleNow = (generation: number, outcome: Outcome, now: number) => {
      const [changed, next] = settle(limits, current, generation, outcome, now)
      current = next
      return changed
    }

    const protect = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | CircuitOpenError, R> =>
      Effect.clockWith((clock) =>
        Effect.uninterruptibleMask((restore) =>
          Effect.suspend((): Effect.Effect<A, E | CircuitOpenError, R> => {
            const [admission, opened] = admitNow(clock.unsafeCurrentTimeMillis())
            if (admission._tag === "Rejected") return Effect.zipRight(announce(opened), admission.error)
            const run = Effect.onExit(
              restore(effect),
              (exit) =>
                Effect.suspend(() =>
                  announce(settleNow(admission.generation, outcomeOf(exit, isFailure), clock.unsafeCurrentTimeMillis()))
                )
            )
            return Option.isNone(opened) ? run : Effect.zipRight(announce(opened), run)
          })
        )
      )

    const reset = Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.suspend(() => {
        const previous = current
        if (previous._tag === "Closed") {
          current = { ...previous, failures: 0 }
          return Effect.void
        }
        current = { _tag: "Closed", generation: previous.generation + 1, failures: 0 }
        return announce(transition(previous, current, now))
      }))

    return CircuitBreaker.of({
      protect,
      state: Effect.map(Clock.currentTimeMillis, (now) => publicState(current, now, limits.resetTimeout)),
      changes: Stream.fromPubSub(pubsub),
      reset
    })
  })

/**
 * A layer with a circuit breaker built from the given configuration.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (config?: ConfigInput, options?: CircuitBreaker.Options): Layer.Layer<CircuitBreaker> =>
  Layer.effect(CircuitBreaker, make(config, options))

/**
 * A layer with a circuit breaker whose configuration is read through effect `Config` (by default
 * `CircuitBreakerConfig.fromEnv`, the `BEDROCK_BREAKER_*` variables).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config<CircuitBreakerConfig> = CircuitBreakerConfig.fromEnv,
  options?: CircuitBreaker.Options
): Layer.Layer<CircuitBreaker, ConfigError.ConfigError> =>
  Layer.effect(CircuitBreaker, Effect.flatMap(config, (resolved) => make(resolved, options)))

/**
 * Runs an effect through the `CircuitBreaker` in the context.
 *
 * @since 0.1.0
 * @category combinators
 */
export const protect = <A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E | CircuitOpenError, R | CircuitBreaker> =>
  Effect.flatMap(CircuitBreaker, (breaker) => breaker.protect(effect))
