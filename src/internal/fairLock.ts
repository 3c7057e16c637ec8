/**
 * A first-come, first-served mutex. `Effect.Semaphore` lets a fiber that releases and takes again at once overtake
 * fibers already waiting, which can starve them; this lock hands ownership to the oldest waiter on release.
 *
 * @internal
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"

/** @internal */
export interface FairLock {
  readonly withLock: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

/** @internal */
export const unsafeMake = (): FairLock => {
  let held = false
  const waiters: Array<Deferred.Deferred<void>> = []

  const release = Effect.sync(() => {
    const next = waiters.shift()
    if (next === undefined) held = false
    else Deferred.unsafeDone(next, Exit.void)
  })

  const acquire = (restore: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>) =>
    Effect.suspend(() => {
      if (!held) {
        held = true
        return Effect.void
      }
      const waiter = Deferred.unsafeMake<void>(FiberId.none)
      waiters.push(waiter)
      return restore(Deferred.await(waiter)).pipe(
        Effect.onInterrupt(() =>
          Effect.suspend(() => {
            const index = waiters.indexOf(waiter)
            if (index >= 0) {
              waiters.splice(index, 1)
              return Effect.void
            }
            return release
          })
        )
      )
    })

  return {
    withLock: (self) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.zipRight(acquire(restore), Effect.ensuring(restore(self), release))
      )
  }
}
