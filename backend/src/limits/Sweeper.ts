/**
 * The sweep of stale budget reservations: a reservation whose instance died between reserving and settling would
 * keep its worst-case cost committed until the month ends. Every instance runs `sweepAll` on a `Schedule`; it releases
 * each budgeted key's reservations whose hold has expired (`Budget.sweep`). A release is conditional on the hold still
 * being there, so instances sweeping at once, or a settlement racing a sweep, release each reservation once.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import { KeyStore } from "../keys/KeyStore.js"
import type { StoreError } from "../StoreError.js"
import { Budget } from "./Budget.js"

/**
 * How long reservations are held: the configured time, but never less than a request can last plus a minute (a
 * shorter hold would release reservations of calls still running).
 *
 * @since 0.1.0
 * @category utils
 */
export const holdFor = (settings: {
  readonly reservationTtl: Duration.Duration
  readonly requestTimeout: Duration.Duration
}): Duration.Duration =>
  Duration.max(settings.reservationTtl, Duration.sum(settings.requestTimeout, Duration.minutes(1)))

/**
 * Releases the expired reservations of every key with a budget that is not revoked; how many it released.
 *
 * @since 0.1.0
 * @category sweeping
 */
export const sweepAll: Effect.Effect<number, StoreError, KeyStore | Budget> = Effect.gen(function*() {
  const budget = yield* Budget
  const keys = yield* Effect.flatMap(KeyStore, (store) => store.list)
  let released = 0
  for (const key of keys) {
    if (key.monthlyBudgetMicroUsd !== undefined && key.revokedAt === undefined) released += yield* budget.sweep(key.id)
  }
  if (released > 0) yield* Effect.logInfo(`released ${released} expired budget reservation(s)`)
  return released
})

/**
 * Runs `sweepAll` every `interval` for as long as the layer lives; a store that does not answer is logged and the
 * next sweep tries again.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (interval: Duration.DurationInput): Layer.Layer<never, never, KeyStore | Budget> =>
  Layer.scopedDiscard(Effect.forkScoped(
    sweepAll.pipe(
      Effect.catchAll((error) => Effect.logWarning("the sweep of expired budget reservations failed", error)),
      Effect.repeat(Schedule.spaced(interval))
    )
  ))
