/**
 * The agent loop: call the model, run every tool it asks for in supervised child fibers (parallel, bounded, with
 * timeouts and approvals), send the results back, and repeat until the model answers, within limits on steps,
 * tokens, cost and time. `run` returns the final answer with the transcript; `stream` emits every step as events.
 *
 * @since 0.1.0
 */
import type * as Deferred from "effect/Deferred"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Mailbox from "effect/Mailbox"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type * as BedrockClient from "./BedrockClient.js"
import type { StreamInterruptedError } from "./BedrockError.js"
import type * as Conversation from "./Conversation.js"
import type { AgentError } from "./internal/agent/errors.js"
import * as Loop from "./internal/agent/loop.js"
import type * as Progress from "./internal/telemetry/progress.js"
import type * as Message from "./Message.js"
import type * as Response from "./Response.js"
import * as Tool from "./Tool.js"
import type * as Toolkit from "./Toolkit.js"

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
   * replayed when its stream fails mid-way. With `false` each step is one Converse call: a step costs less client CPU
   * (figures in `bench/README.md`), tools start once the whole answer is in, a step's `TextDelta` carries its whole
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
  /**
   * Called after each step with the run's progress (`Telemetry.Progress`): steps done of `maxSteps`, tool calls
   * failed, tokens and cost so far; once more with `ended` set when the run ends, however it ends.
   */
  readonly onProgress?: ((progress: Progress.Progress) => Effect.Effect<void>) | undefined
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

// The error classes are defined beside the loop that builds them (each with its own documentation); this module is
// where users import them from.
export {
  AgentMemoryError,
  AgentModelError,
  CostBudgetExceeded,
  DeadlineExceeded,
  isAgentLimitError,
  MaxStepsReached,
  TokenBudgetExceeded
} from "./internal/agent/errors.js"
export type { AgentError, AgentLimitError } from "./internal/agent/errors.js"

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

/**
 * An agent: instructions, a toolkit and limits; nothing runs until `run` or `stream`. The loop itself is in
 * `internal/agent/` (see `docs/AGENT.md`, "How the loop is built").
 *
 * @example
 * ```ts
 * import * as Agent from "bedrock-llm/Agent"
 * import * as Tool from "bedrock-llm/Tool"
 * import * as Toolkit from "bedrock-llm/Toolkit"
 * import * as Effect from "effect/Effect"
 * import * as Schema from "effect/Schema"
 *
 * const Add = Tool.make("add", {
 *   description: "Adds two numbers",
 *   parameters: { first: Schema.Number, second: Schema.Number },
 *   success: Schema.Struct({ sum: Schema.Number })
 * })
 * const toolkit = Toolkit.make(Add)
 * const agent = Agent.make({ instructions: "Use the tools you have.", toolkit, limits: { maxSteps: 4 } })
 *
 * // requires BedrockClient and the handlers of the toolkit
 * const answer = agent.run("What is 2 + 40?").pipe(
 *   Effect.map((result) => result.text),
 *   Effect.provide(toolkit.toLayer({ add: ({ first, second }) => Effect.succeed({ sum: first + second }) }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <Tools extends Record<string, Tool.Any> = {}>(options: Options<Tools> = {}): Agent<Tools> => {
  const settings = Loop.settings(options)
  const run = (input: Input, runOptions?: Loop.RunOptionsOf<any>) =>
    Loop.run(settings, input, runOptions ?? {}, undefined)
  const stream = (input: Input, runOptions?: Loop.RunOptionsOf<any>) =>
    Stream.unwrapScoped(Effect.gen(function*() {
      const mailbox = yield* Mailbox.make<Event<any>, AgentError>({ capacity: 64 })
      yield* Loop.run(settings, input, runOptions ?? {}, (event) => Effect.asVoid(mailbox.offer(event))).pipe(
        Mailbox.into(mailbox),
        Effect.forkScoped
      )
      return Mailbox.toStream(mailbox)
    }))
  const toolkit = settings.toolkit as Toolkit.Toolkit<Tools>
  return { name: settings.name, toolkit, options, run, stream } as Agent<Tools>
}

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
