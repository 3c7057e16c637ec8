/**
 * One step of an agent run, as a function from the run state to the next: the model call (`modelCall.ts`), the limit
 * check once its response is counted (`limits.ts`), then either the end of the run (an answer) or the step's tool
 * calls (`toolExecution.ts`), whose results the next step sends back to the model.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type { Step, ToolCall } from "../../Agent.js"
import type * as BedrockClient from "../../BedrockClient.js"
import * as Conversation from "../../Conversation.js"
import type * as Message from "../../Message.js"
import * as Response from "../../Response.js"
import * as Tool from "../../Tool.js"
import * as Toolkit from "../../Toolkit.js"
import { type AgentLimitError, AgentModelError, trusted } from "./errors.js"
import type { Emitter } from "./events.js"
import * as Limits from "./limits.js"
import * as ModelCall from "./modelCall.js"
import * as OutputTool from "./outputTool.js"
import * as RunState from "./runState.js"
import * as ToolExecution from "./toolExecution.js"

/** What a step needs from its run; made once per run (`loop.ts`). @internal */
export interface Run<A> {
  readonly agent: string
  readonly limits: Limits.RunLimits
  readonly toolkit: Toolkit.Any
  readonly system: ReadonlyArray<Message.SystemContentBlock> | undefined
  readonly model: BedrockClient.BedrockClient.ModelOverrides | undefined
  /** The tool choice of the first step. */
  readonly toolChoice: Conversation.ToolChoice | undefined
  /** The memory's messages, sent before the run's own. */
  readonly history: ReadonlyArray<Message.Message>
  readonly outputTool: OutputTool.OutputTool<A> | undefined
  readonly client: BedrockClient.BedrockClient["Type"]
  readonly events: Emitter<A>
  readonly modelCall: ModelCall.ModelCallContext
  readonly tools: ToolExecution.ToolExecution
  /** Records the latest state, for the errors that end the run from outside a step (the deadline). */
  readonly publish: (state: RunState.RunState) => Effect.Effect<void>
}

/** What a step leads to: another step, or the end of the run with its answer. @internal */
export type Next<A> =
  | { readonly _tag: "Continue"; readonly state: RunState.RunState }
  | {
    readonly _tag: "Finish"
    readonly state: RunState.RunState
    readonly response: Response.Response
    readonly output: A
    /** The output's JSON as the model sent it, when the run has an output schema. */
    readonly outputJson: string | undefined
  }

/** The request of the state's step. */
const request = <A>(run: Run<A>, state: RunState.RunState): BedrockClient.BedrockClient.Request => {
  const outputTool = run.outputTool
  const toolChoice = state.forceOutput && outputTool !== undefined
    ? Conversation.toolChoiceTool(outputTool.name)
    : state.step === 1
    ? run.toolChoice
    : undefined
  return {
    messages: run.history.length === 0 ? state.transcript : [...run.history, ...state.transcript],
    system: run.system,
    toolConfig: Toolkit.toolConfig(run.toolkit, {
      extra: outputTool === undefined ? [] : [outputTool.spec],
      toolChoice
    }),
    model: run.model
  }
}

const modelError = (state: RunState.RunState, error: BedrockClient.ClientError) =>
  new AgentModelError({
    ...RunState.progress(state),
    message: `step ${state.step} failed: ${error._tag}: ${error.message}`,
    step: state.step,
    error
  }, trusted)

/** The state's step: one model call and the tool calls it asks for. @internal */
export const step = <A>(
  run: Run<A>,
  state: RunState.RunState
): Effect.Effect<Next<A>, AgentModelError | AgentLimitError> =>
  Effect.gen(function*() {
    const { attempts, response } = yield* Effect.mapError(
      ModelCall.call(run.modelCall, state.step, request(run, state)),
      (error) => modelError(state, error)
    )
    const cost = (yield* run.client.cost(response)).total
    const answered = RunState.withResponse(state, response, cost)
    yield* run.publish(answered)
    yield* Limits.enforce(run.limits, run.agent, answered)
    return yield* afterResponse(run, answered, { index: state.step, response, toolCalls: [], attempts, cost })
  })

/** The step ended: the state after it recorded, its `StepEnd` event, then what comes next. */
const ended = <A>(run: Run<A>, next: Next<A>): Effect.Effect<Next<A>> =>
  run.publish(next.state).pipe(
    Effect.zipRight(run.events.emit({ _tag: "StepEnd", step: next.state.steps[next.state.steps.length - 1]! })),
    Effect.as(next)
  )

/** What the step's response leads to: the answer, a nudge to answer through the output tool, or tool calls. */
const afterResponse = <A>(run: Run<A>, state: RunState.RunState, record: Step): Effect.Effect<Next<A>> => {
  const { response } = record
  const outputTool = run.outputTool
  const uses = Response.toolUses(response).filter((use) => use.type === undefined)
  const answer = outputTool === undefined ? undefined : uses.find((use) => use.name === outputTool.name)
  if (answer !== undefined && outputTool !== undefined) {
    const decoded = outputTool.decode(answer.input)
    if (Either.isRight(decoded)) {
      return ended(run, {
        _tag: "Finish",
        state: RunState.withStep(state, record, [], false),
        response,
        output: decoded.right,
        outputJson: JSON.stringify(outputTool.raw(answer.input))
      })
    }
  }
  if (uses.length === 0) {
    if (outputTool === undefined) {
      return ended(run, {
        _tag: "Finish",
        state: RunState.withStep(state, record, [], false),
        response,
        output: Response.text(response) as A,
        outputJson: undefined
      })
    }
    return ended(run, {
      _tag: "Continue",
      state: RunState.withStep(state, record, [OutputTool.nudge(outputTool.name)], true)
    })
  }
  return Effect.flatMap(toolCalls(run, state.step, record.attempts, uses, answer), (calls) =>
    ended(run, {
      _tag: "Continue",
      state: RunState.withStep(
        state,
        { ...record, toolCalls: calls },
        [{ role: "user", content: calls.map((call) => call.result) }],
        answer !== undefined
      )
    }))
}

/**
 * The step's tool calls, in the order the model asked for them: every call is started first (most already are, while
 * the step streamed), then each outcome is awaited. An output-tool call whose input did not decode is answered with
 * the issues, for the model to try again.
 */
const toolCalls = <A>(
  run: Run<A>,
  step: number,
  attempt: number,
  uses: ReadonlyArray<Message.ToolUse>,
  answer: Message.ToolUse | undefined
): Effect.Effect<ReadonlyArray<ToolCall>> =>
  Effect.flatMap(
    Effect.forEach(uses, (use): Effect.Effect<Effect.Effect<ToolCall>> => {
      if (answer !== undefined && use.toolUseId === answer.toolUseId && run.outputTool !== undefined) {
        const message = Either.match(run.outputTool.decode(use.input), { onLeft: (m) => m, onRight: () => "" })
        const settled = ToolExecution.settledWith(use, Tool.Outcome.InvalidInput({ message }))
        return Effect.succeed(Effect.succeed(ToolExecution.toolCall(use, settled, false)))
      }
      return Effect.map(run.tools.start(step, attempt, use), (execution) => run.tools.settle(attempt, use, execution))
    }),
    (calls) => Effect.all(calls)
  )
