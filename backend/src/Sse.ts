/**
 * Server-Sent Events from a `Stream`: each event is framed and written the moment it arrives (never collected), a
 * comment line keeps the connection alive after `keepAlive` without an event (proxies with idle timeouts, such as an
 * ALB's 60 s, would otherwise cut a stream while a model reasons), and a client that disconnects interrupts the
 * stream, which aborts the Bedrock request behind it.
 *
 * @since 0.1.0
 */
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"

/**
 * One event: an optional `event:` name and its `data:` (a string as is, anything else as JSON).
 *
 * @since 0.1.0
 * @category models
 */
export interface Event {
  readonly event?: string | undefined
  readonly data: unknown
  readonly id?: string | undefined
}

const encoder = new TextEncoder()

/**
 * The wire form of one event (multi-line data split over `data:` lines, as the format requires).
 *
 * @since 0.1.0
 * @category utils
 */
export const encode = (event: Event): Uint8Array => {
  const data = typeof event.data === "string" ? event.data : JSON.stringify(event.data)
  let frame = ""
  if (event.event !== undefined) frame += `event: ${event.event}\n`
  if (event.id !== undefined) frame += `id: ${event.id}\n`
  for (const line of data.split(/\r\n|\r|\n/)) frame += `data: ${line}\n`
  return encoder.encode(frame + "\n")
}

/**
 * The keep-alive comment.
 *
 * @since 0.1.0
 * @category constants
 */
export const keepAliveComment: Uint8Array = encoder.encode(": keep-alive\n\n")

/** Frames held for a slow client before the producer waits (a few events; the socket's buffer holds the rest). */
const mailboxFrames = 64

/**
 * The bytes of an event stream with keep-alive comments: a comment is written whenever `keepAlive` has passed since
 * the last event or comment (time on the `Clock`, so tests drive it with `TestClock`). The stream ends with `events`.
 *
 * One fiber runs `events` and one ticks; both put frames into a small mailbox that the response drains, everything
 * that has arrived as one chunk. (`Stream.merge` does the same with a queue hand-off per element, which makes its
 * allocations the largest part of an open stream's memory.)
 *
 * @since 0.1.0
 * @category combinators
 */
export const frames = <E, R>(
  events: Stream.Stream<Event, E, R>,
  keepAlive: Duration.DurationInput
): Stream.Stream<Uint8Array, E, R> => {
  const interval = Duration.toMillis(Duration.decode(keepAlive))
  return Stream.unwrapScoped(Effect.gen(function*() {
    const clock = yield* Effect.clock
    let lastWrite = clock.unsafeCurrentTimeMillis()
    let mailbox: Array<Uint8Array> = []
    let ended: Exit.Exit<void, E> | undefined
    let consumer: ((next: Effect.Effect<Chunk.Chunk<Uint8Array>, Option.Option<E>>) => void) | undefined
    let producer: (() => void) | undefined

    const take = (): Effect.Effect<Chunk.Chunk<Uint8Array>, Option.Option<E>> | undefined => {
      if (mailbox.length > 0) {
        const chunk = Chunk.unsafeFromArray(mailbox)
        mailbox = []
        const resume = producer
        producer = undefined
        resume?.()
        return Effect.succeed(chunk)
      }
      if (ended === undefined) return undefined
      return Exit.isSuccess(ended) ? Effect.fail(Option.none()) : Effect.failCause(Cause.map(ended.cause, Option.some))
    }
    const wake = () => {
      const resume = consumer
      consumer = undefined
      resume?.(pull)
    }
    const put = (frame: Uint8Array) => {
      mailbox.push(frame)
      lastWrite = clock.unsafeCurrentTimeMillis()
      wake()
    }
    const pull: Effect.Effect<Chunk.Chunk<Uint8Array>, Option.Option<E>> = Effect.suspend(() =>
      take() ?? Effect.async((resume) => {
        consumer = resume
      })
    )
    const room = Effect.async<void>((resume) => {
      if (mailbox.length < mailboxFrames) return resume(Effect.void)
      producer = () => resume(Effect.void)
    })

    yield* Stream.runForEachChunk(events, (chunk) =>
      Effect.suspend(() => {
        for (const event of chunk) put(encode(event))
        return mailbox.length < mailboxFrames ? Effect.void : room
      })).pipe(
        Effect.onExit((exit) =>
          Effect.sync(() => {
            ended = exit
            wake()
          })
        ),
        Effect.forkScoped
      )
    yield* Effect.sync(() => {
      if (ended === undefined && clock.unsafeCurrentTimeMillis() - lastWrite >= interval) put(keepAliveComment)
    }).pipe(
      Effect.repeat(Schedule.spaced(Duration.millis(Math.max(1, Math.floor(interval / 4))))),
      Effect.forkScoped
    )
    return Stream.repeatEffectChunkOption(pull)
  }))
}

/**
 * Headers of every event-stream response: no caching, no transformation, no proxy buffering (nginx honours
 * `x-accel-buffering`).
 *
 * @since 0.1.0
 * @category constants
 */
export const headers: Readonly<Record<string, string>> = {
  "cache-control": "no-cache, no-transform",
  "x-accel-buffering": "no"
}

/**
 * A `text/event-stream` response of the events, with keep-alive comments. Errors must already be events (each API
 * writes its own error event), hence `never`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const response = <R>(
  events: Stream.Stream<Event, never, R>,
  options: { readonly keepAlive: Duration.DurationInput; readonly headers?: Readonly<Record<string, string>> }
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, R> =>
  Effect.map(
    Effect.context<R>(),
    (context) =>
      HttpServerResponse.stream(Stream.provideContext(frames(events, options.keepAlive), context), {
        contentType: "text/event-stream",
        headers: { ...headers, ...options.headers }
      })
  )
