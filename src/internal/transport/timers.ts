/**
 * Deadlines without a fiber. On Effect's live clock a sleep is a plain `setTimeout`; a deadline that only has to call
 * back (abort a request) can use the timer directly, which costs far less than forking a fiber to sleep. Any other
 * clock (e.g. `TestClock`) must be slept on through Effect, so callers keep a fiber-based path for it.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"

/** The clock of Effect's default services. */
export const liveClock: Clock.Clock = Context.get(DefaultServices.liveServices, Clock.Clock)

/** The longest delay a JavaScript timer takes; like Effect's clock, a longer one never fires. */
const maxTimerMillis = 2 ** 31 - 1

/** Calls `task` after `millis` (never, past the timer limit); returns the cancel function. */
export const schedule = (millis: number, task: () => void): () => void => {
  if (millis > maxTimerMillis) return () => {}
  const timer = setTimeout(task, Math.max(0, millis))
  return () => clearTimeout(timer)
}
