/**
 * How an agent run executes the tool calls the model asks for. `start` starts a call in its own fiber (a child of the
 * run's fiber) as soon as its input is complete, possibly while the model still streams; `settle` waits for its
 * outcome. A call goes: decode its input, ask for approval when the tool requires it, take a permit (the run's
 * `toolConcurrency`), run the handler under its timeout.
 *
 * A step that is replayed after its stream failed asks for the same calls again under new ids: a call whose tool
 * and input match one started by an earlier attempt of the same step reuses that execution rather than running the
 * tool twice.
 *
 * @internal
 */
import * as Deferred from "effect/Deferred"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import type { ApprovalRequest, Decision, ToolCall } from "../../Agent.js"
import type * as Message from "../../Message.js"
import * as Tool from "../../Tool.js"
import * as Attributes from "../telemetry/attributes.js"
import * as Content from "../telemetry/content.js"
import * as Metrics from "../telemetry/metrics.js"
import * as Span from "../telemetry/span.js"
import { withSpan } from "../tracing.js"
import type { ChildFibers } from "./childFibers.js"
import type { Emitter } from "./events.js"

/** What a finished call gives: its outcome and the block sent back to the model. @internal */
export interface Settled {
  readonly outcome: Tool.Outcome
  readonly result: Message.ToolResult
}

/** One tool call being run (or run) for a step. @internal */
export interface Execution {
  readonly use: Message.ToolUse
  readonly step: number
  /** The attempt of the step that started it. */
  readonly startedIn: number
  /** The latest attempt of the step that asked for it. */
  claimedBy: number
  /** The call's fiber, a child of the run's fiber: interrupted when the run ends. */
  readonly fiber: Fiber.RuntimeFiber<Settled>
}

/** What the tool calls of a run need. @internal */
export interface Dependencies {
  readonly agent: string
  readonly tools: Readonly<Record<string, Tool.Any>>
  readonly handlers: ReadonlyMap<string, Tool.HandlerService>
  /** The permits of the run's `toolConcurrency`. */
  readonly permits: Effect.Semaphore
  /** The default timeout of a call (a tool's own `timeout` wins). */
  readonly toolTimeout: Duration.Duration | undefined
  readonly events: Emitter<never>
  readonly onApproval: ((request: ApprovalRequest) => Effect.Effect<void>) | undefined
  readonly fibers: ChildFibers
}

/** The tool calls of one run. @internal */
export interface ToolExecution {
  /** Starts the call (or finds the execution an earlier attempt of the step started for it). */
  readonly start: (step: number, attempt: number, use: Message.ToolUse) => Effect.Effect<Execution>
  /** The call once its execution has its outcome. */
  readonly settle: (attempt: number, use: Message.ToolUse, execution: Execution) => Effect.Effect<ToolCall>
}

/** A call's record in a step. @internal */
export const toolCall = (use: Message.ToolUse, settled: Settled, reused: boolean): ToolCall => ({
  toolUseId: use.toolUseId,
  name: use.name,
  input: use.input,
  outcome: settled.outcome,
  result: settled.result,
  reused
})

/** A call answered without running anything. @internal */
export const settledWith = (use: Message.ToolUse, outcome: Tool.Outcome): Settled => ({
  outcome,
  result: Tool.toToolResult(use.toolUseId, use.name, outcome)
})

