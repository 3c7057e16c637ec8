/**
 * A stream over a pull that is opened by the first pull, in a scope of its own that the stream's end closes (done,
 * failed, interrupted or left early): one `repeatEffectChunkOption` stage and an `ensuring`, where `unwrapScoped`
 * would add a nested stream (a `flatten`) whose machinery runs for every chunk. `BedrockClient` streams the same way.
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
export type Pull<A, E> = Effect.Effect<Chunk.Chunk<A>, Option.Option<E>>

export const fromScopedPull = <A, E, R>(
  open: Effect.Effect<Pull<A, E>, never, R | Scope.Scope>
): Stream.Stream<A, E, Exclude<R, Scope.Scope>> =>
  Stream.suspend(() => {
    let scope: Scope.CloseableScope | undefined
    let pull: Pull<A, E> | undefined
    const next = Effect.suspend(() =>
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
