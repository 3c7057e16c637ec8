/**
 * The library's metrics, as `effect/Metric`s (exported by `@effect/opentelemetry`'s `Metrics` layer when a user
 * provides it, readable with `Metric.value` otherwise), and the one-line `record*` effects the call sites run.
 *
 * Attributes are bounded: operation, provider, model id, `error.type` (a tag), token type, tool and agent names,
 * breaker states; never a request id or text. Past `MAX_LABEL_SETS` distinct sets, new model, tool or agent names are
 * recorded as `_OTHER`.
 *
 * Cost: a metric update looks its hook up by the identity of its label array, so every label array here is built
 * once per set of values and kept (`labels`), and a fiber's own metric labels (`Effect.labelMetrics`) are merged once
 * per pair of arrays (`withFiberLabels`). An update is then a map lookup and a bucket increment.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"
import * as MetricLabel from "effect/MetricLabel"
import type * as Response from "../../Response.js"
import { allInputTokens, errorType } from "./attributes.js"
import { Attr, DURATION_BUCKETS, MetricName, type Operation, OTHER, PROVIDER, TOKEN_BUCKETS } from "./conventions.js"

// ---------------------------------------------------------------------------
// definitions
// ---------------------------------------------------------------------------

/** Input and output tokens per call, by `gen_ai.token.type` (unit `{token}`). */
export const tokenUsage = Metric.histogram(
  MetricName.tokenUsage,
  MetricBoundaries.fromIterable(TOKEN_BUCKETS),
  "Number of input and output tokens used."
)

/** The duration of each call, tool run and agent run, in seconds, with `error.type` when it failed. */
export const operationDuration = Metric.histogram(
  MetricName.operationDuration,
  MetricBoundaries.fromIterable(DURATION_BUCKETS),
  "GenAI operation duration."
)

/** The time from sending a streaming call to its first event, in seconds. */
export const timeToFirstChunk = Metric.histogram(
  MetricName.timeToFirstChunk,
  MetricBoundaries.fromIterable(DURATION_BUCKETS),
  "Time to receive the first chunk of a streaming call."
)

/** A monotonic counter (an OpenTelemetry `Counter` once exported). */
const counter = (name: string, description: string) => Metric.counter(name, { description, incremental: true })

/** Retries scheduled, by the `error.type` of the failure that caused them. */
export const retries = counter(MetricName.retries, "Attempts retried, by the error that failed them.")

/** Throttling failures (Bedrock's `ThrottlingException`), retried or not. */
export const throttles = counter(MetricName.throttles, "Attempts Bedrock throttled.")

/** The cost of successful calls in USD, from the model catalog's prices. */
export const cost = counter(MetricName.cost, "Cost of the calls, in USD, at the model catalog's prices.")

/** Circuit breaker transitions, by state left and state entered. */
export const breakerTransitions = counter(MetricName.breakerTransitions, "Circuit breaker state changes.")

/** Embeddings cache lookups, by `bedrock_llm.cache.outcome` (`hit` or `miss`). */
export const embeddingsCache = counter(MetricName.embeddingsCache, "Embeddings cache lookups, hits and misses.")

/** Tool calls run by agents, by tool name, with `error.type` (the outcome's tag) when they did not succeed. */
export const toolCalls = counter(MetricName.toolCalls, "Tool calls, with error.type when they failed.")

/** Agent steps (model calls of a run), by agent name. */
export const agentSteps = counter(MetricName.agentSteps, "Agent steps taken.")

// ---------------------------------------------------------------------------
// label sets
// ---------------------------------------------------------------------------

/** How many models, tools or agents get label sets of their own; later ones are recorded as `_OTHER`. */
export const MAX_NAMES = 500

type Labels = ReadonlyArray<MetricLabel.MetricLabel>
type Pairs = ReadonlyArray<readonly [string, string]>

/** A label array; `unit` is how `@effect/opentelemetry` learns an instrument's unit. */
const labelsOf = (unit: string, pairs: Pairs): Labels => [
  MetricLabel.make("unit", unit),
  ...pairs.map(([name, value]) => MetricLabel.make(name, value))
]

/** Label arrays by a low-cardinality key (an error type, a cache outcome), each made on first use. */
const keyed = (make: (key: string) => Labels) => {
  const made = new Map<string, Labels>()
  return (key: string): Labels => {
    let found = made.get(key)
    if (found === undefined) {
      found = make(key)
      made.set(key, found)
    }
    return found
  }
}

/**
 * Values by name, made once per name and kept, at most `MAX_NAMES` names (then one shared entry under `_OTHER`): a
 * metric finds its hook by the identity of the label array, so the same array each time is what makes an update
 * cheap.
 */
