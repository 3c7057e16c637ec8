/**
 * The agent loop: an agent's settings (`settings`, once per agent), and a run (`run`): read the memory, then step
 * (`step.ts`) from the initial run state (`runState.ts`) until a step finishes the run, checking the limits
 * (`limits.ts`) before each step; then write the memory and emit `Final`. The tools a run started are interrupted
 * when it ends, however it ends.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import type * as Schema from "effect/Schema"
import type { Event, Input, Memory, Options, Result, RunOptions } from "../../Agent.js"
import * as BedrockClient from "../../BedrockClient.js"
import type * as Conversation from "../../Conversation.js"
import * as Message from "../../Message.js"
import * as Response from "../../Response.js"
import * as Tool from "../../Tool.js"
import * as Toolkit from "../../Toolkit.js"
import * as Attributes from "../telemetry/attributes.js"
import * as Metrics from "../telemetry/metrics.js"
import * as Progress from "../telemetry/progress.js"
import * as Span from "../telemetry/span.js"
import { withSpan } from "../tracing.js"
import * as ChildFibers from "./childFibers.js"
import { type AgentError, AgentMemoryError, trusted } from "./errors.js"
import * as Events from "./events.js"
import * as Limits from "./limits.js"
import * as OutputTool from "./outputTool.js"
import * as RunState from "./runState.js"
import * as Step from "./step.js"
import * as ToolExecution from "./toolExecution.js"

/** An agent's options with their defaults applied. @internal */
export interface Settings {
  readonly name: string
  readonly toolkit: Toolkit.Toolkit<any>
  readonly limits: Limits.RunLimits
  readonly maxReplays: number
  readonly streaming: boolean
  readonly toolConcurrency: number
  readonly toolTimeout: Duration.Duration | undefined
  readonly system: ReadonlyArray<Message.SystemContentBlock> | undefined
  readonly model: BedrockClient.BedrockClient.ModelOverrides | undefined
  readonly toolChoice: Conversation.ToolChoice | undefined
  readonly memory: Memory | undefined
}

/** @internal */
export const settings = (options: Options<any>): Settings => ({
  name: options.name ?? "agent",
  toolkit: options.toolkit ?? Toolkit.empty,
  limits: Limits.resolve(options.limits),
  maxReplays: Math.max(0, options.maxReplays ?? 2),
  streaming: options.streaming ?? true,
  toolConcurrency: Math.max(1, options.toolConcurrency ?? 4),
  toolTimeout: options.toolTimeout === undefined ? undefined : Duration.decode(options.toolTimeout),
  system: options.instructions === undefined
    ? undefined
    : typeof options.instructions === "string"
    ? Message.system(options.instructions)
    : options.instructions,
  model: options.model,
  toolChoice: options.toolChoice,
  memory: options.memory
})

/** The options of one run, as `run` and `stream` take them. @internal */
export type RunOptionsOf<A> = RunOptions & { readonly output?: Schema.Schema<A, any> | undefined }

const toMessages = (input: Input): Array<Message.Message> =>
  typeof input === "string" ? [Message.user(input)] : "role" in input ? [input as Message.Message] : [...input]

const memoryError = (agent: string, state: RunState.RunState, operation: "read" | "write") => (error: unknown) =>
  new AgentMemoryError({
    ...RunState.progress(state),
    message: `the agent "${agent}" could not ${operation} its memory: ${
      error instanceof Error ? error.message : String(error)
    }`,
    operation,
    error
  }, trusted)

/** The run's result once a step finished it: written to memory, then emitted as `Final`. */
const finish = <A>(
  settings: Settings,
  run: Step.Run<A>,
  memory: Memory | undefined,
  end: Extract<Step.Next<A>, { readonly _tag: "Finish" }>
): Effect.Effect<Result<A>, AgentMemoryError> => {
  const { state } = end
  const result: Result<A> = {
    response: end.response,
    text: Response.text(end.response),
    output: end.output,
    transcript: state.transcript,
    steps: state.steps,
    usage: state.usage,
    cost: state.cost
  }
  const emitted = Effect.as(run.events.emit({ _tag: "Final", result }), result)
  return memory === undefined ? emitted : memory.append(OutputTool.forMemory(result.transcript, end.outputJson)).pipe(
    Effect.mapError(memoryError(settings.name, state, "write")),
    Effect.zipRight(emitted)
  )
}

/** What a run is made of besides the agent's settings (`makeRun`). @internal */
export interface RunParts<A> {
  readonly options: RunOptionsOf<A>
  /** Receives the events besides the run's `onEvent` (the consumer of the agent's `stream`). */
  readonly consumer: ((event: Event<A>) => Effect.Effect<void>) | undefined
  readonly fibers: ChildFibers.ChildFibers
  readonly publish: (state: RunState.RunState) => Effect.Effect<void>
  /** The memory's messages, sent before the run's own. */
  readonly history: ReadonlyArray<Message.Message>
}

