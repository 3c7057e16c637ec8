/**
 * The agent loop: call the model, run every tool it asks for in supervised child fibers (parallel, bounded, with
 * timeouts and approvals), send the results back, and repeat until the model answers, within limits on steps,
 * tokens, cost and time. `run` returns the final answer with the transcript; `stream` emits every step as events.
 *
 * @since 0.1.0
 */
import * as Chunk from "effect/Chunk"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import { identity } from "effect/Function"
import * as Mailbox from "effect/Mailbox"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as BedrockClient from "./BedrockClient.js"
import type { StreamInterruptedError } from "./BedrockError.js"
import * as Conversation from "./Conversation.js"
import { plural } from "./internal/plural.js"
import { withSpan } from "./internal/tracing.js"
import * as Message from "./Message.js"
import * as Response from "./Response.js"
import * as Tool from "./Tool.js"
import * as Toolkit from "./Toolkit.js"

// ---------------------------------------------------------------------------
// models
// ---------------------------------------------------------------------------

/**
 * What an agent is asked: a prompt, a user message, or a conversation ending with a user message.
 *
 * @since 0.1.0
 * @category models
 */
export type Input = string | Message.Message | ReadonlyArray<Message.Message>

/**
 * Where an agent keeps a conversation between runs: `messages` gives the earlier messages, `append` receives the
 * messages of each finished run. A `ConversationMemory` handle (`memory.conversation(id)`) has this shape.
 *
 * @since 0.1.0
 * @category models
 */
export interface Memory {
  readonly messages: Effect.Effect<ReadonlyArray<Message.Message>, unknown>
  readonly append: (messages: ReadonlyArray<Message.Message>) => Effect.Effect<unknown, unknown>
}

/**
 * Limits of one run; reaching one ends the run with an `AgentLimitError` carrying the transcript so far.
 *
 * @since 0.1.0
 * @category models
 */
export interface Limits {
  /** Model calls in a run (replays of a step do not count); default 10. */
  readonly maxSteps?: number | undefined
  /** Total tokens (input + output, all steps). */
  readonly maxTokens?: number | undefined
  /** Total cost in USD, from the model catalog's prices. */
  readonly maxCost?: number | undefined
  /** Wall-clock time for the whole run (Clock-based). */
  readonly deadline?: Duration.DurationInput | undefined
}

/**
 * Options of `make`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options<Tools extends Record<string, Tool.Any>> {
  /** Used in logs, spans and `asTool`; default `"agent"`. */
  readonly name?: string | undefined
  /** The system prompt. */
  readonly instructions?: string | ReadonlyArray<Message.SystemContentBlock> | undefined
  readonly toolkit?: Toolkit.Toolkit<Tools> | undefined
  /** Per-agent overrides of the client's model settings (model id, max tokens, temperature ...). */
  readonly model?: BedrockClient.BedrockClient.ModelOverrides | undefined
  /** Tool choice of the first step only (later steps let the model decide). */
  readonly toolChoice?: Conversation.ToolChoice | undefined
  readonly limits?: Limits | undefined
  /** Tool calls running at once; default 4. */
  readonly toolConcurrency?: number | undefined
  /** Default timeout of a tool call (a tool's own `timeout` wins); default none. */
  readonly toolTimeout?: Duration.DurationInput | undefined
  /** Times a step is replayed after its stream fails mid-way; default 2. */
  readonly maxReplays?: number | undefined
  /**
   * Whether each model call streams; default `true`. A streamed step starts each tool as soon as its input is
   * complete, while the model still writes the rest of its answer, gives `stream` the text as it is written, and is
   * replayed when its stream fails mid-way. With `false` each step is one Converse call: a step costs about half the
   * client CPU (`bench/RESULTS.md`), tools start once the whole answer is in, a step's `TextDelta` carries its whole
   * text, and a failed call is retried by the client's retry policy alone.
   */
  readonly streaming?: boolean | undefined
  readonly memory?: Memory | undefined
}

/**
 * What a human decides about a tool call.
 *
 * @since 0.1.0
 * @category models
 */
export type Decision = { readonly _tag: "Approved" } | { readonly _tag: "Denied"; readonly reason: string }

/**
 * A tool call waiting for approval: complete `decision` (or call `approve` / `deny`) to let the run go on.
 *
 * @since 0.1.0
 * @category models
 */
