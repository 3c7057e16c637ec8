import type { EngineResult } from "./index.js"
import { validation } from "./result.js"

/**
 * Answers an ApplyGuardrail request with the emulator's deterministic guardrail.
 *
 * @since 0.1.0
 * @category constructors
 */
export const applyGuardrail = (
  _guardrailId: string,
  _version: string,
  _body: unknown
): EngineResult<Record<string, unknown>> => validation("The emulator engine is not ready yet.")
