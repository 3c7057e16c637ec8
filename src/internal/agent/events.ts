/**
 * Where a run's events go: the run's `onEvent`, the `stream` consumer, both or neither. With neither, `emit` is a
 * no-op, and the loop skips the work that only an event needs (`listening`).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type { Event } from "../../Agent.js"

/** @internal */
export interface Emitter<A> {
  /** Whether anyone receives the events (an `onEvent` callback or a `stream` consumer). */
  readonly listening: boolean
  readonly emit: (event: Event<A>) => Effect.Effect<void>
}

const silent = (): Effect.Effect<void> => Effect.void

/** @internal */
export const make = <A>(
  onEvent: ((event: Event) => Effect.Effect<void>) | undefined,
  consumer: ((event: Event<A>) => Effect.Effect<void>) | undefined
): Emitter<A> => {
  if (onEvent === undefined && consumer === undefined) return { listening: false, emit: silent }
  if (onEvent === undefined) return { listening: true, emit: consumer! }
  if (consumer === undefined) return { listening: true, emit: onEvent as (event: Event<A>) => Effect.Effect<void> }
  return { listening: true, emit: (event) => Effect.zipRight(onEvent(event as Event), consumer(event)) }
}