export interface ApprovalRequest {
  readonly step: number
  readonly toolUseId: string
  readonly name: string
  /** The decoded parameters. */
  readonly input: unknown
  readonly decision: Deferred.Deferred<Decision>
  readonly approve: Effect.Effect<boolean>
  readonly deny: (reason?: string) => Effect.Effect<boolean>
}

/**
 * One tool call of a step and what became of it.
 *
 * @since 0.1.0
 * @category models
 */
export interface ToolCall {
  readonly toolUseId: string
  readonly name: string
  readonly input: unknown
  readonly outcome: Tool.Outcome
  /** The block sent back to the model. */
  readonly result: Message.ToolResult
  /** True when the result came from an execution started by an earlier attempt of the step (no new execution). */
  readonly reused: boolean
}

/**
 * One step: a model call (with its replays) and the tools it asked for.
 *
 * @since 0.1.0
 * @category models
 */
export interface Step {
  readonly index: number
  readonly response: Response.Response
  readonly toolCalls: ReadonlyArray<ToolCall>
  /** Model calls made for this step (1 unless a stream failed mid-way). */
  readonly attempts: number
  /** USD. */
  readonly cost: number
}

/**
 * The result of a run.
 *
 * @since 0.1.0
 * @category models
 */
export interface Result<A> {
  /** The last model response. */
  readonly response: Response.Response
  /** The text of the last response. */
  readonly text: string
  /** The decoded structured output, or the final text when no output schema was given. */
  readonly output: A
  /** The messages of this run: the input, then every assistant message and tool-result message. */
  readonly transcript: ReadonlyArray<Message.Message>
  readonly steps: ReadonlyArray<Step>
  readonly usage: Response.Usage
  /** USD. */
  readonly cost: number
}

/**
 * Events of `stream` (and of `onEvent`). After a `StepRetry` the step's text deltas start again.
 *
 * @since 0.1.0
 * @category models
 */
export type Event<A = unknown> =
  | { readonly _tag: "StepStart"; readonly step: number; readonly attempt: number }
  | { readonly _tag: "TextDelta"; readonly step: number; readonly text: string }
  | {
    readonly _tag: "ToolCall"
    readonly step: number
    readonly toolUseId: string
    readonly name: string
    readonly input: unknown
  }
  | { readonly _tag: "ApprovalRequested"; readonly step: number; readonly request: ApprovalRequest }
  | {
    readonly _tag: "ToolResult"
    readonly step: number
    readonly toolUseId: string
    readonly name: string
    readonly outcome: Tool.Outcome
    readonly result: Message.ToolResult
  }
  | {
    readonly _tag: "StepRetry"
    readonly step: number
    readonly attempt: number
    readonly error: StreamInterruptedError
  }
  | { readonly _tag: "StepEnd"; readonly step: Step }
  | { readonly _tag: "Final"; readonly result: Result<A> }

/**
 * Options of one run.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunOptions {
  /** Called for every event (also in `stream`). */
  readonly onEvent?: ((event: Event) => Effect.Effect<void>) | undefined
  /** Called (in its own fiber) for each call that needs approval; it completes the request now or later. */
  readonly onApproval?: ((request: ApprovalRequest) => Effect.Effect<void>) | undefined
  /** Overrides the agent's memory for this run. */
  readonly memory?: Memory | undefined
  /** Name of the tool the model answers through when `output` is given; default `"respond"`. */
  readonly outputToolName?: string | undefined
}

/**
 * Options of a run with a structured output.
 *
 * @since 0.1.0
 * @category models
 */
export interface OutputOptions<A, I> extends RunOptions {
  /** The final answer is a value of this schema (sent by the model as the input of the `respond` tool). */
  readonly output: Schema.Schema<A, I>
}

// ---------------------------------------------------------------------------
// errors
// ---------------------------------------------------------------------------

const progress = {
  message: Schema.String,
  transcript: Schema.Array(Message.Message),
  steps: Schema.Number,
  usage: Response.Usage,
  cost: Schema.Number
}

/**
 * The model still asked for tools after `maxSteps` steps.
 *
 * @since 0.1.0
 * @category errors
 */
export class MaxStepsReached extends Schema.TaggedError<MaxStepsReached>("bedrock-llm/MaxStepsReached")(
  "MaxStepsReached",
  { ...progress, maxSteps: Schema.Number }
) {}

/**
 * The run used more tokens than `maxTokens`.
 *
 * @since 0.1.0
 * @category errors
 */
export class TokenBudgetExceeded extends Schema.TaggedError<TokenBudgetExceeded>("bedrock-llm/TokenBudgetExceeded")(
  "TokenBudgetExceeded",
  { ...progress, budget: Schema.Number, used: Schema.Number }
) {}

