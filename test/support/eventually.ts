/**
 * Waiting for something a loopback server does on its own time (the emulator counting an aborted stream after the
 * client's socket closed, a request reaching it): real time even when a test's clock is not, and bounded.
 */
import * as Effect from "effect/Effect"

/** Polls `check` every 10 ms, at most `tries` times (2 s by default); whether it holds in the end. */
export const eventuallyAsync = async (check: () => boolean, tries = 200): Promise<boolean> => {
  for (let i = 0; i < tries && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10))
  return check()
}

/** `eventuallyAsync` as an Effect. */
export const eventually = (check: () => boolean, tries?: number): Effect.Effect<boolean> =>
  Effect.promise(() => eventuallyAsync(check, tries))
