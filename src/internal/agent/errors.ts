/**
 * How an agent run fails: the limit errors, the model error and the memory error, each carrying the run's progress
 * (transcript, steps, usage, cost). `Agent.ts` exports them; they live here so that the loop's modules can build them
 * without importing the public module that imports them.
 *
 * @internal
 */
import * as Schema from "effect/Schema"
import type * as BedrockClient from "../../BedrockClient.js"
import * as Message from "../../Message.js"
import * as Response from "../../Response.js"
import { TypeId } from "../errorTypeId.js"

const progress = {
  message: Schema.String,
  transcript: Schema.Array(Message.Message),
  steps: Schema.Number,
  usage: Response.Usage,
  cost: Schema.Number
}

/**
 * What every error of a run carries besides its message: the run so far.
 *
 * @internal
 */
export interface Progress {
  readonly transcript: ReadonlyArray<Message.Message>
  /** Steps finished. */
  readonly steps: number
  readonly usage: Response.Usage
  readonly cost: number
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
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
}

/**
 * The run used more tokens than `maxTokens`.
 *
 * @since 0.1.0
 * @category errors
 */
export class TokenBudgetExceeded extends Schema.TaggedError<TokenBudgetExceeded>("bedrock-llm/TokenBudgetExceeded")(
  "TokenBudgetExceeded",
  { ...progress, budget: Schema.Number, used: Schema.Number }
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
}

/**
 * The run cost more than `maxCost` (USD).
 *
 * @since 0.1.0
 * @category errors
 */
export class CostBudgetExceeded extends Schema.TaggedError<CostBudgetExceeded>("bedrock-llm/CostBudgetExceeded")(
  "CostBudgetExceeded",
  { ...progress, budget: Schema.Number, used: Schema.Number }
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
}

/**
 * The run did not finish before its deadline; running tools and the model request were interrupted.
 *
 * @since 0.1.0
 * @category errors
 */
export class DeadlineExceeded extends Schema.TaggedError<DeadlineExceeded>("bedrock-llm/DeadlineExceeded")(
  "DeadlineExceeded",
  { ...progress, deadlineMs: Schema.Number }
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
}

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

  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
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
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
}

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

/**
 * The constructor option of errors whose fields the loop built itself from values it already holds (typed, so
 * checking them against the schema again would only spend time).
 *
 * @internal
 */
export const trusted = { disableValidation: true } as const
