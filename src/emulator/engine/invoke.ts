import type { EngineResult, InvokeOutput } from "./index.js"
import { validation } from "./result.js"

/**
 * Answers an InvokeModel request in the model's native body format, with its native stream chunks.
 *
 * @since 0.1.0
 * @category constructors
 */
export const invoke = (_modelId: string, _body: unknown): EngineResult<InvokeOutput> =>
  validation("The emulator engine is not ready yet.")