/**
 * The run cost more than `maxCost` (USD).
 *
 * @since 0.1.0
 * @category errors
 */
export class CostBudgetExceeded extends Schema.TaggedError<CostBudgetExceeded>("bedrock-llm/CostBudgetExceeded")(
  "CostBudgetExceeded",
  { ...progress, budget: Schema.Number, used: Schema.Number }
) {}

/**
 * The run did not finish before its deadline; running tools and the model request were interrupted.
 *
 * @since 0.1.0
 * @category errors
 */
export class DeadlineExceeded extends Schema.TaggedError<DeadlineExceeded>("bedrock-llm/DeadlineExceeded")(
  "DeadlineExceeded",
  { ...progress, deadlineMs: Schema.Number }
) {}

/**
 * A limit of the run was reached; every variant carries the transcript so far.
 *
 * @since 0.1.0
 * @category errors
 */
export type AgentLimitError = MaxStepsReached | TokenBudgetExceeded | CostBudgetExceeded | DeadlineExceeded

/**
 * A model call failed for good (after the client's retries, or after the step's replays); `error` says why.
 *
 * @since 0.1.0
 * @category errors
 */
export class AgentModelError extends Schema.TaggedError<AgentModelError>("bedrock-llm/AgentModelError")(
  "AgentModelError",
  { ...progress, step: Schema.Number, error: Schema.Unknown }
) {
  declare readonly error: BedrockClient.ClientError
}

/**
 * The memory could not be read before the run or written after it; `error` is the memory's own error.
 *
 * @since 0.1.0
 * @category errors
 */
export class AgentMemoryError extends Schema.TaggedError<AgentMemoryError>("bedrock-llm/AgentMemoryError")(
  "AgentMemoryError",
  { ...progress, operation: Schema.Literal("read", "write"), error: Schema.Unknown }
) {}

/**
 * Any failure of a run.
 *
 * @since 0.1.0
 * @category errors
 */
export type AgentError = AgentLimitError | AgentModelError | AgentMemoryError

const limitTags: ReadonlySet<string> = new Set([
  "MaxStepsReached",
  "TokenBudgetExceeded",
  "CostBudgetExceeded",
  "DeadlineExceeded"
])

/**
 * Whether an error is one of the limit errors.
 *
 * @since 0.1.0
 * @category utils
 */
export const isAgentLimitError = (u: unknown): u is AgentLimitError =>
  typeof u === "object" && u !== null && "_tag" in u && typeof u._tag === "string" && limitTags.has(u._tag)

// ---------------------------------------------------------------------------
// the agent
// ---------------------------------------------------------------------------

/**
 * What a run of an agent requires: the client and the handlers of its tools.
 *
 * @since 0.1.0
 * @category models
 */
export type Requirements<Tools extends Record<string, Tool.Any>> =
  | BedrockClient.BedrockClient
  | Toolkit.Requirements<Tools>

/**
 * An agent: a description of the loop (instructions, tools, limits); it runs when `run` or `stream` is used.
 *
 * @since 0.1.0
 * @category models
 */
export interface Agent<Tools extends Record<string, Tool.Any>> {
  readonly name: string
  readonly toolkit: Toolkit.Toolkit<Tools>
  readonly options: Options<Tools>
  /** Runs to the final answer (decoded with `output` when given). */
  readonly run: {
    <A, I>(input: Input, options: OutputOptions<A, I>): Effect.Effect<Result<A>, AgentError, Requirements<Tools>>
    (input: Input, options?: RunOptions): Effect.Effect<Result<string>, AgentError, Requirements<Tools>>
  }
  /** The run as events, ending with `Final`; stopping the stream interrupts the run. */
  readonly stream: {
    <A, I>(input: Input, options: OutputOptions<A, I>): Stream.Stream<Event<A>, AgentError, Requirements<Tools>>
    (input: Input, options?: RunOptions): Stream.Stream<Event<string>, AgentError, Requirements<Tools>>
  }
}

interface State {
  readonly transcript: Array<Message.Message>
  readonly steps: Array<Step>
  usage: Response.Usage
  cost: number
}

interface Execution {
  readonly toolUseId: string
  readonly key: string
  readonly step: number
  readonly startedIn: number
  claimedBy: number
  /** The tool call's fiber, a child of the run's fiber: interrupted when the run ends. */
  readonly fiber: Fiber.RuntimeFiber<Tool.Outcome>
}

