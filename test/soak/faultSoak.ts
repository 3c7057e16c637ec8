/**
 * The fault soak shared by `npm run soak` (full size) and `test/Reliability.test.ts` (short): many requests through
 * `BedrockClient` against the emulator with seeded faults, a forced failure burst for the circuit breaker, and leak
 * checks (fibers, sockets, heap) once everything is released.
 */
import { Cause, Duration, Effect, Exit, Layer, Option, Predicate, Schema, Supervisor } from "effect"
import * as Agent from "../../src/Agent.js"
import * as BedrockClient from "../../src/BedrockClient.js"
import * as BedrockError from "../../src/BedrockError.js"
import * as CircuitBreaker from "../../src/CircuitBreaker.js"
import {
  Emulator,
  type EmulatorStartError,
  type FaultRates,
  type RunningEmulator,
  type Stats
} from "../../src/emulator/Emulator.js"
import * as Message from "../../src/Message.js"
import * as Tool from "../../src/Tool.js"
import * as Toolkit from "../../src/Toolkit.js"
import { runtimeLayer } from "../support/live.js"

export const haiku = "anthropic.claude-3-haiku-20240307-v1:0"

/** 10% throttling, 5% 500/503, 2% in-stream exceptions, 1% connection resets, random latency. */
export const faultRates = (seed: number, latencyMs = 15): FaultRates => ({
  seed,
  throttle: 0.1,
  internal: 0.025,
  unavailable: 0.025,
  streamException: 0.02,
  reset: 0.01,
  latency: 0.2,
  latencyMs
})

export interface SoakOptions {
  readonly requests: number
  readonly concurrency: number
  readonly seed: number
  readonly maxAttempts?: number | undefined
  readonly failureThreshold?: number | undefined
  readonly resetTimeoutMs?: number | undefined
  /** Guard against a hang: a request still running after this is counted as hung. */
  readonly requestGuardMs?: number | undefined
  readonly latencyMs?: number | undefined
  readonly protocol?: "http2" | "http1.1" | undefined
  /** Requests of the warm-up pass run before the baseline is measured; default 64. */
  readonly warmup?: number | undefined
}

export interface BreakerFigures {
  readonly transitions: ReadonlyArray<string>
  readonly openedUnderBurst: boolean
  readonly closedAfterRecovery: boolean
  readonly rejectedWhileOpen: number
  readonly burstRequests: number
}

export interface SoakReport {
  readonly requests: number
  readonly streaming: number
  readonly outcomes: Readonly<Record<string, number>>
  readonly successes: number
  readonly typedFailures: number
  readonly defects: number
  readonly hung: number
  readonly unaccounted: number
  readonly unhandledRejections: number
  readonly retries: number
  readonly maxAttemptsConfigured: number
  readonly attemptsHistogram: Readonly<Record<string, number>>
  readonly retryableFailuresBeforeBudget: number
  readonly breaker: BreakerFigures
  readonly emulator: Stats
  readonly fibersLeft: number
  readonly sockets: { readonly before: number; readonly idleAfterSoak: number; readonly afterClose: number }
  readonly heapMiB: { readonly before: number; readonly after: number; readonly gc: boolean }
  readonly durationMs: number
}

/** Every error a client call may fail with is a tagged Error with a `retryable` flag. */
export const isTypedError = (u: unknown): boolean =>
  u instanceof Error && Predicate.hasProperty(u, "_tag") && typeof u._tag === "string" &&
  Predicate.hasProperty(u, "retryable") && typeof u.retryable === "boolean"

/** The agent's errors are tagged errors (`AgentModelError`, `MaxStepsReached`, ...) carrying the run's progress. */
export const isTaggedError = (u: unknown): boolean =>
  u instanceof Error && Predicate.hasProperty(u, "_tag") && typeof u._tag === "string"

const prompts = [
  "What is the capital of France?",
  "Tell me about foxes and rivers.",
  "Summarise the water cycle in two sentences.",
  "List three prime numbers."
]

export const openSockets = (): number =>
  process.getActiveResourcesInfo().filter((resource) => resource === "TCPSocketWrap").length

const settle = (ms: number) => Effect.promise(() => new Promise((resolve) => setTimeout(resolve, ms)))

/** Waits (bounded) until the count of open sockets is at most `limit`, and returns it. */
export const socketsSettled = (limit: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < 100 && openSockets() > limit; i++) yield* settle(10)
    return openSockets()
  })

const heapMiB = (): number => {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc !== undefined) {
    gc()
    gc()
  }
  return Math.round(process.memoryUsage().heapUsed / 1024 / 1024 * 10) / 10
}

type Outcome =
  | { readonly _tag: "Success" }
  | { readonly _tag: "Failure"; readonly error: string; readonly typed: boolean }
  | { readonly _tag: "Defect" }
  | { readonly _tag: "Hung" }

