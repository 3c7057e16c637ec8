/**
 * Observability of the library: the switch that puts message content on spans (off by default), the metrics the
 * library records (OpenTelemetry GenAI client metrics and its own), exported by `@effect/opentelemetry` when the
 * application provides it, and progress reports for long work, with a terminal progress bar. See
 * docs/OBSERVABILITY.md for every span, attribute and metric.
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as FiberRef from "effect/FiberRef"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Content from "./internal/telemetry/content.js"
import * as Conventions from "./internal/telemetry/conventions.js"
import * as Metrics from "./internal/telemetry/metrics.js"

// ---------------------------------------------------------------------------
// content capture
// ---------------------------------------------------------------------------

/**
 * Whether spans carry message content (`gen_ai.input.messages`, `gen_ai.output.messages`,
 * `gen_ai.system_instructions`, tool arguments and results). Off by default. Credentials are scrubbed from content
 * either way, and bytes (images, documents, video) are never copied.
 *
 * @since 0.1.0
 * @category content capture
 */
export const captureContent: FiberRef.FiberRef<boolean> = Content.captureContent

/**
 * The environment variable of the capture switch, as the OpenTelemetry GenAI instrumentations name it.
 *
 * @since 0.1.0
 * @category content capture
 */
export const CAPTURE_CONTENT_VARIABLE = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"

const CAPTURE_WORDS: Readonly<Record<string, boolean>> = {
  true: true,
  "1": true,
  yes: true,
  on: true,
  span_only: true,
  span_and_event: true,
  false: false,
  "0": false,
  no: false,
  off: false,
  no_content: false,
  event_only: false
}

/**
 * The capture switch from `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`: `true` (or `SPAN_ONLY`,
 * `SPAN_AND_EVENT`) turns it on; `false`, `NO_CONTENT`, `EVENT_ONLY` (the library emits no content events) or no
 * value leave it off; any other value is a `ConfigError` naming the variable.
 *
 * @since 0.1.0
 * @category content capture
 */
export const captureContentConfig: Config.Config<boolean> = Config.string(CAPTURE_CONTENT_VARIABLE).pipe(
  Config.mapOrFail((value) => {
    const enabled = CAPTURE_WORDS[value.trim().toLowerCase()]
    return enabled === undefined
      ? Either.left(
        ConfigError.InvalidData(
          [CAPTURE_CONTENT_VARIABLE],
          "expected true or false (or SPAN_ONLY, SPAN_AND_EVENT, EVENT_ONLY, NO_CONTENT)"
        )
      )
      : Either.right(enabled)
  }),
  Config.withDefault(false)
)

/**
 * A Layer that sets the capture switch for everything it is provided to (default: on).
 *
 * @since 0.1.0
 * @category content capture
 */
export const layerCaptureContent = (enabled: boolean = true): Layer.Layer<never> =>
  Layer.scopedDiscard(Effect.locallyScoped(Content.captureContent, enabled))

/**
 * A Layer that sets the capture switch from `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`.
 *
 * @since 0.1.0
 * @category content capture
 */
export const layerCaptureContentConfig: Layer.Layer<never, ConfigError.ConfigError> = Layer.unwrapEffect(
  Effect.map(captureContentConfig, layerCaptureContent)
)

/**
 * Runs an effect with the capture switch set (e.g. on for one call while debugging).
 *
 * @since 0.1.0
 * @category content capture
 */
export const withCaptureContent: {
  (enabled: boolean): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, enabled: boolean): Effect.Effect<A, E, R>
} = dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, enabled: boolean): Effect.Effect<A, E, R> =>
    Effect.locally(self, Content.captureContent, enabled)
)

// ---------------------------------------------------------------------------
// metrics
// ---------------------------------------------------------------------------

/**
 * Every metric the library records, as `effect/Metric`s: read one with `Metric.value(metric)` (its label sets are
 * per call site, so `Metric.unsafeSnapshot()` lists them all), or export them all with `@effect/opentelemetry`'s
 * `NodeSdk.layer({ metricReader })`.
 *
 * - `tokenUsage`: `gen_ai.client.token.usage`, histogram of tokens per call, by `gen_ai.token.type`
 * - `operationDuration`: `gen_ai.client.operation.duration`, histogram of seconds per call, tool run and agent run
 * - `timeToFirstChunk`: `gen_ai.client.operation.time_to_first_chunk`, histogram of seconds to a stream's first event
 * - `retries`, `throttles`, `cost` (USD), `breakerTransitions`, `embeddingsCache` (hits and misses), `toolCalls`
 *   (with `error.type` when failed), `agentSteps`: counters under `bedrock_llm.*`
 *
 * @since 0.1.0
 * @category metrics
 */
export const metrics = Metrics.all

/**
 * The names of the metrics, for dashboards and alarms.
 *
 * @since 0.1.0
 * @category metrics
 */
export const metricNames = Conventions.MetricName

/**
 * The names of the span and metric attributes the library sets.
 *
 * @since 0.1.0
 * @category metrics
 */
export const attributeNames = Conventions.Attr

/**
 * The bucket boundaries of the token and duration histograms (the conventions' own).
 *
 * @since 0.1.0
 * @category metrics
 */
export const buckets = { tokens: Conventions.TOKEN_BUCKETS, seconds: Conventions.DURATION_BUCKETS } as const

// ---------------------------------------------------------------------------
// progress
// ---------------------------------------------------------------------------

export {
  /**
   * What finishing some items adds to a progress.
   *
   * @since 0.1.0
   * @category progress
   */
  type Advance,
  /**
   * Adds finished items to a progress value.
   *
   * @since 0.1.0
   * @category progress
   */
  advance,
  /**
   * Done over total, between 0 and 1.
   *
   * @since 0.1.0
   * @category progress
   */
  fraction,
  /**
   * A reporter of work of `total` items, with an optional callback for every change.
   *
   * @since 0.1.0
   * @category progress
   */
  makeReporter,
  /**
   * How far a piece of work has got: done/total, failures, tokens and cost so far.
   *
   * @since 0.1.0
   * @category progress
   */
  type Progress,
  /**
   * Items finished per second so far.
   *
   * @since 0.1.0
   * @category progress
   */
  ratePerSecond,
  /**
   * The time left at the rate so far, in milliseconds.
   *
   * @since 0.1.0
   * @category progress
   */
  remainingMillis,
  /**
   * Keeps the progress of one piece of work: `advance`, `end`, `current`, and `changes` as a `Stream`.
   *
   * @since 0.1.0
   * @category progress
   */
  type Reporter,
  /**
   * The progress of work of `total` items started at `now`.
   *
   * @since 0.1.0
   * @category progress
   */
  start,
  /**
   * Runs work with a reporter, ending the report however the work ends.
   *
   * @since 0.1.0
   * @category progress
   */
  track
} from "./internal/telemetry/progress.js"

export {
  /**
   * Options of the progress bar.
   *
   * @since 0.1.0
   * @category progress bar
   */
  type BarOptions,
  /**
   * The progress bar's text for a progress.
   *
   * @since 0.1.0
   * @category progress bar
   */
  render as renderBar,
  /**
   * A progress callback that draws the bar in place on a terminal.
   *
   * @since 0.1.0
   * @category progress bar
   */
  terminal as terminalBar,
  /**
   * Options of `terminalBar`.
   *
   * @since 0.1.0
   * @category progress bar
   */
  type TerminalOptions
} from "./internal/telemetry/progressBar.js"
