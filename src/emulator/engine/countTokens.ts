import type { EngineResult } from "./index.js"
import { validation } from "./result.js"

/**
 * Answers a CountTokens request (`{input: {converse: ...}}` or `{input: {invokeModel: {body}}}`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const countTokens = (_modelId: string, _body: unknown): EngineResult<{ readonly inputTokens: number }> =>
  validation("The emulator engine is not ready yet.")
