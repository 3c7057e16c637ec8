/**
 * Progress of long work (an `embedMany` of thousands of texts, a `batch`, an agent run): items finished of the total,
 * failures so far, tokens and cost so far. A `Progress` is a plain value; a `Reporter` keeps the current one, gives
 * it to a callback on every change and publishes it as a `Stream`.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"

/** How far a piece of work has got. */
export interface Progress {
  /** Items in all. */
  readonly total: number
  /** Items finished, the failed ones included. */
  readonly done: number
  /** Items that failed (for an agent run: tool calls that failed). */
  readonly failed: number
  readonly inputTokens: number
  readonly outputTokens: number
  /** USD, at the model catalog's prices. */
  readonly cost: number
  /** When the work started and when it last changed (epoch milliseconds, from `Clock`). */
  readonly startedAt: number
  readonly updatedAt: number
  /** Set when the work ended, whether or not every item was done. */
  readonly ended: boolean
}

/** What finishing some items adds. */
export interface Advance {
  readonly done?: number | undefined
  /** Items that failed (counted as done too). */
  readonly failed?: number | undefined
  /** Failures within finished items, not items themselves (an agent step's failed tool calls): only in `failed`. */
  readonly failures?: number | undefined
  readonly inputTokens?: number | undefined
  readonly outputTokens?: number | undefined
  readonly cost?: number | undefined
}

/** The progress of work of `total` items that started at `now`. */
export const start = (total: number, now: number): Progress => ({
  total: Math.max(0, total),
  done: 0,
  failed: 0,
  inputTokens: 0,
  outputTokens: 0,
  cost: 0,
  startedAt: now,
  updatedAt: now,
  ended: false
})

/** `progress` after `step` at `now`. `failed` items count as done too; `failures` only as failed. */
export const advance = (progress: Progress, step: Advance, now: number): Progress => {
  const failed = step.failed ?? 0
  return {
    ...progress,
    done: Math.min(progress.total, progress.done + (step.done ?? 0) + failed),
    failed: progress.failed + failed + (step.failures ?? 0),
    inputTokens: progress.inputTokens + (step.inputTokens ?? 0),
    outputTokens: progress.outputTokens + (step.outputTokens ?? 0),
    cost: progress.cost + (step.cost ?? 0),
    updatedAt: now
  }
}

/** Done over total, between 0 and 1 (1 for work of no items). */
export const fraction = (progress: Progress): number =>
  progress.total === 0 ? 1 : Math.min(1, progress.done / progress.total)

/** Items finished per second so far (0 before any time has passed). */
export const ratePerSecond = (progress: Progress): number => {
  const elapsed = progress.updatedAt - progress.startedAt
  return elapsed <= 0 ? 0 : (progress.done * 1000) / elapsed
}

/** The time left at the rate so far, in milliseconds; `undefined` until an item has finished. */
export const remainingMillis = (progress: Progress): number | undefined => {
  const rate = ratePerSecond(progress)
  return rate === 0 ? undefined : ((progress.total - progress.done) * 1000) / rate
}

/** Keeps the progress of one piece of work. */
export interface Reporter {
  /** Adds finished items (and their tokens and cost). */
  readonly advance: (step: Advance) => Effect.Effect<void>
  /** Marks the work ended (done or not); `changes` ends after it. */
  readonly end: Effect.Effect<void>
  readonly current: Effect.Effect<Progress>
  /** The current progress, then every change, until the work ends. */
  readonly changes: Stream.Stream<Progress>
}

/** A reporter of work of `total` items, calling `onProgress` (if given) with every change. */
export const makeReporter = (
  total: number,
  onProgress?: ((progress: Progress) => Effect.Effect<void>) | undefined
): Effect.Effect<Reporter> =>
  Effect.gen(function*() {
    const now = yield* Effect.clockWith((clock) => clock.currentTimeMillis)
    const ref = yield* SubscriptionRef.make(start(total, now))
    const publish = (change: (progress: Progress, now: number) => Progress) =>
      Effect.clockWith((clock) =>
        Effect.flatMap(
          SubscriptionRef.updateAndGet(ref, (progress) => change(progress, clock.unsafeCurrentTimeMillis())),
          (progress) => onProgress === undefined ? Effect.void : onProgress(progress)
        )
      )
    return {
      advance: (step) => publish((progress, at) => advance(progress, step, at)),
      end: Effect.flatMap(SubscriptionRef.get(ref), (progress) =>
        progress.ended ? Effect.void : publish((current, at) => ({ ...current, ended: true, updatedAt: at }))),
      current: SubscriptionRef.get(ref),
      changes: Stream.takeUntil(ref.changes, (progress) =>
        progress.ended)
    }
  })

/**
 * Runs `work` with a reporter of `total` items, ending the report when `work` ends (however it ends); `onProgress`
 * sees every change.
 */
export const track = <A, E, R>(
  total: number,
  work: (reporter: Reporter) => Effect.Effect<A, E, R>,
  onProgress?: ((progress: Progress) => Effect.Effect<void>) | undefined
): Effect.Effect<A, E, R> =>
  Effect.flatMap(makeReporter(total, onProgress), (reporter) => Effect.ensuring(work(reporter), reporter.end))
