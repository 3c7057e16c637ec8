/**
 * OpenTelemetry export through `@effect/opentelemetry`, on only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set: traces
 * (the HTTP server span of each request with the library's `BedrockClient.*` / `BedrockRuntime.*` spans under it)
 * and metrics, over OTLP/HTTP to `<endpoint>/v1/traces` and `<endpoint>/v1/metrics`. The exporters are loaded only
 * then. Spans carry the key id, never a secret: `authorization` and `x-api-key` are redacted from header attributes.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type { Settings } from "./ServiceConfig.js"

/**
 * The telemetry layer of the settings (empty without an endpoint).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (settings: Settings): Layer.Layer<never> =>
  Option.match(settings.otlpEndpoint, {
    onNone: () => Layer.empty,
    onSome: (endpoint) =>
      Layer.unwrapEffect(Effect.promise(async () => {
        const [NodeSdk, { BatchSpanProcessor }, { OTLPTraceExporter }, { PeriodicExportingMetricReader }, {
          OTLPMetricExporter
        }] = await Promise.all([
          import("@effect/opentelemetry/NodeSdk"),
          import("@opentelemetry/sdk-trace-base"),
          import("@opentelemetry/exporter-trace-otlp-http"),
          import("@opentelemetry/sdk-metrics"),
          import("@opentelemetry/exporter-metrics-otlp-http")
        ])
        const base = endpoint.replace(/\/$/, "")
        return NodeSdk.layer(() => ({
          resource: { serviceName: settings.serviceName },
          spanProcessor: new BatchSpanProcessor(new OTLPTraceExporter({ url: `${base}/v1/traces` }), {
            scheduledDelayMillis: 1_000
          }),
          metricReader: new PeriodicExportingMetricReader({
            exporter: new OTLPMetricExporter({ url: `${base}/v1/metrics` }),
            exportIntervalMillis: 10_000
          })
        }))
      }))
  })
