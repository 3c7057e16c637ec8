/**
 * The emulator's engine: a pure, deterministic Bedrock model. Given a decoded model id and a request body (AWS
 * wire JSON) it produces the response as AWS wire JSON. No I/O; the server in `src/emulator/` owns transport,
 * framing, signing, faults, replay and scripted mode.
 *
 * @since 0.1.0
 */

export type { ConverseOutput, EngineError, EngineResult, InvokeOutput, InvokeUsage, StreamEventJson } from "./types.js"

export { resolveModel } from "./catalog.js"
export type { ModelInfo } from "./catalog.js"
export { converse, converseEvents } from "./converse.js"
export { countTokens } from "./countTokens.js"
export { applyGuardrail } from "./guardrail.js"
export { invoke } from "./invoke.js"
