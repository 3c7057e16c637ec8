/**
 * The fibers a run forks (tool calls, approvers): children of the run's fiber, tracked so that the run interrupts
 * those still running when it ends, however it ends.
 *
 * A plain `Set` whose fibers remove themselves when they finish (`addObserver`), rather than a `FiberSet`: a
 * `FiberSet` needs a `Scope` per run, and making both is a visible share of a short run's cost.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"

/** @internal */
export interface ChildFibers {
  /** Forks `effect` as a child of the current fiber and tracks it until it finishes. */
  readonly fork: <A>(effect: Effect.Effect<A>) => Effect.Effect<Fiber.RuntimeFiber<A>>
  /** Interrupts every tracked fiber still running, and waits for them. */
  readonly interruptAll: Effect.Effect<void>
}

/** @internal */
export const make = (): ChildFibers => {
  const running = new Set<Fiber.RuntimeFiber<unknown>>()
  return {
    fork: (effect) =>
      Effect.map(Effect.fork(effect), (fiber) => {
        running.add(fiber)
        fiber.addObserver(() => running.delete(fiber))
        return fiber
      }),
    interruptAll: Effect.suspend(() => running.size === 0 ? Effect.void : Fiber.interruptAll(running))
  }
}