const classify = <A>(exit: Exit.Exit<A, unknown>): Outcome => {
  if (Exit.isSuccess(exit)) return { _tag: "Success" }
  if (Cause.isDie(exit.cause)) return { _tag: "Defect" }
  return Option.match(Cause.failureOption(exit.cause), {
    onNone: () => ({ _tag: "Hung" }),
    onSome: (error) =>
      Predicate.isTagged(error, "Hung")
        ? { _tag: "Hung" }
        : {
          _tag: "Failure",
          typed: isTypedError(error),
          error: Predicate.hasProperty(error, "_tag") ? String(error._tag) : "untyped"
        }
  })
}

/** One soak pass over an emulator and a client built and released inside. */
const soakPass = (options: SoakOptions, record: {
  readonly outcome: (outcome: Outcome) => void
  readonly transition: (t: CircuitBreaker.CircuitBreaker.Transition) => void
}) =>
  Effect.gen(function*() {
    const maxAttempts = options.maxAttempts ?? 4
    const resetTimeoutMs = options.resetTimeoutMs ?? 100
    const failureThreshold = options.failureThreshold ?? 8
    const attemptsByCall = new Map<number, number>()
    const failedCalls: Array<{ readonly attempt: number; readonly retryable: boolean; readonly tag: string }> = []
    const breaker = yield* CircuitBreaker.make(
      { failureThreshold, resetTimeout: Duration.millis(resetTimeoutMs), halfOpenMaxProbes: 1, successThreshold: 1 },
      { onStateChange: (t) => Effect.sync(() => record.transition(t)) }
    )
    const hooks: BedrockClient.BedrockClient.Hooks = {
      before: (info) => Effect.sync(() => void attemptsByCall.set(info.callId, info.attempt)),
      onError: (info, error) =>
        Effect.sync(() =>
          void failedCalls.push({ attempt: info.attempt, retryable: BedrockError.isRetryable(error), tag: error._tag })
        )
    }
    const emulatorLayer = Emulator.layer({ faults: faultRates(options.seed, options.latencyMs) })
    const runtime = runtimeLayer({ protocol: options.protocol ?? "http2" }).pipe(Layer.provideMerge(emulatorLayer))
    const client = BedrockClient.layer({
      model: { modelId: haiku, maxTokens: 128 },
      retry: { maxAttempts, baseDelay: Duration.millis(2), maxDelay: Duration.millis(20), jitter: true },
      hooks: [hooks]
    }).pipe(
      Layer.provide(Layer.succeed(CircuitBreaker.CircuitBreaker, breaker)),
      Layer.provideMerge(runtime)
    )
    const guard = Duration.millis(options.requestGuardMs ?? 30_000)

    const one = (index: number) =>
      Effect.gen(function*() {
        const client = yield* BedrockClient.BedrockClient
        const input = [Message.user(prompts[index % prompts.length]!)]
        const call = index % 2 === 0
          ? Effect.asVoid(client.generate(input))
          : Effect.asVoid(BedrockClient.collect(client.stream(input)))
        return yield* Effect.timeoutFail(call, { duration: guard, onTimeout: () => ({ _tag: "Hung" as const }) })
      })

    return yield* Effect.gen(function*() {
      const emulator: RunningEmulator = yield* Emulator
      const client = yield* BedrockClient.BedrockClient
      yield* Effect.forEach(
        Array.from({ length: options.requests }, (_, i) => i),
        (index) => Effect.map(Effect.exit(one(index)), (exit) => record.outcome(classify(exit))),
        { concurrency: options.concurrency, discard: true }
      )
      const idleAfterSoak = yield* socketsSettled(2 * options.concurrency)

      // A burst of 503s, sequential so that the breaker sees them in a row; then recovery.
      let rejectedWhileOpen = 0
      let burstRequests = 0
      emulator.faults.enqueue(...Array.from({ length: failureThreshold * 2 }, () => "unavailable"))
      for (let i = 0; i < failureThreshold; i++) {
        burstRequests++
        const exit = yield* Effect.exit(one(i))
        record.outcome(classify(exit))
        if (
          Exit.isFailure(exit) && Option.exists(Cause.failureOption(exit.cause), Predicate.isTagged("CircuitOpenError"))
        ) {
          rejectedWhileOpen++
        }
      }
      const openedUnderBurst = (yield* breaker.state)._tag === "Open"
      emulator.faults.clear()
      yield* Effect.sleep(Duration.millis(resetTimeoutMs + 20))
      for (let i = 0; i < 20 && (yield* breaker.state)._tag !== "Closed"; i++) {
        burstRequests++
        record.outcome(classify(yield* Effect.exit(one(i))))
        if ((yield* breaker.state)._tag === "Open") yield* Effect.sleep(Duration.millis(resetTimeoutMs + 20))
      }
      const closedAfterRecovery = (yield* breaker.state)._tag === "Closed"
      const usage = yield* client.usage
      const attemptsHistogram: Record<string, number> = {}
      for (const attempts of attemptsByCall.values()) {
        attemptsHistogram[attempts] = (attemptsHistogram[attempts] ?? 0) + 1
      }
      return {
        retries: usage.retries,
        attemptsHistogram,
        // A stream interrupted after its first event is never retried in place (its events were delivered), so it
        // surfaces at once even when its cause is retryable.
        retryableFailuresBeforeBudget: failedCalls.filter((f) =>
          f.retryable && f.tag !== "StreamInterruptedError" && f.attempt < maxAttempts
        ).length,
        maxAttemptsSeen: Math.max(0, ...attemptsByCall.values()),
        emulator: emulator.stats(),
        idleAfterSoak,
        openedUnderBurst,
        closedAfterRecovery,
        rejectedWhileOpen,
        burstRequests
      }
    }).pipe(Effect.provide(client))
  })

