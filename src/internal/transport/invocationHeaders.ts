/**
 * InvokeModel reports token counts and latency only in `x-amzn-bedrock-*` response headers (Mistral and the legacy
 * Cohere bodies carry none), and the SDK's output drops them. An initialize-step middleware (outermost, so it sees the
 * deserialized output), added once per SDK client, keeps them on the output under a symbol.
 *
 * @internal
 */
import type { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime"
import { defined } from "../defined.js"
import type { InvocationMetrics } from "../native.js"

const NAME = "bedrockLlmInvocationMetrics"
const KEY: unique symbol = Symbol.for("bedrock-llm/invocationMetrics") as never

const header = (headers: Record<string, string | undefined>, name: string): number | undefined => {
  const raw = headers[name] ?? Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1]
  const value = raw === undefined ? Number.NaN : Number(raw)
  return Number.isFinite(value) ? value : undefined
}

/** The invocation metrics of `x-amzn-bedrock-*` headers, or undefined when there are none. */
export const metricsFromHeaders = (headers: Record<string, string | undefined>): InvocationMetrics | undefined => {
  const metrics = defined({
    inputTokenCount: header(headers, "x-amzn-bedrock-input-token-count"),
    outputTokenCount: header(headers, "x-amzn-bedrock-output-token-count"),
    invocationLatency: header(headers, "x-amzn-bedrock-invocation-latency"),
    cacheReadInputTokenCount: header(headers, "x-amzn-bedrock-cache-read-input-token-count"),
    cacheWriteInputTokenCount: header(headers, "x-amzn-bedrock-cache-write-input-token-count")
  })
  return Object.keys(metrics).length === 0 ? undefined : metrics
}

/** Adds the middleware to an SDK client (once). */
export const captureInvocationMetrics = (sdk: BedrockRuntimeClient | undefined): void => {
  if (sdk?.middlewareStack === undefined) return
  if (sdk.middlewareStack.identify().some((entry) => entry.startsWith(`${NAME} `))) return
  sdk.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args)
      const response = result.response as { readonly headers?: Record<string, string> } | undefined
      const metrics = response?.headers === undefined ? undefined : metricsFromHeaders(response.headers)
      if (metrics !== undefined && typeof result.output === "object" && result.output !== null) {
        Object.defineProperty(result.output, KEY, { value: metrics, enumerable: false })
      }
      return result
    },
    { step: "initialize", name: NAME }
  )
}

/** The metrics the middleware kept on an SDK output, if any. */
export const invocationMetricsOf = (output: object): InvocationMetrics | undefined =>
  (output as { readonly [KEY]?: InvocationMetrics })[KEY]
