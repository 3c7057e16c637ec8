/**
 * What a Bedrock stop reason means, once: the answer ended, was cut for length, asks for tools, was filtered, or the
 * model's output was malformed. `@effect/ai`'s finish reasons and the OpenTelemetry conventions' `finish_reason` are
 * each a spelling of these kinds.
 *
 * @internal
 */
import type * as Response from "../Response.js"

/** The kind of a stop reason; `undefined` for one Bedrock may add later. */
export type StopKind = "stop" | "length" | "tools" | "filtered" | "error"

/** The kind of a Bedrock stop reason. */
export const stopKind = (stopReason: Response.StopReason): StopKind | undefined => {
  switch (stopReason) {
    case "end_turn":
    case "stop_sequence":
      return "stop"
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length"
    case "tool_use":
      return "tools"
    case "guardrail_intervened":
    case "content_filtered":
      return "filtered"
    case "malformed_model_output":
    case "malformed_tool_use":
      return "error"
    default:
      return undefined
  }
}