interface OutputTool<A> {
  readonly name: string
  readonly spec: Conversation.ToolSpec
  readonly decode: (input: unknown) => Either.Either<A, string>
  readonly raw: (input: unknown) => unknown
}

const toMessages = (input: Input): Array<Message.Message> =>
  typeof input === "string" ? [Message.user(input)] : "role" in input ? [input as Message.Message] : [...input]

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

const parseJson = (text: string): Option.Option<unknown> => {
  if (text.trim() === "") return Option.some({})
  try {
    return Option.some(JSON.parse(text))
  } catch {
    return Option.none()
  }
}

const makeOutputTool = <A, I>(schema: Schema.Schema<A, I>, name: string): OutputTool<A> => {
  const direct = Tool.jsonSchema(schema)
  const wrapped = direct["type"] !== "object"
  const carrier: Schema.Schema<A, any> = wrapped
    ? Schema.Struct({ value: schema }).pipe(Schema.transform(Schema.typeSchema(schema), {
      strict: true,
      decode: (struct) => struct.value,
      encode: (value) => ({ value })
    }))
    : schema
  const decode = ParseResult.decodeUnknownEither(carrier)
  return {
    name,
    spec: Conversation.toolSpec({
      name,
      description: "Give the final answer as this tool's input, following its schema exactly.",
      inputSchema: wrapped ? Tool.jsonSchema(Schema.Struct({ value: schema })) : direct
    }),
    decode: (input) =>
      Either.mapLeft(decode(input, { errors: "all" }), (issue) => ParseResult.TreeFormatter.formatIssueSync(issue)),
    raw: (input) =>
      wrapped && typeof input === "object" && input !== null && "value" in input
        ? (input as { readonly value: unknown }).value
        : input
  }
}

const outputNudge = (name: string) => `Now give your final answer by calling the ${name} tool.`

const forMemory = (
  transcript: ReadonlyArray<Message.Message>,
  outputJson: string | undefined
): ReadonlyArray<Message.Message> => {
  if (outputJson === undefined) return transcript
  const last = transcript[transcript.length - 1]
  if (last === undefined || last.role !== "assistant") return transcript
  const kept = last.content.filter((block) => block._tag !== "ToolUse")
  return [...transcript.slice(0, -1), { role: "assistant", content: [...kept, Message.text(outputJson)] }]
}

