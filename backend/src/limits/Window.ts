/**
 * Calendar windows of the limits, in UTC: the minute of a rate-limit window and the month of a budget, from an epoch
 * time in milliseconds (the `Clock`'s).
 *
 * @since 0.1.0
 */

/**
 * The minute window of a time: its index (minutes since the epoch) and the milliseconds left in it.
 *
 * @since 0.1.0
 * @category utils
 */
export const minute = (now: number): { readonly index: number; readonly endsInMs: number } => {
  const index = Math.floor(now / 60_000)
  return { index, endsInMs: (index + 1) * 60_000 - now }
}

/**
 * The month of a time as `YYYY-MM` and the milliseconds until the next one starts.
 *
 * @since 0.1.0
 * @category utils
 */
export const month = (now: number): { readonly period: string; readonly endsInMs: number } => {
  const date = new Date(now)
  const year = date.getUTCFullYear()
  const monthIndex = date.getUTCMonth()
  return {
    period: `${year}-${String(monthIndex + 1).padStart(2, "0")}`,
    endsInMs: Date.UTC(year, monthIndex + 1, 1) - now
  }
}

/**
 * The day of a time as `YYYY-MM-DD`.
 *
 * @since 0.1.0
 * @category utils
 */
export const day = (now: number): string => new Date(now).toISOString().slice(0, 10)

/**
 * Whole seconds, rounded up, at least 1: what a `Retry-After` header says.
 *
 * @since 0.1.0
 * @category utils
 */
export const retryAfterSeconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000))
