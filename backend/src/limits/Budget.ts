/**
 * Monthly budgets that cannot be overspent, even by many instances at once. One counter per key and calendar month
 * (UTC) holds `committed` (settled cost plus outstanding reservations) and `spent` (settled cost), in integer
 * micro-USD. Before a call its worst-case cost is reserved with one conditional write (`committed + w <= budget`);
 * after it, settling replaces the reservation by the real cost. A crash between the two leaves money over-counted,
 * never under-counted.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
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
    /** Reserves `amountMicroUsd` of the key's `budgetMicroUsd` for this month, or fails with `BudgetExhausted`. */
    readonly reserve: (
      keyId: string,
      budgetMicroUsd: number,
      amountMicroUsd: number
    ) => Effect.Effect<Reservation, BudgetExhausted | StoreError>
    /** Replaces the reservation by the real cost (0 when the call used nothing); the key's month after it. */
    readonly settle: (reservation: Reservation, actualMicroUsd: number) => Effect.Effect<Spent, StoreError>
    /** The key's current month. */
    readonly status: (keyId: string) => Effect.Effect<MonthStatus, StoreError>
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
 * Builds the budget service over the counters in context.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Budget.Service, never, Counters> = Effect.map(Counters, (counters) => {
  const counterOf = (keyId: string, now: number) => {
    const month = Window.month(now)
    return { ...month, counter: `budget#${keyId}#${month.period}`, expiresAt: now + keepMonths }
  }
  return Budget.of({
    reserve: (keyId, budgetMicroUsd, amountMicroUsd) =>
      Effect.gen(function*() {
        const month = counterOf(keyId, yield* Clock.currentTimeMillis)
        const reserved = yield* counters.tryAdd(
          month.counter,
          "committed",
          amountMicroUsd,
          budgetMicroUsd,
          month.expiresAt
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
        return { keyId, counter: month.counter, expiresAt: month.expiresAt, amountMicroUsd }
      }),
    settle: (reservation, actualMicroUsd) =>
      Effect.map(
        counters.add(reservation.counter, {
          committed: actualMicroUsd - reservation.amountMicroUsd,
          spent: actualMicroUsd
        }, reservation.expiresAt),
        (values) => ({ committedMicroUsd: values["committed"] ?? 0, spentMicroUsd: values["spent"] ?? 0 })
      ),
    status: (keyId) =>
      Effect.gen(function*() {
        const month = counterOf(keyId, yield* Clock.currentTimeMillis)
        const values = yield* counters.get(month.counter)
        return {
          period: month.period,
          committedMicroUsd: values["committed"] ?? 0,
          spentMicroUsd: values["spent"] ?? 0
        }
      })
  })
})

/**
 * The budget service as a layer over the counters in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Budget, never, Counters> = Layer.effect(Budget, make)