const make_ = <Tools extends Record<string, Tool.Any>>(options: Options<Tools>): Agent<Tools> => {
  const name = options.name ?? "agent"
  const toolkit = (options.toolkit ?? Toolkit.empty) as Toolkit.Toolkit<Tools>
  const maxSteps = Math.max(1, options.limits?.maxSteps ?? 10)
  const maxReplays = Math.max(0, options.maxReplays ?? 2)
  const streaming = options.streaming ?? true
  const concurrency = Math.max(1, options.toolConcurrency ?? 4)
  const toolTimeout = options.toolTimeout === undefined ? undefined : Duration.decode(options.toolTimeout)
  const deadline = options.limits?.deadline === undefined ? undefined : Duration.decode(options.limits.deadline)
  const system = options.instructions === undefined
    ? undefined
    : typeof options.instructions === "string"
    ? Message.system(options.instructions)
    : options.instructions

  const runLoop = <A>(
    input: Input,
    runOptions: RunOptions & { readonly output?: Schema.Schema<A, any> | undefined },
    emitOut: ((event: Event<A>) => Effect.Effect<void>) | undefined
  ): Effect.Effect<Result<A>, AgentError, Requirements<Tools>> =>
    Effect.suspend(() => {
      const state: State = { transcript: toMessages(input), steps: [], usage: Response.Usage.empty, cost: 0 }
      const snapshot = () => ({
        transcript: [...state.transcript],
        steps: state.steps.length,
        usage: state.usage,
        cost: state.cost
      })
      const interactive = emitOut !== undefined || runOptions.onEvent !== undefined
      const emit = (event: Event<A>): Effect.Effect<void> =>
        Effect.zipRight(
          runOptions.onEvent === undefined ? Effect.void : runOptions.onEvent(event as Event),
          emitOut === undefined ? Effect.void : emitOut(event)
        )
      const outputTool = runOptions.output === undefined
        ? undefined
        : makeOutputTool(runOptions.output, runOptions.outputToolName ?? "respond")
      const memory = runOptions.memory ?? options.memory
      /**
       * The run's tool and approval fibers, forked as children of the run's fiber and interrupted when the run ends.
       * (A plain set, not a `FiberSet` in a scope: making those is a visible share of a short run's cost.)
       */
      const running = new Set<Fiber.RuntimeFiber<unknown>>()
      const supervise = <X>(effect: Effect.Effect<X>): Effect.Effect<Fiber.RuntimeFiber<X>> =>
        Effect.map(Effect.fork(effect), (fiber) => {
          running.add(fiber)
          fiber.addObserver(() => running.delete(fiber))
          return fiber
        })
      const interruptRunning = Effect.suspend(() => running.size === 0 ? Effect.void : Fiber.interruptAll(running))

      const body = Effect.gen(function*() {
        const client = yield* BedrockClient.BedrockClient
        const handlers = yield* Toolkit.handlers(toolkit)
        const permits = yield* Effect.makeSemaphore(concurrency)
        const memoryFailure = (operation: "read" | "write") => (error: unknown) =>
          new AgentMemoryError({
            ...snapshot(),
            message: `the agent "${name}" could not ${operation} its memory: ${
              error instanceof Error ? error.message : String(error)
            }`,
            operation,
            error
          }, true)
        const history = memory === undefined ? [] : yield* Effect.mapError(memory.messages, memoryFailure("read"))
        const executions = new Map<string, Execution>()
        const available = Object.keys(toolkit.tools)

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
            yield* emit({ _tag: "ApprovalRequested", step, request })
            if (runOptions.onApproval !== undefined) {
              yield* supervise(runOptions.onApproval(request))
            } else if (!interactive) {
              yield* request.deny("no approver is configured for this run")
            }
            return yield* Deferred.await(decision)
          })

        const perform = (step: number, use: Message.ToolUse): Effect.Effect<Tool.Outcome> =>
          Effect.gen(function*() {
            const tool: Tool.Any | undefined = toolkit.tools[use.name]
            const handler = handlers.get(use.name)
            if (tool === undefined || handler === undefined) return Tool.Outcome.UnknownTool({ available })
            const decoded = Tool.decodeInput(tool, use.input)
            if (Either.isLeft(decoded)) return Tool.Outcome.InvalidInput({ message: decoded.left })
            if (tool.requiresApproval) {
              const decision = yield* requestApproval(step, use, decoded.right)
              if (decision._tag === "Denied") return Tool.Outcome.Denied({ reason: decision.reason })
            }
            const call = Tool.run(tool, handler, decoded.right, { toolUseId: use.toolUseId, toolName: tool.name })
            const timeout = tool.timeout ?? toolTimeout
            return yield* permits.withPermits(1)(
              timeout === undefined ? call : Effect.timeoutTo(call, {
                duration: timeout,
                onSuccess: (outcome) => outcome,
                onTimeout: () => Tool.Outcome.TimedOut({ timeout })
              })
            )
          }).pipe(
            Effect.tap((outcome) =>
              emit({
                _tag: "ToolResult",
                step,
                toolUseId: use.toolUseId,
                name: use.name,
                outcome,
                result: Tool.toToolResult(use.toolUseId, use.name, outcome)
              })
            ),
            withSpan("Agent.tool", { attributes: { agent: name, tool: use.name } })
          )

        const start = (step: number, attempt: number, use: Message.ToolUse): Effect.Effect<Execution> =>
          Effect.gen(function*() {
            const known = executions.get(use.toolUseId)
            if (known !== undefined) {
              known.claimedBy = attempt
              return known
            }
            const key = `${use.name}:${stableJson(use.input)}`
            for (const execution of new Set(executions.values())) {
              if (execution.step === step && execution.key === key && execution.claimedBy < attempt) {
                execution.claimedBy = attempt
                executions.set(use.toolUseId, execution)
                return execution
              }
            }
            yield* emit({ _tag: "ToolCall", step, toolUseId: use.toolUseId, name: use.name, input: use.input })
            const execution: Execution = {
              toolUseId: use.toolUseId,
              key,
              step,
              startedIn: attempt,
              claimedBy: attempt,
              fiber: yield* supervise(perform(step, use))
            }
            executions.set(use.toolUseId, execution)
            return execution
          })

        /** The call once its execution (started by `start`) has its outcome. */
        const settle = (attempt: number, use: Message.ToolUse, execution: Execution): Effect.Effect<ToolCall> =>
          Effect.map(Effect.flatten(Fiber.await(execution.fiber)), (outcome) => ({
            toolUseId: use.toolUseId,
            name: use.name,
            input: use.input,
            outcome,
            result: Tool.toToolResult(use.toolUseId, use.name, outcome),
            reused: execution.startedIn < attempt
          }))

        const isClientTool = (use: { readonly name: string; readonly type?: string | undefined }) =>
          use.type === undefined && use.name !== outputTool?.name

        /** A step as one Converse call: its text, then every client tool it asks for, started in order. */
        const unaryStep = (step: number, request: BedrockClient.BedrockClient.Request) =>
          Effect.gen(function*() {
            yield* emit({ _tag: "StepStart", step, attempt: 1 })
            const response = yield* client.generate(request)
            const text = Response.text(response)
            if (interactive && text !== "") yield* emit({ _tag: "TextDelta", step, text })
            for (const use of Response.toolUses(response)) {
              if (isClientTool(use)) yield* start(step, 1, use)
            }
            return response
          })

        const attemptStep = (step: number, attempt: number, request: BedrockClient.BedrockClient.Request) =>
          Effect.gen(function*() {
            yield* emit({ _tag: "StepStart", step, attempt })
            let accumulator = Response.Accumulator.empty
            const pending = new Map<number, { toolUseId: string; name: string; input: string }>()
            /** Folds an event; what it sets off (a text delta to emit, a tool whose input is complete), if anything. */
            const handle = (event: Response.StreamEvent): Effect.Effect<void> | undefined => {
              accumulator = accumulator.add(event)
              switch (event._tag) {
                case "ContentBlockStart":
                  if (event.start._tag === "ToolUseStart" && isClientTool(event.start)) {
                    pending.set(event.index, { toolUseId: event.start.toolUseId, name: event.start.name, input: "" })
                  }
                  return undefined
                case "ContentBlockDelta": {
                  if (event.delta._tag === "TextDelta") {
                    return interactive ? emit({ _tag: "TextDelta", step, text: event.delta.text }) : undefined
                  }
                  const block = pending.get(event.index)
                  if (event.delta._tag === "ToolUseInputDelta" && block !== undefined) {
                    block.input += event.delta.input
                  }
                  return undefined
                }
                case "ContentBlockStop": {
                  const block = pending.get(event.index)
                  if (block === undefined) return undefined
                  pending.delete(event.index)
                  return Option.match(parseJson(block.input), {
                    onNone: () => undefined,
                    onSome: (input) =>
                      Effect.asVoid(start(step, attempt, Message.toolUse(block.toolUseId, block.name, input)))
                  })
                }
                default:
                  return undefined
              }
            }
            /** A chunk's events, folded in one synchronous pass; then what they set off, in order. */
            const handleChunk = (chunk: Chunk.Chunk<Response.StreamEvent>): Effect.Effect<void> => {
              const effects: Array<Effect.Effect<void>> = []
              for (const event of Chunk.toReadonlyArray(chunk)) {
                const effect = handle(event)
                if (effect !== undefined) effects.push(effect)
              }
              return effects.length === 0 ? Effect.void : Effect.forEach(effects, identity, { discard: true })
            }
            // The client's pull, driven here: one chunk of events at a time, without a `Stream` pipeline.
            yield* Effect.scoped(Effect.flatMap(client.streamPull(request), (pull) => {
              const loop: Effect.Effect<void, BedrockClient.ClientError> = Effect.suspend(() =>
                Effect.matchEffect(pull, {
                  onFailure: Option.match({ onNone: () => Effect.void, onSome: Effect.fail }),
                  onSuccess: (chunk) => Effect.zipRight(handleChunk(chunk), loop)
                })
              )
              return loop
            }))
            return yield* Effect.suspend(() => accumulator.toResponse())
          })

        const modelStep = (
          step: number,
          request: BedrockClient.BedrockClient.Request
        ): Effect.Effect<{ readonly response: Response.Response; readonly attempts: number }, AgentModelError> => {
          const go = (attempt: number): Effect.Effect<
            { readonly response: Response.Response; readonly attempts: number },
            AgentModelError
          > =>
            (streaming ? attemptStep(step, attempt, request) : unaryStep(step, request)).pipe(
              Effect.map((response) => ({ response, attempts: attempt })),
              Effect.catchAll((error) =>
                error._tag === "StreamInterruptedError" && attempt <= maxReplays
                  ? Effect.zipRight(emit({ _tag: "StepRetry", step, attempt, error }), go(attempt + 1))
                  : Effect.fail(
                    new AgentModelError({
                      ...snapshot(),
                      message: `step ${step} failed: ${error._tag}: ${error.message}`,
                      step,
                      error
                    }, true)
                  )
              )
            )
          return go(1)
        }

        const finish = (response: Response.Response, output: A, outputJson: string | undefined) =>
          Effect.gen(function*() {
            const result: Result<A> = {
              response,
              text: Response.text(response),
              output,
              transcript: [...state.transcript],
              steps: [...state.steps],
              usage: state.usage,
              cost: state.cost
            }
            if (memory !== undefined) {
              yield* memory.append(forMemory(result.transcript, outputJson)).pipe(
                Effect.mapError(memoryFailure("write"))
              )
            }
            yield* emit({ _tag: "Final", result })
            return result
          })

        let forceOutput = false
        for (let step = 1;; step++) {
          if (step > maxSteps) {
            return yield* Effect.fail(
              new MaxStepsReached({
                ...snapshot(),
                message: `the agent "${name}" did not finish within ${plural(maxSteps, "step")}`,
                maxSteps
              }, true)
            )
          }
          const toolChoice = forceOutput && outputTool !== undefined
            ? Conversation.toolChoiceTool(outputTool.name)
            : step === 1
            ? options.toolChoice
            : undefined
          const request: BedrockClient.BedrockClient.Request = {
            messages: [...history, ...state.transcript],
            system,
            toolConfig: Toolkit.toolConfig(toolkit, {
              extra: outputTool === undefined ? [] : [outputTool.spec],
              toolChoice
            }),
            model: options.model
          }
          const { attempts, response } = yield* modelStep(step, request)
          const stepCost = (yield* client.cost(response)).total
          state.usage = Response.Usage.add(state.usage, response.usage)
          state.cost += stepCost
          state.transcript.push(response.message)
          const maxTokens = options.limits?.maxTokens
          if (maxTokens !== undefined && state.usage.totalTokens > maxTokens) {
            return yield* Effect.fail(
              new TokenBudgetExceeded({
                ...snapshot(),
                message: `the agent "${name}" used ${
                  plural(state.usage.totalTokens, "token")
                }, over its budget of ${maxTokens}`,
                budget: maxTokens,
                used: state.usage.totalTokens
              }, true)
            )
          }
          const maxCost = options.limits?.maxCost
          if (maxCost !== undefined && state.cost > maxCost) {
            return yield* Effect.fail(
              new CostBudgetExceeded({
                ...snapshot(),
                message: `the agent "${name}" cost $${state.cost.toFixed(6)}, over its budget of $${maxCost}`,
                budget: maxCost,
                used: state.cost
              }, true)
            )
          }
          const uses = Response.toolUses(response).filter((use) => use.type === undefined)
          const answer = outputTool === undefined ? undefined : uses.find((use) => use.name === outputTool.name)
          if (answer !== undefined && outputTool !== undefined) {
            const decoded = outputTool.decode(answer.input)
            if (Either.isRight(decoded)) {
              state.steps.push({ index: step, response, toolCalls: [], attempts, cost: stepCost })
              yield* emit({ _tag: "StepEnd", step: state.steps[state.steps.length - 1]! })
              return yield* finish(response, decoded.right, JSON.stringify(outputTool.raw(answer.input)))
            }
          }
          if (uses.length === 0) {
            state.steps.push({ index: step, response, toolCalls: [], attempts, cost: stepCost })
            yield* emit({ _tag: "StepEnd", step: state.steps[state.steps.length - 1]! })
            if (outputTool === undefined) return yield* finish(response, Response.text(response) as A, undefined)
            state.transcript.push(Message.user(outputNudge(outputTool.name)))
            forceOutput = true
            continue
          }
          forceOutput = answer !== undefined
          // Every call is started first (most already are, while the step streamed), then each outcome is awaited.
          const outcomes = yield* Effect.forEach(uses, (use): Effect.Effect<Effect.Effect<ToolCall>> => {
            if (answer !== undefined && use.toolUseId === answer.toolUseId && outputTool !== undefined) {
              const outcome = Tool.Outcome.InvalidInput({
                message: Either.match(outputTool.decode(use.input), { onLeft: (m) => m, onRight: () => "" })
              })
              return Effect.succeed(Effect.succeed({
                toolUseId: use.toolUseId,
                name: use.name,
                input: use.input,
                outcome,
                result: Tool.toToolResult(use.toolUseId, use.name, outcome),
                reused: false
              }))
            }
            return Effect.map(start(step, attempts, use), (execution) => settle(attempts, use, execution))
          })
          const toolCalls = yield* Effect.all(outcomes)
          state.transcript.push({ role: "user", content: toolCalls.map((call) => call.result) })
          state.steps.push({ index: step, response, toolCalls, attempts, cost: stepCost })
          yield* emit({ _tag: "StepEnd", step: state.steps[state.steps.length - 1]! })
        }
      }).pipe(Effect.ensuring(interruptRunning))

      const bounded = deadline === undefined ? body : body.pipe(
        Effect.timeoutOption(deadline),
        Effect.flatMap(Option.match({
          onSome: Effect.succeed,
          onNone: () =>
            Effect.fail(
              new DeadlineExceeded({
                ...snapshot(),
                message: `the agent "${name}" did not finish within ${Duration.format(deadline)}`,
                deadlineMs: Duration.toMillis(deadline)
              }, true)
            )
        }))
      )
      return bounded.pipe(withSpan("Agent.run", { attributes: { agent: name } }))
    })

  const run = (input: Input, runOptions?: RunOptions & { readonly output?: Schema.Schema<any, any> | undefined }) =>
    runLoop(input, runOptions ?? {}, undefined)

  const stream = (
    input: Input,
    runOptions?: RunOptions & { readonly output?: Schema.Schema<any, any> | undefined }
  ) =>
    Stream.unwrapScoped(Effect.gen(function*() {
      const mailbox = yield* Mailbox.make<Event<any>, AgentError>({ capacity: 64 })
      yield* runLoop(input, runOptions ?? {}, (event) => Effect.asVoid(mailbox.offer(event))).pipe(
        Mailbox.into(mailbox),
        Effect.forkScoped
      )
      return Mailbox.toStream(mailbox)
    }))

  return { name, toolkit, options, run, stream } as Agent<Tools>
}

