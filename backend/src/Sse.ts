/**
 * Server-Sent Events from a `Stream`: each event is framed and written the moment it arrives (never collected), a
 * comment line keeps the connection alive after `keepAlive` without an event (proxies with idle timeouts, such as an
 * ALB's 60 s, would otherwise cut a stream while a model reasons), and a client that disconnects interrupts the
 * stream, which aborts the Bedrock request behind it.
 *
 * @since 0.1.0
 */
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
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

/**
 * The bytes of an event stream with keep-alive comments: a comment is written whenever `keepAlive` has passed since
 * the last event or comment (time on the `Clock`, so tests drive it with `TestClock`). The stream ends with `events`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const frames = <E, R>(
  events: Stream.Stream<Event, E, R>,
  keepAlive: Duration.DurationInput
): Stream.Stream<Uint8Array, E, R> => {
  const interval = Duration.toMillis(Duration.decode(keepAlive))
  return Stream.unwrap(Effect.map(Clock.currentTimeMillis, (start) => {
    let lastWrite = start
    const written = Effect.map(Clock.currentTimeMillis, (now) => {
      lastWrite = now
    })
    // One step per chunk of events (the time read once per chunk), not per event.
    const data = Stream.mapChunksEffect(
      events,
      (chunk) => Effect.as(written, Chunk.map(chunk, encode))
    )
    const ticks = Stream.repeatEffectWithSchedule(
      Effect.map(Clock.currentTimeMillis, (now) => now - lastWrite >= interval),
      Schedule.spaced(Duration.millis(Math.max(1, Math.floor(interval / 4))))
    ).pipe(
      Stream.filter((idle) => idle),
      Stream.mapEffect(() => Effect.as(written, keepAliveComment))
    )
    return Stream.merge(data, ticks, { haltStrategy: "left" })
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