/** Runs the soak and measures leaks once the emulator and client are released. */
export const runFaultSoak = (options: SoakOptions): Effect.Effect<SoakReport, EmulatorStartError> =>
  Effect.gen(function*() {
    const started = Date.now()
    let unhandledRejections = 0
    const onUnhandled = () => {
      unhandledRejections++
    }
    process.on("unhandledRejection", onUnhandled)
    const outcomes: Record<string, number> = {}
    let successes = 0
    let typedFailures = 0
    let defects = 0
    let hung = 0
    let total = 0
    const transitions: Array<string> = []
    const record = {
      outcome: (outcome: Outcome) => {
        total++
        const key = outcome._tag === "Failure" ? outcome.error : outcome._tag
        outcomes[key] = (outcomes[key] ?? 0) + 1
        if (outcome._tag === "Success") successes++
        else if (outcome._tag === "Defect") defects++
        else if (outcome._tag === "Hung") hung++
        else if (outcome.typed) typedFailures++
      },
      transition: (t: CircuitBreaker.CircuitBreaker.Transition) => void transitions.push(`${t.from}->${t.to}`)
    }

    // A warm-up pass (modules loaded, code paths compiled) before the baseline is taken.
    yield* Effect.scoped(soakPass({ ...options, requests: options.warmup ?? 64 }, {
      outcome: () => {},
      transition: () => {}
    }))
    const socketsBefore = yield* socketsSettled(0)
    const heapBefore = heapMiB()

    const supervisor = yield* Supervisor.track
    const figures = yield* Effect.scoped(soakPass(options, record)).pipe(Effect.supervised(supervisor))
    const fibersLeft = (yield* supervisor.value).filter((fiber) => fiber.unsafePoll() === null).length
    const afterClose = yield* socketsSettled(socketsBefore)
    yield* settle(50)
    const heapAfter = heapMiB()
    process.off("unhandledRejection", onUnhandled)
    return {
      requests: total,
      streaming: Math.floor(options.requests / 2),
      outcomes,
      successes,
      typedFailures,
      defects,
      hung,
      unaccounted: options.requests + figures.burstRequests - successes - typedFailures - defects - hung,
      unhandledRejections,
      retries: figures.retries,
      maxAttemptsConfigured: options.maxAttempts ?? 4,
      attemptsHistogram: figures.attemptsHistogram,
      retryableFailuresBeforeBudget: figures.retryableFailuresBeforeBudget,
      breaker: {
        transitions,
        openedUnderBurst: figures.openedUnderBurst,
        closedAfterRecovery: figures.closedAfterRecovery,
        rejectedWhileOpen: figures.rejectedWhileOpen,
        burstRequests: figures.burstRequests
      },
      emulator: figures.emulator,
      fibersLeft,
      sockets: { before: socketsBefore, idleAfterSoak: figures.idleAfterSoak, afterClose },
      heapMiB: { before: heapBefore, after: heapAfter, gc: typeof (globalThis as { gc?: unknown }).gc === "function" },
      durationMs: Date.now() - started
    }
  })

export interface AgentSoakReport {
  readonly runs: number
  readonly outcomes: Readonly<Record<string, number>>
  readonly finalAnswers: number
  readonly typedErrorsWithTranscript: number
  readonly defects: number
  readonly unaccounted: number
  readonly toolExecutions: number
  readonly duplicateToolExecutions: number
  readonly reusedToolCalls: number
  readonly emulator: Stats
}

const Weather = Tool.make("get_weather", {
  description: "Current weather for a city",
  parameters: { city: Schema.String },
  success: Schema.Struct({ city: Schema.String, celsius: Schema.Number })
})

