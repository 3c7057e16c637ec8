/**
 * A record's result -> a line of a batch's output or error file, in OpenAI's batch output format:
 * `{"id","custom_id","response":{"status_code","request_id","body"},"error"}`. An answered request goes to the
 * output file with its `chat.completion`; one Bedrock answered with an error goes to the error file with that status
 * and OpenAI's error body; one that was never run (its job was stopped, expired or failed) goes to the error file with
 * `response: null` and the reason in `error`.
 *
 * @since 0.1.0
 */
import type { RecordResult } from "bedrock-llm/BatchInference"
import * as Either from "effect/Either"
import { randomBytes } from "node:crypto"
import * as ChatResponse from "../openai/ChatResponse.js"

/**
 * Which file a line goes to, and the line (with its newline).
 *
 * @since 0.1.0
 * @category models
 */
export interface OutputLine {
  readonly file: "output" | "error"
  readonly line: string
}

const requestId = () => `req_${randomBytes(12).toString("hex")}`
const lineId = () => `batch_req_${randomBytes(12).toString("hex")}`

/** The `error.code` of a request its job never ran, by the job's final state. */
const notRunCode = (jobStatus: string): string =>
  jobStatus === "Stopped" || jobStatus === "Stopping"
    ? "batch_cancelled"
    : jobStatus === "Expired"
    ? "batch_expired"
    : "batch_failed"

/**
 * The output line of one record's result.
 *
 * @since 0.1.0
 * @category translation
 */
export const outputLine = (
  result: RecordResult,
  customId: string,
  context: { readonly model: string; readonly created: number }
): OutputLine => {
  const line = (file: OutputLine["file"], response: unknown, error: unknown): OutputLine => ({
    file,
    line: `${JSON.stringify({ id: lineId(), custom_id: customId, response, error })}\n`
  })
  if (Either.isRight(result.result)) {
    const body = ChatResponse.completion(result.result.right, {
      id: ChatResponse.completionId(),
      created: context.created,
      model: context.model,
      answerTool: undefined
    })
    return line("output", { status_code: 200, request_id: requestId(), body }, null)
  }
  const failure = result.result.left
  switch (failure._tag) {
    case "RecordFailed": {
      const status = failure.errorCode >= 400 && failure.errorCode < 600 ? failure.errorCode : 500
      const body = {
        error: {
          message: failure.message,
          type: status < 500 ? "invalid_request_error" : "server_error",
          param: null,
          code: null
        }
      }
      return line("error", { status_code: status, request_id: requestId(), body }, null)
    }
    case "RecordNotProcessed":
      return line("error", null, { code: notRunCode(failure.jobStatus), message: failure.message })
    case "MalformedRecordOutput":
      return line("error", null, {
        code: "server_error",
        message: `Bedrock's answer to this request could not be read: ${failure.message}`
      })
  }
}
