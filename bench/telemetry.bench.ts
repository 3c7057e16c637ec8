/**
 * What the telemetry a call site runs costs (`src/internal/telemetry/`): each `record*` effect, the lazy span
 * annotation under Effect's built-in tracer (where nothing is built) and under `@effect/opentelemetry`'s tracer
 * (where the attributes are built and set), next to the same loop running `Effect.void` and next to the naive way of
 * updating a metric (`Metric.tagged` per label, per call). Each case runs a loop of `Effect.gen` steps; the cost is
 * the time per step less the `Effect.void` loop's. Rounds alternate the cases; the median round is quoted with the
 * min–max. Writes its section of `bench/README.md`. `--quick` runs fewer rounds.
 */
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Metric from "effect/Metric"
import { requestAttributes, responseAttributes } from "../src/internal/telemetry/attributes.js"
import * as Metrics from "../src/internal/telemetry/metrics.js"
import { annotateSpan } from "../src/internal/telemetry/span.js"
import type * as Response from "../src/Response.js"
import { fmt, median, writeReadmeSection } from "./support/report.js"

const quick = process.argv.includes("--quick")
const rounds = quick ? 3 : 9
const steps = quick ? 20_000 : 100_000
const modelId = "anthropic.claude-3-haiku-20240307-v1:0"
const settings = { modelId, maxTokens: 512, temperature: 0.2 }
const response: Response.Response = {
  message: { role: "assistant", content: [{ _tag: "Text", text: "Paris." }] },
  stopReason: "end_turn",
  usage: { inputTokens: 120, outputTokens: 30, totalTokens: 150 },
  requestId: "bench-request"
}
const throttled = { _tag: "ThrottlingError", message: "slow down", status: 429 }

const naiveDuration = Metric.histogram("bench.naive.duration", Metrics.operationDuration.keyType.boundaries)

/** The naive update: a tagged metric made per call (each `tagged` copies the label array on every update). */
const naiveRecord = Effect.suspend(() =>
  Metric.update(
    naiveDuration.pipe(
      Metric.tagged("gen_ai.operation.name", "chat"),
      Metric.tagged("gen_ai.provider.name", "aws.bedrock"),
      Metric.tagged("gen_ai.request.model", modelId)
    ),
    0.25
  )
)

interface Case {
  readonly name: string
  readonly step: Effect.Effect<void>
  /** Runs under `@effect/opentelemetry`'s tracer, in a span. */
  readonly traced?: boolean
}

const cases: ReadonlyArray<Case> = [
  { name: "`Effect.void` (the loop itself)", step: Effect.void },
  {
    name: "`recordCall` (duration, input and output tokens, cost)",
    step: Metrics.recordCall("chat", modelId, { durationMillis: 250, usage: response.usage, cost: 0.0003 })
  },
  {
    name: "`recordCall` of a failure (duration by `error.type`)",
    step: Metrics.recordCall("chat", modelId, { durationMillis: 30, error: throttled })
  },
  { name: "`recordRetry` (retries and throttles)", step: Metrics.recordRetry("chat", modelId, throttled) },
  { name: "`recordToolCall`", step: Metrics.recordToolCall("get_weather", { _tag: "Success" }, 4) },
  { name: "naive: `Metric.tagged` ×3 then `Metric.update`", step: naiveRecord },
  {
    name: "`annotateSpan` under the built-in tracer (nothing built)",
    step: annotateSpan(() => ({ ...requestAttributes("chat", settings), ...responseAttributes(response) }))
  },
  {
    name: "`annotateSpan` under `@effect/opentelemetry` (request and response attributes set)",
    step: annotateSpan(() => ({ ...requestAttributes("chat", settings), ...responseAttributes(response) })),
    traced: true
  }
]

const loop = (step: Effect.Effect<void>) =>
  Effect.gen(function*() {
    for (let i = 0; i < steps; i++) yield* step
  })

const otel = ManagedRuntime.make(
  NodeSdk.layer(() => ({
    resource: { serviceName: "telemetry-bench" },
    spanProcessor: new SimpleSpanProcessor(new InMemorySpanExporter())
  })).pipe(Layer.orDie)
)

/** Nanoseconds per step of one run of a case. */
const timeOf = async (item: Case): Promise<number> => {
  const program = item.traced === true ? loop(item.step).pipe(Effect.withSpan("bench")) : loop(item.step)
  const started = process.hrtime.bigint()
  if (item.traced === true) await otel.runPromise(program)
  else Effect.runSync(program)
  return Number(process.hrtime.bigint() - started) / steps
}

const samples = new Map<string, Array<number>>(cases.map((item) => [item.name, []]))
for (const item of cases) await timeOf(item) // warm-up
for (let round = 0; round < rounds; round++) {
  for (const item of round % 2 === 0 ? cases : [...cases].reverse()) samples.get(item.name)!.push(await timeOf(item))
}
await otel.dispose()

const baseline = median(samples.get(cases[0]!.name)!)
const lines = [
  "## What telemetry costs a call (`bench/telemetry.bench.ts`)",
  "",
  `Each case is a loop of ${
    steps.toLocaleString("en-US")
  } \`Effect.gen\` steps; ns per step, median of ${rounds} rounds (min–max), and the cost over the \`Effect.void\` loop.`,
  "",
  "| case | ns per step | over `Effect.void` |",
  "| --- | ---: | ---: |",
  ...cases.map((item) => {
    const xs = samples.get(item.name)!
    const m = median(xs)
    return `| ${item.name} | ${fmt(m)} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}) | ${
      item === cases[0] ? "" : fmt(m - baseline)
    } |`
  })
]
process.stdout.write(lines.join("\n") + "\n")
writeReadmeSection("telemetry.bench", lines, `npm run bench -- --only telemetry${quick ? " --quick" : ""}`)
