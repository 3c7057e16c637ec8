/**
 * Spans that cost nothing when nobody records them. Effect's built-in tracer (the default when no tracer layer, such
 * as `@effect/opentelemetry`'s, is provided) keeps spans in memory only for the current fiber; creating them is still
 * a measurable share of a request's CPU. Under that tracer the effect runs as it is; under any other tracer it runs in
 * the span, with the same name, options and call site as `Effect.withSpan`.
 *
 * @internal
 */
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Effect from "effect/Effect"
import * as Tracer from "effect/Tracer"

const builtInTracer = Context.get(DefaultServices.liveServices, Tracer.Tracer)

export const withSpan =
  (name: string, options?: Tracer.SpanOptions) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
    // Built here, not per run, so that the span's call site is the caller's.
    const traced = Effect.withSpan(self, name, options)
    return Effect.tracerWith((tracer) => tracer === builtInTracer ? self : traced)
  }
