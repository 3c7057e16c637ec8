/**
 * The limits of an agent run, in one place: the steps, tokens and cost a run may use (`check`, a pure function of the
 * run state) and the time it may take (`withDeadline`). The loop calls `check` before each model call and again once
 * the call's response is counted, so a run over budget stops before it runs the tools of that response.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { Limits } from "../../Agent.js"
import { plural } from "../plural.js"
import {
  type AgentLimitError,
  CostBudgetExceeded,
  DeadlineExceeded,
  MaxStepsReached,
  TokenBudgetExceeded,
  trusted
} from "./errors.js"
import { progress, type RunState } from "./runState.js"

/** The limits of an agent, with their defaults applied. @internal */
export interface RunLimits {
  readonly maxSteps: number
  readonly maxTokens: number | undefined
  readonly maxCost: number | undefined
  readonly deadline: Duration.Duration | undefined
}

/** Model calls a run may make when `maxSteps` is not given. @internal */
export const defaultMaxSteps = 10

/** @internal */
export const resolve = (limits: Limits | undefined): RunLimits => ({
  maxSteps: Math.max(1, limits?.maxSteps ?? defaultMaxSteps),
  maxTokens: limits?.maxTokens,
  maxCost: limits?.maxCost,
  deadline: limits?.deadline === undefined ? undefined : Duration.decode(limits.deadline)
})

/**
 * The limit a run in this state has reached, if any: more steps than `maxSteps` (the state's step is the one about to
 * be made), more tokens than `maxTokens`, or more cost than `maxCost`. @internal
 */
export const check = (limits: RunLimits, agent: string, state: RunState): Option.Option<AgentLimitError> => {
  if (state.step > limits.maxSteps) {
    return Option.some(
      new MaxStepsReached({
        ...progress(state),
        message: `the agent "${agent}" did not finish within ${plural(limits.maxSteps, "step")}`,
        maxSteps: limits.maxSteps
      }, trusted)
    )
  }
  const { maxCost, maxTokens } = limits
  const tokens = state.usage.totalTokens
  if (maxTokens !== undefined && tokens > maxTokens) {
    return Option.some(
      new TokenBudgetExceeded({
        ...progress(state),
        message: `the agent "${agent}" used ${plural(tokens, "token")}, over its budget of ${maxTokens}`,
        budget: maxTokens,
        used: tokens
      }, trusted)
    )
  }
  if (maxCost !== undefined && state.cost > maxCost) {
    return Option.some(
      new CostBudgetExceeded({
        ...progress(state),
        message: `the agent "${agent}" cost $${state.cost.toFixed(6)}, over its budget of $${maxCost}`,
        budget: maxCost,
        used: state.cost
      }, trusted)
    )
  }
  return Option.none()
}

/** Fails with the limit a run in this state has reached, or succeeds with nothing. @internal */
export const enforce = (limits: RunLimits, agent: string, state: RunState): Effect.Effect<void, AgentLimitError> =>
  Option.match(check(limits, agent, state), { onNone: () => Effect.void, onSome: Effect.fail })

/**
 * The run bounded by the deadline, if there is one: past it the run is interrupted (its tools and model request with
 * it) and fails with `DeadlineExceeded`, carrying the state `latest` reads at that moment. @internal
 */
export const withDeadline = <A, E, R>(
  run: Effect.Effect<A, E, R>,
  limits: RunLimits,
  agent: string,
  latest: Effect.Effect<RunState>
): Effect.Effect<A, E | DeadlineExceeded, R> => {
  const deadline = limits.deadline
  if (deadline === undefined) return run
  return run.pipe(
    Effect.timeoutOption(deadline),
    Effect.flatMap(Option.match({
      onSome: Effect.succeed,
      onNone: () =>
        Effect.flatMap(latest, (state) =>
          Effect.fail(
            new DeadlineExceeded({
              ...progress(state),
              message: `the agent "${agent}" did not finish within ${Duration.format(deadline)}`,
              deadlineMs: Duration.toMillis(deadline)
            }, trusted)
          ))
    }))
  )
}
