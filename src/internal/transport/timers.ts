/**
 * Timers on an Effect `Clock`, for deadlines that only have to call back (abort a request, interrupt a fiber). On
 * Effect's live clock a timer is a plain `setTimeout`, because forking a fiber to sleep costs far more per call; on any
 * other clock (e.g. `TestClock`) it is a daemon fiber sleeping on that clock, so that tests drive it.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"

/** The clock of Effect's default services. */
export const liveClock: Clock.Clock = Context.get(DefaultServices.liveServices, Clock.Clock)

/** The longest delay a JavaScript timer takes; like Effect's clock, a longer one never fires. */
const maxTimerMillis = 2 ** 31 - 1

/** Cancels a timer; calling it again, or after the timer is done, does nothing. */
export type Cancel = () => void

/**
 * Runs `step` at once and again after every delay (in milliseconds) it returns, until it returns `undefined` or the
 * returned function cancels it.
 */
export const repeat = (clock: Clock.Clock, step: () => number | undefined): Effect.Effect<Cancel> =>
  clock === liveClock ? Effect.sync(() => repeatOnTimers(step)) : repeatOnFiber(clock, step)

/** Runs `task` once `millis` have passed, unless the returned function cancels it first. */
export const after = (clock: Clock.Clock, millis: number, task: () => void): Effect.Effect<Cancel> => {
  let due = false
  return repeat(clock, () => {
    if (due) return void task()
    due = true
    return millis
  })
}

const repeatOnTimers = (step: () => number | undefined): Cancel => {
  let timer: ReturnType<typeof setTimeout> | undefined
  let cancelled = false
  const tick = () => {
    timer = undefined
    if (cancelled) return
    const next = step()
    if (next !== undefined && next <= maxTimerMillis) timer = setTimeout(tick, Math.max(0, next))
  }
  tick()
  return () => {
    cancelled = true
    if (timer !== undefined) clearTimeout(timer)
  }
}

const repeatOnFiber = (clock: Clock.Clock, step: () => number | undefined): Effect.Effect<Cancel> => {
  const loop: Effect.Effect<void> = Effect.suspend(() => {
    const next = step()
    return next === undefined ? Effect.void : Effect.zipRight(clock.sleep(Duration.millis(next)), loop)
  })
  // A daemon: the fiber that starts a stream's deadlines need not be the one that reads it.
  return Effect.map(Effect.forkDaemon(loop), (fiber) => () => fiber.unsafeInterruptAsFork(FiberId.none))
}
