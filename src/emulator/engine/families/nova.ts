/**
 * Amazon Nova's native messages-v1 body on InvokeModel. Its content blocks have the Converse shapes, so the
 * Converse parser reads them; the response and stream chunks mirror Converse's.
 *
 * @internal
 */
import type { Answer } from "../answer.js"
import type { ModelInfo } from "../catalog.js"
import { converseBody, converseEvents } from "../converse.js"
import { isRecord, type Json } from "../json.js"
import type { InputLimit } from "../limits.js"
import { MediaLimits } from "../limits.js"
import { rejectMalformed } from "../reject.js"
import { assemble, parseMessages, parseSystem, parseToolConfig } from "../validate.js"
import type { NativeRequest, NativeUsage } from "./common.js"
import { checkKeys, intField, nativeBody, numberField, stringList, withMetrics } from "./common.js"

/** Parses a Nova messages-v1 body. @internal */
export const parse = (model: ModelInfo, input: unknown, limit: InputLimit): NativeRequest => {
  const body = nativeBody(input)
  checkKeys(body, ["messages"], [
    "schemaVersion",
    "messages",
    "system",
    "inferenceConfig",
    "toolConfig",
    "additionalModelRequestFields"
  ])
  if (body["schemaVersion"] !== undefined && body["schemaVersion"] !== "messages-v1") {
    return rejectMalformed([`#/schemaVersion: ${String(body["schemaVersion"])} is not a valid enum value`])
  }
  const inference = body["inferenceConfig"] === undefined
    ? {}
    : isRecord(body["inferenceConfig"])
    ? body["inferenceConfig"]
    : rejectMalformed(["#/inferenceConfig: expected type: JSONObject"])
  const maxTokens = intField(
    inference,
    "max_new_tokens",
    model.maxOutputTokens,
    1,
    model.maxOutputTokens,
    "#/inferenceConfig"
  )
  numberField(inference, "temperature", 0, 1, "#/inferenceConfig")
  numberField(inference, "top_p", 0, 1, "#/inferenceConfig")
  const stopSequences = stringList(inference, "stopSequences", "#/inferenceConfig")
  const toolConfig = parseToolConfig(body["toolConfig"], model)
  const parsed = parseMessages(body["messages"], {
    model,
    hasToolConfig: body["toolConfig"] !== undefined,
    media: new MediaLimits(model, "native")
  })
  const system = parseSystem(body["system"], model)
  const conversation = assemble(model, system, parsed, toolConfig, {
    maxTokens,
    stopSequences,
    thinking: undefined,
    guardrail: undefined,
    inputLimit: limit
  })
  return { conversation, render: (answer, usage) => render(model, conversation, answer, usage) }
}

const render = (
  model: ModelInfo,
  conversation: Parameters<typeof converseBody>[1],
  answer: Answer,
  usage: NativeUsage
): { body: Json; chunks: Array<Json> } => {
  const nativeUsage: Json = {
    inputTokens: usage.inputTokens,
    outputTokens: answer.outputTokens,
    totalTokens: usage.inputTokens + answer.outputTokens + usage.cacheRead + usage.cacheWrite,
    cacheReadInputTokenCount: usage.cacheRead,
    cacheWriteInputTokenCount: usage.cacheWrite
  }
  const converse = converseBody(model, conversation, answer, nativeUsage, undefined)
  const body: Json = { output: converse["output"], stopReason: converse["stopReason"], usage: nativeUsage }
  const chunks: Array<Json> = converseEvents(converse, {
    toolInputChunk: Number.MAX_SAFE_INTEGER,
    leadingEmptyToolDelta: false
  })
    .map((event) =>
      event.type === "metadata"
        ? {
          metadata: {
            usage: { inputTokens: usage.inputTokens, outputTokens: answer.outputTokens },
            metrics: {},
            trace: {}
          }
        }
        : { [event.type]: event.payload }
    )
  return { body, chunks: withMetrics(chunks, usage) }
}
