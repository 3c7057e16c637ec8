import type { ConverseOutput, EngineResult, StreamEventJson } from "./index.js"
import { validation } from "./result.js"

/**
 * Answers a Converse request: the response JSON and the ConverseStream events of the same answer.
 *
 * @since 0.1.0
 * @category constructors
 */
export const converse = (_modelId: string, _body: unknown): EngineResult<ConverseOutput> =>
  validation("The emulator engine is not ready yet.")

/**
 * The ConverseStream events that fold to the given Converse response JSON (scripted mode).
 *
 * @since 0.1.0
 * @category constructors
 */
export const converseEvents = (_responseBody: Record<string, unknown>): ReadonlyArray<StreamEventJson> => []
