/**
 * Per-call settings as a service in context, merged field by field over the ones already there.
 *
 * @internal
 */
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"

const merged = <S extends object>(current: Option.Option<S>, overrides: S): S =>
  Option.isSome(current) ? { ...current.value, ...overrides } : overrides

/** Runs an effect with `overrides` over the settings in context. */
export const provideOverrides =
  <I, S extends object>(tag: Context.Tag<I, S>) =>
  <A, E, R>(self: Effect.Effect<A, E, R>, overrides: S): Effect.Effect<A, E, R> =>
    Effect.flatMap(
      Effect.serviceOption(tag),
      (current) => Effect.provideService(self, tag, merged(current, overrides))
    ) as Effect.Effect<A, E, R>

/** Runs a stream with `overrides` over the settings in context. */
export const provideOverridesStream =
  <I, S extends object>(tag: Context.Tag<I, S>) =>
  <A, E, R>(self: Stream.Stream<A, E, R>, overrides: S): Stream.Stream<A, E, R> =>
    Stream.unwrap(
      Effect.map(Effect.serviceOption(tag), (current) => Stream.provideService(self, tag, merged(current, overrides)))
    ) as Stream.Stream<A, E, R>
