/**
 * Spans that cost nothing when nobody records them. Effect's built-in tracer (the default when no tracer layer, such
 * as `@effect/opentelemetry`'s, is provided) keeps spans in memory only for the current fiber; creating them, and
 * capturing the call site each span records, is still a measurable share of a request's CPU. Under that tracer the
 * effect runs as it is; under any other tracer it runs in the span, with the same name and options as
 * `Effect.withSpan`.
 *
 * The call site (`Effect.withSpan` captures a stack trace where the traced effect is built) is captured only once a
 * recording tracer has been seen in the process: the spans of the very first traced calls lack it, every later span
 * has it.
 *
 * @internal
 */
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Effect from "effect/Effect"
import * as Tracer from "effect/Tracer"

const builtInTracer = Context.get(DefaultServices.liveServices, Tracer.Tracer)

/** Whether a tracer other than the built-in one has run a traced effect in this process. */
let recordingTracerSeen = false

export const withSpan =
  (name: string, options?: Tracer.SpanOptions) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
    // Built here, not per run, so that the call site it captures is the caller's.
    const traced = recordingTracerSeen ? Effect.withSpan(self, name, options) : undefined
    return Effect.tracerWith((tracer) => {
      if (tracer === builtInTracer) return self
      recordingTracerSeen = true
      return traced ?? Effect.withSpan(self, name, { ...options, captureStackTrace: false })
    })
  }