const Calculator = Tool.make("calculator", {
  description: "Evaluates an arithmetic expression",
  parameters: { expression: Schema.String },
  success: Schema.Struct({ value: Schema.Number })
})

const agentPrompts = [
  "Use get_weather for Paris and the calculator for 2+2.",
  "Use get_weather for Oslo.",
  "Use the calculator for 6*7.",
  "What is the capital of France?"
]

/** Agent runs with tools through the client under the same seeded faults: final answer or typed error with transcript. */
export const runAgentSoak = (options: {
  readonly runs: number
  readonly concurrency: number
  readonly seed: number
  /** Extra runs whose model call is refused; default 5. */
  readonly forcedFailures?: number | undefined
}): Effect.Effect<AgentSoakReport, EmulatorStartError> =>
  Effect.gen(function*() {
    const forcedFailures = options.forcedFailures ?? 5
    const toolkit = Toolkit.make(Weather, Calculator)
    const agent = Agent.make({ toolkit, limits: { maxSteps: 6 }, maxReplays: 2 })
    const outcomes: Record<string, number> = {}
    let finalAnswers = 0
    let typedErrorsWithTranscript = 0
    let defects = 0
    let toolExecutions = 0
    let duplicateToolExecutions = 0
    let reusedToolCalls = 0
    const bump = (key: string) => void (outcomes[key] = (outcomes[key] ?? 0) + 1)

    const one = (index: number) => {
      const executed = new Map<string, number>()
      const count = (toolUseId: string) =>
        Effect.sync(() => {
          toolExecutions++
          const times = (executed.get(toolUseId) ?? 0) + 1
          executed.set(toolUseId, times)
          if (times > 1) duplicateToolExecutions++
        })
      const handlers = toolkit.toLayer({
        get_weather: ({ city }, { toolUseId }) => Effect.as(count(toolUseId), { city, celsius: 21 }),
        calculator: (_, { toolUseId }) => Effect.as(count(toolUseId), { value: 42 })
      })
      return agent.run(agentPrompts[index % agentPrompts.length]!).pipe(
        Effect.provide(handlers),
        Effect.timeoutFail({ duration: Duration.seconds(60), onTimeout: () => ({ _tag: "Hung" as const }) }),
        Effect.exit,
        Effect.map((exit) => {
          if (Exit.isSuccess(exit)) {
            finalAnswers++
            reusedToolCalls += exit.value.steps.reduce(
              (n, step) => n + step.toolCalls.filter((c) => c.reused).length,
              0
            )
            return bump(exit.value.text.length > 0 ? "FinalAnswer" : "EmptyAnswer")
          }
          if (Cause.isDie(exit.cause)) {
            defects++
            return bump("Defect")
          }
          Option.match(Cause.failureOption(exit.cause), {
            onNone: () => bump("Interrupted"),
            onSome: (error) => {
              const hasTranscript = Predicate.hasProperty(error, "transcript") && Array.isArray(error.transcript) &&
                error.transcript.length > 0
              if (isTaggedError(error) && hasTranscript) typedErrorsWithTranscript++
              const inner = Predicate.hasProperty(error, "error") && Predicate.hasProperty(error.error, "_tag")
                ? `(${String(error.error._tag)})`
                : ""
              bump(`${Predicate.hasProperty(error, "_tag") ? String(error._tag) : "untyped"}${inner}`)
            }
          })
        })
      )
    }

    const emulatorLayer = Emulator.layer({ faults: faultRates(options.seed) })
    const client = BedrockClient.layer({
      model: { modelId: haiku, maxTokens: 256 },
      retry: { maxAttempts: 4, baseDelay: Duration.millis(2), maxDelay: Duration.millis(20) },
      circuitBreaker: false
    }).pipe(Layer.provideMerge(runtimeLayer().pipe(Layer.provideMerge(emulatorLayer))))

    const emulator = yield* Effect.gen(function*() {
      yield* Effect.forEach(Array.from({ length: options.runs }, (_, i) => i), one, {
        concurrency: options.concurrency,
        discard: true
      })
      // Runs whose first step is refused (403, not retryable): each must fail typed, carrying its transcript.
      const running = yield* Emulator
      for (let i = 0; i < forcedFailures; i++) {
        running.faults.enqueue("access-denied")
        yield* one(i)
      }
      return running.stats()
    }).pipe(Effect.provide(client))

    return {
      runs: options.runs + forcedFailures,
      outcomes,
      finalAnswers,
      typedErrorsWithTranscript,
      defects,
      unaccounted: options.runs + forcedFailures - finalAnswers - typedErrorsWithTranscript,
      toolExecutions,
      duplicateToolExecutions,
      reusedToolCalls,
      emulator
    }
  })
