/**
 * A stream over a pull that is opened by the first pull, in a scope of its own that the stream's end closes (done,
 * failed, interrupted or left early). It is what `Stream.fromPull` does, as one `repeatEffectChunkOption` stage and an
 * `ensuring`: `Stream.fromPull` (an `unwrapScoped`) adds a nested stream whose machinery runs for every chunk, and
 * opening the pull on the first pull keeps a stream that is never run from doing anything.
 *
 * @internal
 */
import type * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"

/** Each run gives the next chunk, or fails with `None` at the end. */
export type Pull<A, E, R = never> = Effect.Effect<Chunk.Chunk<A>, Option.Option<E>, R>

export const fromScopedPull = <A, E, R, R2>(
  open: Effect.Effect<Pull<A, E, R2>, never, R | Scope.Scope>
): Stream.Stream<A, E, Exclude<R, Scope.Scope> | R2> =>
  Stream.suspend(() => {
    let scope: Scope.CloseableScope | undefined
    let pull: Pull<A, E, R2> | undefined
    const next: Pull<A, E, Exclude<R, Scope.Scope> | R2> = Effect.suspend(() =>
      pull ?? Effect.flatMap(Scope.make(), (made) => {
        scope = made
        return Effect.flatMap(Scope.extend(open, made), (opened) => {
          pull = opened
          return opened
        })
      })
    )
    const close = Effect.suspend(() => scope === undefined ? Effect.void : Scope.close(scope, Exit.void))
    return Stream.ensuring(Stream.repeatEffectChunkOption(next), close)
  })
