/**
 * Runs an effect under `@effect/opentelemetry` (`NodeSdk.layer`: its `Resource`, `Tracer` and `Metrics` layers) with
 * in-memory exporters, and returns what it emitted: the finished spans and the metrics a reader collected at the end.
 *
 * Effect's metrics live in one registry per process, so a test asserts on label sets of its own (its own model id)
 * or on the difference between two collections.
 */
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import type { Attributes, AttributeValue } from "@opentelemetry/api"
import {
  type DataPoint,
  type Histogram,
  type MetricData,
  MetricReader,
  type ResourceMetrics
} from "@opentelemetry/sdk-metrics"
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"

/** A metric reader that only collects when asked. */
class InMemoryMetricReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve()
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve()
  }
}

/** What an effect emitted. */
export interface Emitted<A, E> {
  readonly exit: Exit.Exit<A, E>
  readonly spans: ReadonlyArray<ReadableSpan>
  readonly metrics: ReadonlyArray<MetricData>
}

const metricsOf = (resourceMetrics: ResourceMetrics): ReadonlyArray<MetricData> =>
  resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics)

/**
 * Runs `effect` under `NodeSdk.layer` with a `SimpleSpanProcessor` over an `InMemorySpanExporter` and an in-memory
 * metric reader; spans and metrics are read before the layer shuts its providers down (which empties the exporter).
 */
export const withOtel = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  serviceName = "bedrock-llm-test"
): Effect.Effect<Emitted<A, E>, never, Exclude<R, never>> =>
  Effect.suspend(() => {
    const exporter = new InMemorySpanExporter()
    const reader = new InMemoryMetricReader()
    const layer = NodeSdk.layer(() => ({
      resource: { serviceName },
      spanProcessor: new SimpleSpanProcessor(exporter),
      metricReader: reader
    }))
    return Effect.gen(function*() {
      const exit = yield* Effect.exit(effect)
      const collected = yield* Effect.promise(() => reader.collect())
      return { exit, spans: [...exporter.getFinishedSpans()], metrics: metricsOf(collected.resourceMetrics) }
    }).pipe(Effect.provide(layer))
  })

/** The finished span of that name (fails the test when there is none). */
export const spanNamed = (spans: ReadonlyArray<ReadableSpan>, name: string): ReadableSpan => {
  const span = spans.find((candidate) => candidate.name === name)
  if (span === undefined) throw new Error(`no span "${name}" among: ${spans.map((s) => s.name).join(", ")}`)
  return span
}

const matches = (attributes: Attributes, wanted: Readonly<Record<string, AttributeValue>>): boolean =>
  Object.entries(wanted).every(([key, value]) => attributes[key] === value)

/** The data points of the metric of that name whose attributes include `wanted`. */
export const pointsOf = (
  metrics: ReadonlyArray<MetricData>,
  name: string,
  wanted: Readonly<Record<string, AttributeValue>> = {}
): ReadonlyArray<DataPoint<number | Histogram>> =>
  metrics
    .filter((metric) => metric.descriptor.name === name)
    .flatMap((metric) => metric.dataPoints as ReadonlyArray<DataPoint<number | Histogram>>)
    .filter((point) => matches(point.attributes, wanted))

/** The sum of a counter's matching data points. */
export const counterValue = (
  metrics: ReadonlyArray<MetricData>,
  name: string,
  wanted?: Readonly<Record<string, AttributeValue>>
): number => pointsOf(metrics, name, wanted).reduce((sum, point) => sum + (point.value as number), 0)

/** The one matching data point of a histogram (fails the test when there is not exactly one). */
export const histogramPoint = (
  metrics: ReadonlyArray<MetricData>,
  name: string,
  wanted?: Readonly<Record<string, AttributeValue>>
): Histogram => {
  const points = pointsOf(metrics, name, wanted)
  if (points.length !== 1) throw new Error(`${points.length} points of ${name} match ${JSON.stringify(wanted)}`)
  return points[0]!.value as Histogram
}

/** The unit and instrument type a metric was exported with. */
export const descriptorOf = (metrics: ReadonlyArray<MetricData>, name: string) =>
  metrics.find((metric) => metric.descriptor.name === name)?.descriptor