/** JSON with the keys of every object sorted: equal for inputs that differ only in key order. */
const stableJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`
  if (typeof value === "object" && value !== null) {
    return `{${
      Object.keys(value).sort().map((key) =>
        `${JSON.stringify(key)}:${stableJson((value as Record<string, unknown>)[key])}`
      ).join(",")
    }}`
  }
  return JSON.stringify(value) ?? "null"
}

const sameCall = (a: Message.ToolUse, b: Message.ToolUse): boolean =>
  a.name === b.name && stableJson(a.input) === stableJson(b.input)

/** The span options of a tool call: kind `internal` (the tool runs in this process). */
const toolSpanOptions = { kind: "internal" } as const

/** @internal */
export const make = (deps: Dependencies): ToolExecution => {
  const { events, fibers } = deps
  const available = Object.keys(deps.tools)
  const executions = new Map<string, Execution>()

  const requestApproval = (step: number, use: Message.ToolUse, parameters: unknown) =>
    Effect.gen(function*() {
      const decision = yield* Deferred.make<Decision>()
      const request: ApprovalRequest = {
        step,
        toolUseId: use.toolUseId,
        name: use.name,
        input: parameters,
        decision,
        approve: Deferred.succeed(decision, { _tag: "Approved" }),
        deny: (reason) => Deferred.succeed(decision, { _tag: "Denied", reason: reason ?? "denied by the user" })
      }
      yield* events.emit({ _tag: "ApprovalRequested", step, request })
      if (deps.onApproval !== undefined) {
        yield* fibers.fork(deps.onApproval(request))
      } else if (!events.listening) {
        yield* request.deny("no approver is configured for this run")
      }
      return yield* Deferred.await(decision)
    })

  /** Decode, approval, permit, handler under its timeout: the outcome of one call. */
  const outcomeOf = (step: number, use: Message.ToolUse): Effect.Effect<Tool.Outcome> =>
    Effect.gen(function*() {
      const tool: Tool.Any | undefined = deps.tools[use.name]
      const handler = deps.handlers.get(use.name)
      if (tool === undefined || handler === undefined) return Tool.Outcome.UnknownTool({ available })
      const decoded = Tool.decodeInput(tool, use.input)
      if (Either.isLeft(decoded)) return Tool.Outcome.InvalidInput({ message: decoded.left })
      if (tool.requiresApproval) {
        const decision = yield* requestApproval(step, use, decoded.right)
        if (decision._tag === "Denied") return Tool.Outcome.Denied({ reason: decision.reason })
      }
      const call = Tool.run(tool, handler, decoded.right, { toolUseId: use.toolUseId, toolName: tool.name })
      const timeout = tool.timeout ?? deps.toolTimeout
      return yield* deps.permits.withPermits(1)(
        timeout === undefined ? call : Effect.timeoutTo(call, {
          duration: timeout,
          onSuccess: (outcome) => outcome,
          onTimeout: () => Tool.Outcome.TimedOut({ timeout })
        })
      )
    })

  /** One tool call in its `execute_tool {tool}` span, with its outcome on the span and in the tool metrics. */
  const perform = (step: number, use: Message.ToolUse): Effect.Effect<Settled> =>
    Effect.clockWith((clock) => {
      const startedAt = clock.unsafeCurrentTimeMillis()
      return Effect.zipRight(
        Span.annotateSpan(() =>
          Attributes.toolAttributes({
            name: use.name,
            toolUseId: use.toolUseId,
            description: deps.tools[use.name]?.description
          })
        ),
        outcomeOf(step, use)
      ).pipe(
        Effect.map((outcome) => settledWith(use, outcome)),
        Effect.tap(({ outcome, result }) =>
          Effect.all([
            Span.annotateSpan(() => Attributes.toolOutcomeAttributes(outcome)),
            Span.annotateContent(() => Content.toolContentAttributes(use.input, result)),
            Metrics.recordToolCall(use.name, outcome, clock.unsafeCurrentTimeMillis() - startedAt),
            events.emit({ _tag: "ToolResult", step, toolUseId: use.toolUseId, name: use.name, outcome, result })
          ], { discard: true })
        )
      )
    }).pipe(withSpan(Attributes.spanName("execute_tool", use.name), toolSpanOptions))

  /** The execution an earlier attempt of this step started for the same call and no later attempt claimed. */
  const fromEarlierAttempt = (step: number, attempt: number, use: Message.ToolUse): Execution | undefined => {
    if (attempt === 1) return undefined
    for (const execution of executions.values()) {
      if (execution.step === step && execution.claimedBy < attempt && sameCall(execution.use, use)) return execution
    }
    return undefined
  }

  const start = (step: number, attempt: number, use: Message.ToolUse): Effect.Effect<Execution> =>
    Effect.suspend(() => {
      const known = executions.get(use.toolUseId) ?? fromEarlierAttempt(step, attempt, use)
      if (known !== undefined) {
        known.claimedBy = attempt
        executions.set(use.toolUseId, known)
        return Effect.succeed(known)
      }
      return Effect.zipRight(
        events.emit({ _tag: "ToolCall", step, toolUseId: use.toolUseId, name: use.name, input: use.input }),
        Effect.map(fibers.fork(perform(step, use)), (fiber) => {
          const execution: Execution = { use, step, startedIn: attempt, claimedBy: attempt, fiber }
          executions.set(use.toolUseId, execution)
          return execution
        })
      )
    })

  const settle = (attempt: number, use: Message.ToolUse, execution: Execution): Effect.Effect<ToolCall> =>
    Effect.map(
      Effect.flatten(Fiber.await(execution.fiber)),
      (settled) =>
        // A reused execution answers the call it was started for: its result is sent again under this call's id.
        toolCall(
          use,
          use.toolUseId === execution.use.toolUseId ? settled : settledWith(use, settled.outcome),
          execution.startedIn < attempt
        )
    )

  return { start, settle }
}
