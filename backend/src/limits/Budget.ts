/**
 * Monthly budgets that cannot be overspent, even by many instances at once. One counter per key and calendar month
 * (UTC) holds `committed` (settled cost plus outstanding reservations) and `spent` (settled cost), in integer
 * micro-USD. Before a call its worst-case cost is reserved with one conditional write (`committed + w <= budget`);
 * after it, settling replaces the reservation by the real cost. Each reservation is a hold on the counter (see
 * `Counters`) that expires after `holdFor`: an instance that dies between reserving and settling leaves money
 * over-counted only until some instance's `sweep` releases its expired holds (`Sweeper` runs it on a schedule), never
 * under-counted, and a late settlement of a swept reservation still counts what the call cost.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { randomBytes } from "node:crypto"
import { BudgetExhausted } from "../GatewayError.js"
import type { StoreError } from "../StoreError.js"
import { Counters } from "./Counters.js"
import * as Window from "./Window.js"

/**
 * Micro-USD in one USD.
 *
 * @since 0.1.0
 * @category constants
 */
export const microUsdPerUsd = 1_000_000

/**
 * USD as integer micro-USD, rounded up (a budget never rounds in the caller's favour).
 *
 * @since 0.1.0
 * @category utils
 */
export const toMicroUsd = (usd: number): number => Math.ceil(Math.round(usd * microUsdPerUsd * 1000) / 1000)

/**
 * A reservation of a call, held until it settles.
 *
 * @since 0.1.0
 * @category models
 */
export interface Reservation {
  readonly keyId: string
  readonly counter: string
  readonly expiresAt: number
  readonly amountMicroUsd: number
  /** The reservation's hold on the counter. */
  readonly holdId: string
}

/**
 * A key's month so far.
 *
 * @since 0.1.0
 * @category models
 */
export interface MonthStatus {
  readonly period: string
  readonly committedMicroUsd: number
  readonly spentMicroUsd: number
}

/**
 * A key's month right after a settlement.
 *
 * @since 0.1.0
 * @category models
 */
export interface Spent {
  readonly committedMicroUsd: number
  readonly spentMicroUsd: number
}

/**
 * @since 0.1.0
 */
export declare namespace Budget {
  /**
   * The budget service.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /**
     * Reserves `amountMicroUsd` of the key's `budgetMicroUsd` for this month, or fails with `BudgetExhausted`. The
     * hold lasts the service's hold time unless `holdFor` says longer (a batch that runs for hours).
     */
    readonly reserve: (
      keyId: string,
      budgetMicroUsd: number,
      amountMicroUsd: number,
      options?: { readonly holdFor?: Duration.Duration | undefined }
    ) => Effect.Effect<Reservation, BudgetExhausted | StoreError>
    /** Replaces the reservation by the real cost (0 when the call used nothing); the key's month after it. */
    readonly settle: (reservation: Reservation, actualMicroUsd: number) => Effect.Effect<Spent, StoreError>
    /** The key's current month. */
    readonly status: (keyId: string) => Effect.Effect<MonthStatus, StoreError>
    /** Releases the key's reservations that have expired unsettled (this month's and last month's); how many. */
    readonly sweep: (keyId: string) => Effect.Effect<number, StoreError>
  }
}

/**
 * The budget service.
 *
 * @since 0.1.0
 * @category services
 */
export class Budget extends Context.Tag("bedrock-llm-backend/Budget")<Budget, Budget.Service>() {}

const keepMonths = 400 * 24 * 60 * 60 * 1000

/**
 * How long a reservation is held before a sweep may release it, by default: above the gateway's default request
 * timeout of 10 minutes.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultHoldFor: Duration.Duration = Duration.minutes(15)

const holdMillisOf = (holdFor: Duration.Duration | undefined): number =>
  holdFor === undefined ? 0 : Duration.toMillis(holdFor)

/** A moment in the month before the one of `now`. */
const lastMonthOf = (now: number): number => {
  const date = new Date(now)
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1) - 1
}

