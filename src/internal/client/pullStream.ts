/**
 * A stream over a pull that is opened by the first pull, in a scope of its own that the stream's end closes (done,
 * failed, interrupted or left early). It is what `Stream.fromPull` does, in fewer steps: `Stream.fromPull` (an
 * `unwrapScoped`) adds a nested stream whose machinery runs for every chunk, and `Stream.repeatEffectChunkOption`
 * wraps every chunk in an `Option` and a tuple and unwraps a channel per chunk; here each chunk is one effect, one
 * `write` and one step of a channel loop. Opening the pull on the first pull keeps a stream that is never run from
 * doing anything.
 *
 * @internal
 */
import * as Channel from "effect/Channel"
import type * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"

/** Each run gives the next chunk, or fails with `None` at the end. */
export type Pull<A, E, R = never> = Effect.Effect<Chunk.Chunk<A>, Option.Option<E>, R>

/** What a pull gives at its end, in the channel loop (a chunk is never this value). */
const end: unique symbol = Symbol("bedrock-llm/pullStream/end")

/** The chunks of a pull, written one by one until it ends; its failure is the channel's. */
const channelOf = <A, E, R>(
  pull: Pull<A, E, R>
): Channel.Channel<Chunk.Chunk<A>, unknown, E, unknown, void, unknown, R> => {
  const step = Effect.catchAll(
    pull,
    (error): Effect.Effect<typeof end, E> => Option.isNone(error) ? Effect.succeed(end) : Effect.fail(error.value)
  )
  const loop: Channel.Channel<Chunk.Chunk<A>, unknown, E, unknown, void, unknown, R> = Channel.flatMap(
    Channel.fromEffect(step),
    (chunk) => chunk === end ? Channel.void : Channel.flatMap(Channel.write(chunk), () => loop)
  )
  return loop
}

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
    return Stream.ensuring(Stream.fromChannel(channelOf(next)), close)
  })
