/**
 * Amazon Titan Text's native body on InvokeModel: `{inputText, textGenerationConfig}` →
 * `{inputTextTokenCount, results: [{tokenCount, outputText, completionReason}]}`.
 *
 * @internal
 */
import type { ModelInfo } from "../catalog.js"
import { isRecord, type Json } from "../json.js"
import type { InputLimit } from "../limits.js"
import { rejectMalformed } from "../reject.js"
import { countText, deltas } from "../tokens.js"
import type { NativeRequest } from "./common.js"
import {
  checkKeys,
  intField,
  nativeBody,
  numberField,
  promptConversation,
  stringField,
  stringList,
  withMetrics
} from "./common.js"

/** Parses a Titan Text body. @internal */
export const parse = (model: ModelInfo, input: unknown, limit: InputLimit): NativeRequest => {
  const body = nativeBody(input)
  checkKeys(body, ["inputText"], ["textGenerationConfig"])
  const inputText = stringField(body, "inputText")
  const config = body["textGenerationConfig"] === undefined
    ? {}
    : isRecord(body["textGenerationConfig"])
    ? body["textGenerationConfig"]
    : rejectMalformed(["#/textGenerationConfig: expected type: JSONObject"])
  checkKeys(config, [], ["maxTokenCount", "stopSequences", "temperature", "topP"], "#/textGenerationConfig")
  const maxTokens = intField(
    config,
    "maxTokenCount",
    Math.min(512, model.maxOutputTokens),
    0,
    model.maxOutputTokens,
    "#/textGenerationConfig"
  )
  numberField(config, "temperature", 0, 1, "#/textGenerationConfig")
  numberField(config, "topP", 0, 1, "#/textGenerationConfig")
  const stopSequences = stringList(config, "stopSequences", "#/textGenerationConfig")
  return {
    conversation: promptConversation(inputText, Math.max(1, maxTokens), stopSequences, limit),
    render: (answer, usage) => {
      const text = answer.blocks.map((b) => (b.kind === "toolUse" ? "" : b.text)).join("")
      const reason = answer.stopReason === "max_tokens"
        ? "LENGTH"
        : answer.stopReason === "stop_sequence"
        ? "STOP_CRITERIA_MET"
        : "FINISH"
      const body: Json = {
        inputTextTokenCount: usage.inputTokens,
        results: [{ tokenCount: answer.outputTokens, outputText: text, completionReason: reason }]
      }
      const pieces = groups(text)
      let produced = 0
      const chunks: Array<Json> = pieces.map((outputText, i) => {
        const last = i === pieces.length - 1
        produced = last ? answer.outputTokens : produced + countText(outputText)
        return {
          outputText,
          index: 0,
          totalOutputTextTokenCount: produced,
          completionReason: last ? reason : null,
          inputTextTokenCount: usage.inputTokens
        }
      })
      return { body, chunks: withMetrics(chunks, usage) }
    }
  }
}

/** Titan streams large pieces: up to 128 tokens a chunk. */
const groups = (text: string): Array<string> => {
  const small = deltas(text, [128])
  return small.length === 0 ? [""] : small
}