const perName = <A>(make: (name: string) => A) => {
  const made = new Map<string, A>()
  return (name: string): A => {
    let found = made.get(name)
    if (found === undefined) {
      const bounded = made.size >= MAX_NAMES ? OTHER : name
      found = made.get(bounded) ?? make(bounded)
      made.set(bounded, found)
    }
    return found
  }
}

/** The label arrays of one operation on one model. */
const makeCallLabels = (operation: Operation) => (modelId: string) => {
  const pairs: Pairs = [[Attr.operationName, operation], [Attr.providerName, PROVIDER], [Attr.requestModel, modelId]]
  return {
    seconds: labelsOf("s", pairs),
    failedSeconds: keyed((error) => labelsOf("s", [...pairs, [Attr.errorType, error]])),
    inputTokens: labelsOf("{token}", [...pairs, [Attr.tokenType, "input"]]),
    outputTokens: labelsOf("{token}", [...pairs, [Attr.tokenType, "output"]]),
    usd: labelsOf("USD", pairs),
    count: labelsOf("1", pairs),
    retried: keyed((error) => labelsOf("1", [...pairs, [Attr.errorType, error]])),
    cache: keyed((outcome) => labelsOf("1", [...pairs, [Attr.cacheOutcome, outcome]]))
  }
}

const callLabels = {
  chat: perName(makeCallLabels("chat")),
  embeddings: perName(makeCallLabels("embeddings")),
  execute_tool: perName(makeCallLabels("execute_tool")),
  invoke_agent: perName(makeCallLabels("invoke_agent"))
} satisfies Record<Operation, unknown>

const labelsFor = (operation: Operation, modelId: string) => callLabels[operation](modelId)

const toolLabels = perName((name: string) => {
  const pairs: Pairs = [[Attr.operationName, "execute_tool"], [Attr.providerName, PROVIDER], [Attr.toolName, name]]
  return {
    count: labelsOf("1", pairs),
    seconds: labelsOf("s", pairs),
    failedCount: keyed((error) => labelsOf("1", [...pairs, [Attr.errorType, error]])),
    failedSeconds: keyed((error) => labelsOf("s", [...pairs, [Attr.errorType, error]]))
  }
})

const agentLabels = perName((name: string) =>
  perName((modelId: string) =>
    labelsOf("1", [
      [Attr.operationName, "invoke_agent"],
      [Attr.providerName, PROVIDER],
      [Attr.agentName, name],
      [Attr.requestModel, modelId]
    ])
  )
)

/** Transition labels by model (`""` for a breaker not tied to one), then by `from` and `to` (three states each). */
const transitionLabels = perName((modelId: string) =>
  keyed((transition) => {
    const [from, to] = transition.split(">") as [string, string]
    return labelsOf("1", [
      [Attr.breakerFrom, from],
      [Attr.breakerTo, to],
      ...(modelId === "" ? [] : [[Attr.requestModel, modelId] as const])
    ])
  })
)

const merged = new WeakMap<Labels, WeakMap<Labels, Labels>>()

/**
 * `base` with the fiber's metric labels (`Effect.labelMetrics`); the union is made once per pair of arrays, since a
 * new array per update would miss the metric's hook cache.
 */
const withFiberLabels = (base: Labels, fiberLabels: Labels): Labels => {
  if (fiberLabels.length === 0) return base
  let byBase = merged.get(fiberLabels)
  if (byBase === undefined) {
    byBase = new WeakMap()
    merged.set(fiberLabels, byBase)
  }
  let union = byBase.get(base)
  if (union === undefined) {
    const names = new Set(base.map((label) => label.key))
    union = [...base, ...fiberLabels.filter((label) => !names.has(label.key))]
    byBase.set(base, union)
  }
  return union
}

/** An effect that runs `update` with the fiber's metric labels. */
const recording = (update: (fiberLabels: Labels) => void): Effect.Effect<void> =>
  Effect.withFiberRuntime((fiber) => {
    update(fiber.getFiberRef(FiberRef.currentMetricLabels))
    return Effect.void
  })

const observe = <In>(metric: Metric.Metric<any, In, any>, value: In, base: Labels, fiberLabels: Labels) =>
  metric.unsafeUpdate(value, withFiberLabels(base, fiberLabels))

// ---------------------------------------------------------------------------
// recording
// ---------------------------------------------------------------------------

/** What a finished call reports. */
export interface CallOutcome {
  /** From sending the first attempt to the end (of the stream, for a stream). */
  readonly durationMillis: number
  /** The usage of a successful call (an embeddings call has input tokens only). */
  readonly usage?: Response.Usage | { readonly inputTokens: number } | undefined
  /** The cost of a successful call, USD. */
  readonly cost?: number | undefined
  /** The failure of a failed call. */
  readonly error?: unknown
}

