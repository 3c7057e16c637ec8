/**
 * The state of one agent run, as data: what the loop carries from one step to the next. Every transition is a pure
 * function returning a new state; the loop (`loop.ts`) threads it through the steps (`step.ts`), and the limit check
 * (`limits.ts`) reads it.
 *
 * @internal
 */
import type { Step } from "../../Agent.js"
import type * as Message from "../../Message.js"
import * as Response from "../../Response.js"
import type { Progress } from "./errors.js"

/** @internal */
export interface RunState {
  /** The step being made, or about to be made (1-based). */
  readonly step: number
  /** This run's messages: the input, then every assistant message and tool-result message. */
  readonly transcript: ReadonlyArray<Message.Message>
  /** The steps finished. */
  readonly steps: ReadonlyArray<Step>
  /** Summed over every model response of the run. */
  readonly usage: Response.Usage
  /** USD, summed over every model response of the run. */
  readonly cost: number
  /** Whether the next step makes the model answer through the output tool. */
  readonly forceOutput: boolean
}

/** A run that has not called the model yet. @internal */
export const initial = (transcript: ReadonlyArray<Message.Message>): RunState => ({
  step: 1,
  transcript,
  steps: [],
  usage: Response.Usage.empty,
  cost: 0,
  forceOutput: false
})

/** The step's model response is in: its message joins the transcript, its usage and cost the totals. @internal */
export const withResponse = (state: RunState, response: Response.Response, cost: number): RunState => ({
  ...state,
  transcript: [...state.transcript, response.message],
  usage: Response.Usage.add(state.usage, response.usage),
  cost: state.cost + cost
})

/**
 * The step is finished: it joins the steps, `messages` (its tool results, or a nudge to answer) the transcript, and
 * the next step is the one after it. @internal
 */
export const withStep = (
  state: RunState,
  step: Step,
  messages: ReadonlyArray<Message.Message>,
  forceOutput: boolean
): RunState => ({
  ...state,
  step: state.step + 1,
  transcript: messages.length === 0 ? state.transcript : [...state.transcript, ...messages],
  steps: [...state.steps, step],
  forceOutput
})

/** What an error of the run carries: the run so far. @internal */
export const progress = (state: RunState): Progress => ({
  transcript: state.transcript,
  steps: state.steps.length,
  usage: state.usage,
  cost: state.cost
})