/**
 * An agent, e.g. `Agent.make({ instructions, toolkit, limits: { maxSteps: 8 } })`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <Tools extends Record<string, Tool.Any> = {}>(options: Options<Tools> = {}): Agent<Tools> =>
  make_(options)

// ---------------------------------------------------------------------------
// agents as tools
// ---------------------------------------------------------------------------

/**
 * The parameters of an agent used as a tool.
 *
 * @since 0.1.0
 * @category models
 */
export const TaskParameters = Schema.Struct({
  task: Schema.String.annotations({ description: "What the agent should do, in plain words, with all context needed" })
})

/**
 * What an agent used as a tool returns.
 *
 * @since 0.1.0
 * @category models
 */
export const TaskSuccess = Schema.Struct({ answer: Schema.String, steps: Schema.Number })

/**
 * How an agent used as a tool fails (its limit or model error, as words for the calling model).
 *
 * @since 0.1.0
 * @category models
 */
export const TaskFailure = Schema.Struct({ error: Schema.String, reason: Schema.String })

/**
 * An agent as a tool of another agent: the tool, and the handler to put in the other toolkit's `toLayer`.
 *
 * @since 0.1.0
 * @category models
 */
export interface AgentTool<Name extends string, Tools extends Record<string, Tool.Any>>
  extends Tool.Tool<Name, typeof TaskParameters, typeof TaskSuccess, typeof TaskFailure>
{
  readonly agent: Agent<Tools>
  readonly handler: Tool.HandlerFn<
    Tool.Tool<Name, typeof TaskParameters, typeof TaskSuccess, typeof TaskFailure>,
    Requirements<Tools>
  >
}

/**
 * Wraps an agent as a tool: each call runs the agent on the `task` and returns its final text.
 *
 * @since 0.1.0
 * @category constructors
 */
export const asTool = <Tools extends Record<string, Tool.Any>, const Name extends string>(
  agent: Agent<Tools>,
  options: {
    readonly name: Name
    readonly description?: string | undefined
    readonly timeout?: Duration.DurationInput | undefined
    readonly requiresApproval?: boolean | undefined
  }
): AgentTool<Name, Tools> => {
  const tool = Tool.make(options.name, {
    description: options.description ?? `Delegates a task to the "${agent.name}" agent and returns its answer.`,
    parameters: TaskParameters,
    success: TaskSuccess,
    failure: TaskFailure,
    timeout: options.timeout,
    requiresApproval: options.requiresApproval
  })
  const handler = ({ task }: { readonly task: string }) =>
    agent.run(task).pipe(
      Effect.map((result) => ({ answer: result.text, steps: result.steps.length })),
      Effect.catchAll((error) => Effect.fail({ error: error._tag, reason: error.message }))
    )
  return Object.assign(tool, { agent, handler })
}
