/**
 * Requests-per-minute and tokens-per-minute limits of a key, atomic across instances: one counter per key and
 * calendar minute (UTC). A call takes one request and its worst-case tokens (input estimate plus `maxTokens`) in the
 * minute it starts; settling replaces the worst case by the tokens really used. A refusal names the limit and the
 * seconds until the window ends.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { RateLimited } from "../GatewayError.js"
import type { StoreError } from "../StoreError.js"
import { Counters } from "./Counters.js"
import * as Window from "./Window.js"

/**
 * The limits of a key that apply to one call, and its worst-case tokens.
 *
 * @since 0.1.0
 * @category models
 */
export interface Demand {
  readonly keyId: string
  readonly rpm?: number | undefined
  readonly tpm?: number | undefined
  readonly tokens: number
}

/**
 * What a call holds in a window until it settles.
 *
 * @since 0.1.0
 * @category models
 */
export interface Permit {
  readonly counter: string
  readonly expiresAt: number
  readonly tokens: number
  readonly requestTaken: boolean
  readonly tokensTaken: boolean
}

/**
 * @since 0.1.0
 */
export declare namespace RateLimiter {
  /**
   * The rate limiter.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /** Takes a request and the demand's tokens from the current minute, or fails with `RateLimited`. */
    readonly acquire: (demand: Demand) => Effect.Effect<Permit, RateLimited | StoreError>
    /** Replaces the permit's worst-case tokens by the tokens used (in the permit's own window). */
    readonly settle: (permit: Permit, tokensUsed: number) => Effect.Effect<void, StoreError>
    /** Gives back everything the permit took (the call was refused later, before reaching Bedrock). */
    readonly release: (permit: Permit) => Effect.Effect<void, StoreError>
  }
}

/**
 * The rate limiter service.
 *
 * @since 0.1.0
 * @category services
 */
export class RateLimiter extends Context.Tag("bedrock-llm-backend/RateLimiter")<RateLimiter, RateLimiter.Service>() {}

/**
 * Builds the rate limiter over the counters in context.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<RateLimiter.Service, never, Counters> = Effect.map(Counters, (counters) => {
  const refused = (demand: Demand, limit: "rpm" | "tpm", endsInMs: number, message: string) =>
    new RateLimited({ message, keyId: demand.keyId, limit, retryAfterSeconds: Window.retryAfterSeconds(endsInMs) })

  const acquire = (demand: Demand) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const window = Window.minute(now)
      const counter = `rate#${demand.keyId}#${window.index}`
      const expiresAt = now + window.endsInMs + 60_000
      const requestTaken = demand.rpm !== undefined
      if (demand.rpm !== undefined) {
        const taken = yield* counters.tryAdd(counter, "requests", 1, demand.rpm, expiresAt)
        if (!taken) {
          return yield* refused(
            demand,
            "rpm",
            window.endsInMs,
            `Rate limit reached: ${demand.rpm} requests per minute for this key.`
          )
        }
      }
      const tokensTaken = demand.tpm !== undefined
      if (demand.tpm !== undefined) {
        const taken = yield* counters.tryAdd(counter, "tokens", demand.tokens, demand.tpm, expiresAt)
        if (!taken) {
          if (requestTaken) yield* counters.add(counter, { requests: -1 }, expiresAt)
          return yield* refused(
            demand,
            "tpm",
            window.endsInMs,
            `Rate limit reached: ${demand.tpm} tokens per minute for this key (this call may use up to ${demand.tokens}).`
          )
        }
      }
      return { counter, expiresAt, tokens: demand.tokens, requestTaken, tokensTaken }
    })

  return RateLimiter.of({
    acquire,
    settle: (permit, tokensUsed) =>
      permit.tokensTaken
        ? counters.add(permit.counter, { tokens: tokensUsed - permit.tokens }, permit.expiresAt)
        : Effect.void,
    release: (permit) =>
      counters.add(permit.counter, {
        ...(permit.requestTaken ? { requests: -1 } : {}),
        ...(permit.tokensTaken ? { tokens: -permit.tokens } : {})
      }, permit.expiresAt)
  })
})

/**
 * The rate limiter as a layer over the counters in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<RateLimiter, never, Counters> = Layer.effect(RateLimiter, make)