/** Hold ids: a random prefix per process and a counter (unique without a call into the CSPRNG per reservation). */
const holdPrefix = randomBytes(6).toString("hex")
let holds = 0
const nextHoldId = () => `${holdPrefix}${(++holds).toString(36)}`

/**
 * Builds the budget service over the counters in context; reservations are held for `holdFor`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeWith = (holdFor: Duration.Duration): Effect.Effect<Budget.Service, never, Counters> =>
  Effect.map(Counters, (counters) => {
    const holdMs = Duration.toMillis(holdFor)
    const counterOf = (keyId: string, now: number) => {
      const month = Window.month(now)
      return { ...month, counter: `budget#${keyId}#${month.period}`, expiresAt: now + keepMonths }
    }
    return Budget.of({
      reserve: (keyId, budgetMicroUsd, amountMicroUsd, options) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const month = counterOf(keyId, now)
          const holdId = nextHoldId()
          const reserved = yield* counters.tryAdd(
            month.counter,
            "committed",
            amountMicroUsd,
            budgetMicroUsd,
            month.expiresAt,
            { id: holdId, expiresAt: now + Math.max(holdMs, holdMillisOf(options?.holdFor)) }
          )
          if (!reserved) {
            return yield* new BudgetExhausted({
              message: `The key's monthly budget of $${
                (budgetMicroUsd / microUsdPerUsd).toFixed(2)
              } cannot cover this call (up to $${(amountMicroUsd / microUsdPerUsd).toFixed(6)}).`,
              keyId,
              budgetMicroUsd,
              requiredMicroUsd: amountMicroUsd,
              retryAfterSeconds: Window.retryAfterSeconds(month.endsInMs)
            })
          }
          return { keyId, counter: month.counter, expiresAt: month.expiresAt, amountMicroUsd, holdId }
        }),
      settle: (reservation, actualMicroUsd) =>
        Effect.gen(function*() {
          const released = yield* counters.release(reservation.counter, reservation.holdId, {
            committed: actualMicroUsd - reservation.amountMicroUsd,
            spent: actualMicroUsd
          }, reservation.expiresAt)
          // Swept already (this settlement came after the hold expired): the reservation is gone, the cost is not.
          const values = Option.isSome(released) ? released.value : yield* counters.add(reservation.counter, {
            committed: actualMicroUsd,
            spent: actualMicroUsd
          }, reservation.expiresAt)
          return { committedMicroUsd: values["committed"] ?? 0, spentMicroUsd: values["spent"] ?? 0 }
        }),
      status: (keyId) =>
        Effect.gen(function*() {
          const month = counterOf(keyId, yield* Clock.currentTimeMillis)
          const values = yield* counters.get(month.counter)
          return {
            period: month.period,
            committedMicroUsd: values["committed"] ?? 0,
            spentMicroUsd: values["spent"] ?? 0
          }
        }),
      sweep: (keyId) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          // This month's holds and last month's (a long hold made then may expire now).
          const months = new Set([counterOf(keyId, now).counter, counterOf(keyId, lastMonthOf(now)).counter])
          let released = 0
          for (const counter of months) {
            for (const hold of yield* counters.expiredHolds(counter, now)) {
              const done = yield* counters.release(
                counter,
                hold.id,
                { [hold.attribute]: -hold.amount },
                now + keepMonths
              )
              if (Option.isSome(done)) released++
            }
          }
          return released
        })
    })
  })

/**
 * The budget service over the counters in context, with reservations held for `defaultHoldFor`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Budget.Service, never, Counters> = makeWith(defaultHoldFor)

/**
 * The budget service as a layer over the counters in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Budget, never, Counters> = Layer.effect(Budget, make)

/**
 * The budget service as a layer, with reservations held for `holdFor`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWith = (holdFor: Duration.Duration): Layer.Layer<Budget, never, Counters> =>
  Layer.effect(Budget, makeWith(holdFor))