/** Everything the steps of one run share: the client, the tool handlers, the events, the output tool. @internal */
export const makeRun = <A>(
  settings: Settings,
  parts: RunParts<A>
): Effect.Effect<Step.Run<A>, never, BedrockClient.BedrockClient | Toolkit.Requirements<Record<string, Tool.Any>>> =>
  Effect.gen(function*() {
    const { options } = parts
    const client = yield* BedrockClient.BedrockClient
    const events = Events.make<A>(options.onEvent, parts.consumer)
    const outputTool = options.output === undefined
      ? undefined
      : OutputTool.make(options.output, options.outputToolName ?? "respond")
    const tools = ToolExecution.make({
      agent: settings.name,
      tools: settings.toolkit.tools,
      handlers: yield* Toolkit.handlers(settings.toolkit),
      permits: yield* Effect.makeSemaphore(settings.toolConcurrency),
      toolTimeout: settings.toolTimeout,
      events,
      onApproval: options.onApproval,
      fibers: parts.fibers
    })
    return {
      agent: settings.name,
      limits: settings.limits,
      toolkit: settings.toolkit,
      system: settings.system,
      model: settings.model,
      toolChoice: settings.toolChoice,
      history: parts.history,
      outputTool,
      client,
      events,
      modelCall: {
        client,
        events,
        streaming: settings.streaming,
        maxReplays: settings.maxReplays,
        isClientTool: (use) => use.type === undefined && use.name !== outputTool?.name,
        startTool: tools.start
      },
      tools,
      publish: parts.publish
    }
  })

/** What a finished step adds to the run's progress: one step, its failed tool calls, its tokens and cost. */
const stepAdvance = (state: RunState.RunState): Progress.Advance => {
  const step = state.steps[state.steps.length - 1]
  return step === undefined ? {} : {
    done: 1,
    failures: step.toolCalls.filter((call) => Tool.isError(call.outcome)).length,
    inputTokens: step.response.usage.inputTokens,
    outputTokens: step.response.usage.outputTokens,
    cost: step.cost
  }
}

/** Runs `body` with a progress reporter of `maxSteps` items when the run has `onProgress`; without one, reports nothing. */
const withProgress = <A, E, R>(
  total: number,
  onProgress: RunOptions["onProgress"],
  body: (report: (state: RunState.RunState) => Effect.Effect<void>) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  onProgress === undefined
    ? body(() => Effect.void)
    : Progress.track(total, (reporter) => body((state) => reporter.advance(stepAdvance(state))), onProgress)

/** The span options of an agent run: kind `internal`. */
const agentSpanOptions = { kind: "internal" } as const

/**
 * One run of the agent: the memory read, the steps from the input's state until one finishes the run (the limits
 * checked before each), the memory written; within the deadline, in the span `invoke_agent {name}` (its steps'
 * `chat` spans and its `execute_tool` spans are its children), one `bedrock_llm.agent.steps` per step. @internal
 */
export const run = <A>(
  settings: Settings,
  input: Input,
  options: RunOptionsOf<A>,
  consumer: ((event: Event<A>) => Effect.Effect<void>) | undefined
): Effect.Effect<Result<A>, AgentError, BedrockClient.BedrockClient | Toolkit.Requirements<Record<string, Tool.Any>>> =>
  Effect.suspend(() => {
    const { limits, name } = settings
    const fibers = ChildFibers.make()
    const memory = options.memory ?? settings.memory
    const first = RunState.initial(toMessages(input))
    const latest = Ref.unsafeMake(first)
    const publish = (state: RunState.RunState) => Ref.set(latest, state)
    const body = withProgress(limits.maxSteps, options.onProgress, (report) =>
      Effect.gen(function*() {
        const history = memory === undefined
          ? []
          : yield* Effect.mapError(memory.messages, memoryError(name, first, "read"))
        const run = yield* makeRun(settings, { options, consumer, fibers, publish, history })
        const modelId = settings.model?.modelId ?? run.client.model.modelId
        yield* Span.annotateSpan(() => Attributes.agentAttributes({ name, modelId }))
        const loop = (state: RunState.RunState): Effect.Effect<Result<A>, AgentError> =>
          Limits.enforce(limits, name, state).pipe(
            Effect.zipRight(Step.step(run, state)),
            Effect.zipLeft(Metrics.recordAgentStep(name, modelId)),
            Effect.tap((next) => report(next.state)),
            Effect.flatMap((next) => next._tag === "Continue" ? loop(next.state) : finish(settings, run, memory, next))
          )
        const result = yield* loop(first)
        yield* Span.annotateSpan(() =>
          Attributes.agentResultAttributes({ steps: result.steps.length, usage: result.usage, cost: result.cost })
        )
        return result
      })).pipe(Effect.ensuring(fibers.interruptAll))
    return Limits.withDeadline(body, limits, name, Ref.get(latest)).pipe(
      Effect.tapError((error) => Span.annotateSpan(() => Attributes.errorAttributes(error))),
      withSpan(Attributes.spanName("invoke_agent", name), agentSpanOptions)
    )
  })
