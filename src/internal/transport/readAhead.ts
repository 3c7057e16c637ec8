/**
 * Reads an async iterator ahead of its consumer, in plain JavaScript, into a bounded buffer, and hands the consumer
 * everything that has arrived as one chunk. A waiting consumer is woken at most once per turn of the event loop
 * (`setImmediate`), so the events decoded from one network read arrive in the same chunk and the Effect machinery
 * above (one fiber resumption, each `Stream` stage) runs once per read instead of once per event. Two exceptions keep
 * latency down: the first `eager` events are handed over as soon as they are decoded (time to first token), and a
 * waiting consumer gets the buffer as soon as it holds `batch` events (a backlog is decoded in one go otherwise).
 *
 * A waiting consumer is resumed with the pull itself, which takes the buffer only once the consumer runs again. A
 * consumer interrupted while it waits therefore loses nothing: its resumption is ignored and the events stay buffered
 * for the next pull. No canceler is registered for the wait (in a stream of events that arrive one at a time, one
 * costs more than the rest of the wait).
 *
 * An iterator that ends is not taken at its word: `unfinished` looks at the last event and may turn the end into a
 * failure (a connection cut at a frame boundary ends the SDK's iterator as if the stream were complete). Only the last
 * event is kept for it, so the check costs one assignment per event.
 *
 * @internal
 */
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

export interface ReadAhead<A, E> {
  /** The next chunk (never empty); fails with `None` at the end, with `Some(error)` when the iterator failed. */
  readonly pull: Effect.Effect<Chunk.Chunk<A>, Option.Option<E>>
}

export interface Options<A, E> {
  /** Events held before reading pauses (the HTTP/2 stream's flow control then holds the rest). */
  readonly highWaterMark: number
  /** Events after which a waiting consumer is woken at once rather than at the end of the turn. */
  readonly batch: number
  /** Events at the start that are handed over one by one, as soon as each is decoded. */
  readonly eager: number
  /** What the iterator's rejection becomes. */
  readonly failure: (error: unknown) => E
  /**
   * A failure that overrides how the iterator ended (a passed deadline aborts the request, after which the body may
   * simply end), or `undefined`.
   */
  readonly expired: () => E | undefined
  /**
   * The failure of an iterator that ended by itself after `last` (`undefined`: no event at all) without the event a
   * complete stream ends with, or `undefined` when the stream is complete.
   */
  readonly unfinished: (last: A | undefined) => E | undefined
  /** Called once when the iterator ends by itself, complete. */
  readonly onEnd: () => void
  /** Called when the consumer starts waiting with nothing buffered, and when that wait ends. */
  readonly onWait: (waiting: boolean) => void
}

type Settled<E> = { readonly _tag: "End" } | { readonly _tag: "Failure"; readonly error: E }

/** Starts reading the iterator ahead at once. */
export const start = <A, E>(iterator: AsyncIterator<A>, options: Options<A, E>): ReadAhead<A, E> => {
  let buffer: Array<A> = []
  let settled: Settled<E> | undefined
  let reading = false
  let waiter: ((next: Effect.Effect<Chunk.Chunk<A>, Option.Option<E>>) => void) | undefined
  let wakeScheduled = false
  let delivered = 0
  let last: A | undefined

  const take = (): Effect.Effect<Chunk.Chunk<A>, Option.Option<E>> | undefined => {
    if (buffer.length > 0) {
      const chunk = Chunk.unsafeFromArray(buffer)
      delivered += buffer.length
      buffer = []
      if (!reading && settled === undefined) void read()
      return Effect.succeed(chunk)
    }
    if (settled === undefined) return undefined
    return settled._tag === "End" ? Effect.fail(Option.none()) : Effect.fail(Option.some(settled.error))
  }

  const wake = () => {
    wakeScheduled = false
    const resume = waiter
    if (resume === undefined || (buffer.length === 0 && settled === undefined)) return
    waiter = undefined
    options.onWait(false)
    resume(pull)
  }

  const scheduleWake = () => {
    if (waiter === undefined || wakeScheduled) return
    wakeScheduled = true
    setImmediate(wake)
  }

  const read = async (): Promise<void> => {
    reading = true
    try {
      while (buffer.length < options.highWaterMark) {
        const result = await iterator.next()
        if (result.done === true) {
          const error = options.expired() ?? options.unfinished(last)
          if (error === undefined) options.onEnd()
          settled = error === undefined ? { _tag: "End" } : { _tag: "Failure", error }
          break
        }
        last = result.value
        buffer.push(result.value)
        if (waiter !== undefined && (delivered < options.eager || buffer.length >= options.batch)) wake()
        else scheduleWake()
      }
    } catch (error) {
      settled = { _tag: "Failure", error: options.expired() ?? options.failure(error) }
    }
    reading = false
    scheduleWake()
  }

  const wait = Effect.async<Chunk.Chunk<A>, Option.Option<E>>((resume) => {
    waiter = resume
    options.onWait(true)
    if (!reading) void read()
  })

  const pull: Effect.Effect<Chunk.Chunk<A>, Option.Option<E>> = Effect.suspend(() => take() ?? wait)

  void read()
  return { pull }
}