const isThrottling = (error: unknown): boolean => errorType(error) === "ThrottlingError"

/**
 * Records a finished call: its duration (with `error.type` if it failed), its input and output tokens, its cost, and a
 * throttle when it failed throttled.
 */
export const recordCall = (operation: Operation, modelId: string, outcome: CallOutcome): Effect.Effect<void> =>
  recording((fiberLabels) => {
    const labels = labelsFor(operation, modelId)
    const error = outcome.error
    if (error === undefined) {
      observe(operationDuration, outcome.durationMillis / 1000, labels.seconds, fiberLabels)
    } else {
      observe(operationDuration, outcome.durationMillis / 1000, labels.failedSeconds(errorType(error)), fiberLabels)
      if (isThrottling(error)) observe(throttles, 1, labels.count, fiberLabels)
    }
    const usage = outcome.usage
    if (usage !== undefined) {
      if ("outputTokens" in usage) {
        observe(tokenUsage, allInputTokens(usage), labels.inputTokens, fiberLabels)
        observe(tokenUsage, usage.outputTokens, labels.outputTokens, fiberLabels)
      } else {
        observe(tokenUsage, usage.inputTokens, labels.inputTokens, fiberLabels)
      }
    }
    if (outcome.cost !== undefined && outcome.cost > 0) observe(cost, outcome.cost, labels.usd, fiberLabels)
  })

/** Records the time to first chunk of a streaming call. */
export const recordTimeToFirstChunk = (operation: Operation, modelId: string, millis: number): Effect.Effect<void> =>
  recording((fiberLabels) =>
    observe(timeToFirstChunk, millis / 1000, labelsFor(operation, modelId).seconds, fiberLabels)
  )

/** Records a retry scheduled after `error` (and a throttle when `error` is Bedrock's throttling). */
export const recordRetry = (operation: Operation, modelId: string, error: unknown): Effect.Effect<void> =>
  recording((fiberLabels) => {
    const labels = labelsFor(operation, modelId)
    observe(retries, 1, labels.retried(errorType(error)), fiberLabels)
    if (isThrottling(error)) observe(throttles, 1, labels.count, fiberLabels)
  })

/** Records a circuit breaker transition (a `CircuitBreaker.Transition`), of the breaker of `modelId` if given. */
export const recordBreakerTransition = (
  transition: { readonly from: string; readonly to: string },
  modelId?: string
): Effect.Effect<void> =>
  recording((fiberLabels) =>
    observe(
      breakerTransitions,
      1,
      transitionLabels(modelId ?? "")(transition.from + ">" + transition.to),
      fiberLabels
    )
  )

/** Records embeddings cache lookups: `hits` found, `misses` sent to the model. */
export const recordEmbeddingsCache = (modelId: string, hits: number, misses: number): Effect.Effect<void> =>
  recording((fiberLabels) => {
    const labels = labelsFor("embeddings", modelId)
    if (hits > 0) observe(embeddingsCache, hits, labels.cache("hit"), fiberLabels)
    if (misses > 0) observe(embeddingsCache, misses, labels.cache("miss"), fiberLabels)
  })

/**
 * Records a tool call: one `bedrock_llm.tool.calls` (with the outcome's tag as `error.type` unless it succeeded) and
 * its duration as an `execute_tool` operation.
 */
export const recordToolCall = (
  toolName: string,
  outcome: { readonly _tag: string },
  durationMillis: number
): Effect.Effect<void> =>
  recording((fiberLabels) => {
    const labels = toolLabels(toolName)
    const seconds = durationMillis / 1000
    if (outcome._tag === "Success") {
      observe(toolCalls, 1, labels.count, fiberLabels)
      observe(operationDuration, seconds, labels.seconds, fiberLabels)
    } else {
      const error = errorType(outcome)
      observe(toolCalls, 1, labels.failedCount(error), fiberLabels)
      observe(operationDuration, seconds, labels.failedSeconds(error), fiberLabels)
    }
  })

/** Records one step of an agent run. */
export const recordAgentStep = (agentName: string, modelId: string): Effect.Effect<void> =>
  recording((fiberLabels) => observe(agentSteps, 1, agentLabels(agentName)(modelId), fiberLabels))

/** Every metric of the library, for dashboards and tests. */
export const all = {
  tokenUsage,
  operationDuration,
  timeToFirstChunk,
  retries,
  throttles,
  cost,
  breakerTransitions,
  embeddingsCache,
  toolCalls,
  agentSteps
} as const
