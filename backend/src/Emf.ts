/**
 * The service's metrics as CloudWatch embedded metric format (EMF) documents: one JSON line per request on standard
 * output, made from the request's log line, which CloudWatch Logs turns into metrics (Lambda's log pipeline and the
 * ECS `awslogs` driver both carry it; no `PutMetricData` call, no extra permission). On when
 * `BACKEND_EMF_NAMESPACE` names the namespace; health checks are left out.
 *
 * | metric | unit | dimension sets |
 * | --- | --- | --- |
 * | `Requests`, `Errors4xx`, `Errors5xx`, `Latency` | Count, Milliseconds | `Service`; `Service, Api` |
 * | `TimeToFirstToken`, `InputTokens`, `OutputTokens`, `CacheReadTokens`, `CacheWriteTokens` | Milliseconds, Count | `Service`; `Service, Model` |
 * | `CostUsd` | None | `Service`; `Service, Model`; `Service, KeyId`; `Service, KeyId, Model` |
 * | `BudgetRefusals`, `RateLimitRefusals` | Count | `Service`; `Service, KeyId, Model` |
 * | `BudgetUsedPercent` | Percent | `Service, KeyId` |
 *
 * `Api` is the API the request was for (`Http` fills it in from the path when no handler did), `Model` the model that
 * served the call (else the one asked for), `KeyId` the key's id (never its secret). The
 * rest of the log line rides along as properties, searchable in CloudWatch Logs Insights.
 *
 * @since 0.1.0
 */
import type { Fields } from "./RequestLog.js"

/**
 * The unit of a metric (a subset of CloudWatch's).
 *
 * @since 0.1.0
 * @category models
 */
export type Unit = "Count" | "Milliseconds" | "None" | "Percent"

interface Directive {
  readonly Namespace: string
  readonly Dimensions: ReadonlyArray<ReadonlyArray<string>>
  readonly Metrics: ReadonlyArray<{ readonly Name: string; readonly Unit: Unit }>
}

/**
 * One EMF document.
 *
 * @since 0.1.0
 * @category models
 */
export interface Document {
  readonly _aws: { readonly Timestamp: number; readonly CloudWatchMetrics: ReadonlyArray<Directive> }
  readonly [member: string]: unknown
}

/**
 * The value of the `Service` dimension.
 *
 * @since 0.1.0
 * @category constants
 */
export const service = "bedrock-llm-backend"

const directive = (
  namespace: string,
  dimensions: ReadonlyArray<ReadonlyArray<string>>,
  metrics: ReadonlyArray<readonly [string, Unit, number | undefined]>,
  values: Record<string, unknown>
): Directive | undefined => {
  const present = metrics.filter(([, , value]) => value !== undefined && Number.isFinite(value))
  if (present.length === 0) return undefined
  for (const [name, , value] of present) values[name] = value
  return { Namespace: namespace, Dimensions: dimensions, Metrics: present.map(([Name, Unit]) => ({ Name, Unit })) }
}

/**
 * The EMF document of a request's log line at `timestamp` (epoch ms), or `undefined` for a health check.
 *
 * @since 0.1.0
 * @category constructors
 */
export const document = (fields: Fields, namespace: string, timestamp: number): Document | undefined => {
  const path = fields.path ?? "/"
  if (path.startsWith("/health/")) return undefined
  const status = fields.status ?? 0
  const model = fields.modelId ?? fields.model
  const values: Record<string, unknown> = {
    ...fields,
    Service: service,
    Api: fields.api ?? "other"
  }
  const directives: Array<Directive | undefined> = [
    directive(namespace, [["Service"], ["Service", "Api"]], [
      ["Requests", "Count", 1],
      ["Errors4xx", "Count", status >= 400 && status < 500 ? 1 : 0],
      ["Errors5xx", "Count", status >= 500 ? 1 : 0],
      ["Latency", "Milliseconds", fields.latencyMs]
    ], values)
  ]
  if (model !== undefined) {
    values["Model"] = model
    directives.push(directive(namespace, [["Service"], ["Service", "Model"]], [
      ["TimeToFirstToken", "Milliseconds", fields.timeToFirstTokenMs],
      ["InputTokens", "Count", fields.inputTokens],
      ["OutputTokens", "Count", fields.outputTokens],
      ["CacheReadTokens", "Count", fields.cacheReadTokens],
      ["CacheWriteTokens", "Count", fields.cacheWriteTokens]
    ], values))
    if (fields.keyId !== undefined) {
      values["KeyId"] = fields.keyId
      directives.push(
        directive(namespace, [["Service"], ["Service", "Model"], ["Service", "KeyId"], ["Service", "KeyId", "Model"]], [
          ["CostUsd", "None", fields.costMicroUsd === undefined ? undefined : fields.costMicroUsd / 1_000_000]
        ], values),
        directive(namespace, [["Service"], ["Service", "KeyId", "Model"]], [
          ["BudgetRefusals", "Count", fields.error === "BudgetExhausted" ? 1 : undefined],
          ["RateLimitRefusals", "Count", fields.error === "RateLimited" ? 1 : undefined]
        ], values)
      )
    }
  }
  if (fields.keyId !== undefined && fields.budgetMicroUsd !== undefined && fields.budgetMicroUsd > 0) {
    values["KeyId"] = fields.keyId
    directives.push(directive(namespace, [["Service", "KeyId"]], [
      ["BudgetUsedPercent", "Percent", (100 * (fields.budgetSpentMicroUsd ?? 0)) / fields.budgetMicroUsd]
    ], values))
  }
  return {
    ...values,
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: directives.filter((entry): entry is Directive => entry !== undefined)
    }
  }
}

/**
 * The document as the line written to standard output (`undefined` for a health check).
 *
 * @since 0.1.0
 * @category utils
 */
export const line = (fields: Fields, namespace: string, timestamp: number): string | undefined => {
  const made = document(fields, namespace, timestamp)
  return made === undefined ? undefined : JSON.stringify(made) + "\n"
}
