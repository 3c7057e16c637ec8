/**
 * Putting attributes and events on the current span, lazily: the attributes are built only when a recording tracer
 * (one other than Effect's built-in tracer, such as `@effect/opentelemetry`'s) runs the fiber and a span is current,
 * so that under the built-in tracer a call site pays one tracer lookup and nothing else (the promise of
 * `internal/tracing.ts`). Content attributes additionally need the capture switch.
 *
 * @internal
 */
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import type * as Scope from "effect/Scope"
import * as Tracer from "effect/Tracer"
import { type Attributes, retryEventAttributes } from "./attributes.js"
import { captureContent } from "./content.js"
import { SpanEvent } from "./conventions.js"

const builtInTracer = Context.get(DefaultServices.liveServices, Tracer.Tracer)

/** Runs `f` with the current span when a recording tracer runs the fiber and a span is current. */
const withRecordingSpan = (f: (span: Tracer.Span) => void): Effect.Effect<void> =>
  Effect.tracerWith((tracer) =>
    tracer === builtInTracer ? Effect.void : Effect.withFiberRuntime((fiber) => {
      const span = Context.getOption(fiber.currentContext, Tracer.ParentSpan)
      if (span._tag === "Some" && span.value._tag === "Span") f(span.value)
      return Effect.void
    })
  )

const setAll = (span: Tracer.Span, attributes: Attributes): void => {
  for (const key in attributes) span.attribute(key, attributes[key])
}

/** Adds the attributes `build` makes to the current span (built only when recorded). */
export const annotateSpan = (build: () => Attributes): Effect.Effect<void> =>
  withRecordingSpan((span) => setAll(span, build()))

/** Adds message content to the current span, only when the capture switch is on (built only then). */
export const annotateContent = (build: () => Attributes): Effect.Effect<void> =>
  Effect.flatMap(
    FiberRef.get(captureContent),
    (enabled) => enabled ? withRecordingSpan((span) => setAll(span, build())) : Effect.void
  )

/** Adds an event to the current span, at the clock's time (attributes built only when recorded). */
export const spanEvent = (name: string, build: () => Attributes): Effect.Effect<void> =>
  Effect.clockWith((clock) =>
    withRecordingSpan((span) => span.event(name, clock.unsafeCurrentTimeNanos(), build() as Record<string, unknown>))
  )

/** The `bedrock_llm.retry` event: the failure's `error.type`, the attempt that failed, the delay before the next. */
export const retryEvent = (error: unknown, failedAttempt: number, delayMillis: number): Effect.Effect<void> =>
  spanEvent(SpanEvent.retry, () => retryEventAttributes(error, failedAttempt, delayMillis))

/**
 * A span that lives as long as the scope (a stream's whole life, across its pulls), made only under a recording
 * tracer: `undefined` under the built-in one. Run each pull under it with `underSpan`.
 */
export const scopedSpan = (
  name: string,
  options?: Tracer.SpanOptions
): Effect.Effect<Tracer.Span | undefined, never, Scope.Scope> =>
  Effect.tracerWith((tracer) =>
    tracer === builtInTracer ? Effect.succeed(undefined) : Effect.makeSpanScoped(name, options)
  )

/** Runs `self` as a child of `span` (as it is without one). */
export const underSpan =
  (span: Tracer.Span | undefined) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    span === undefined ? self : Effect.withParentSpan(self, span)

/** The options of a client span: kind `client` (what the conventions ask of model calls) and its first attributes. */
export const clientSpan = (attributes?: Attributes): Tracer.SpanOptions => ({
  kind: "client",
  ...(attributes === undefined ? {} : { attributes })
})
