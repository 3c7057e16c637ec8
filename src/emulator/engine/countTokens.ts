/**
 * CountTokens: the prompt's tokens by the engine's one tokenizer, the same figure Converse and InvokeModel report
 * as input (their `inputTokens + cacheRead + cacheWrite`).
 *
 * @since 0.1.0
 */
import type { ModelInfo } from "./catalog.js"
import { resolveModel } from "./catalog.js"
import { promptTokens } from "./conversation.js"
import { parseNative } from "./families/index.js"
import { decodeBase64, isRecord, isString } from "./json.js"
import { checkCountedTokens, uncountedLimit } from "./limits.js"
import { guard, reject, rejectField, rejectInvalidModel } from "./reject.js"
import type { EngineResult } from "./types.js"
import { parseConverseRequest } from "./validate.js"

const counted = (model: ModelInfo, inputTokens: number): { readonly inputTokens: number } => {
  checkCountedTokens(model, inputTokens)
  return { inputTokens }
}

/**
 * Answers a CountTokens request (`{input: {converse: ...}}` or `{input: {invokeModel: {body}}}`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const countTokens = (modelId: string, body: unknown): EngineResult<{ readonly inputTokens: number }> =>
  guard(() => {
    const model = resolveModel(modelId) ?? rejectInvalidModel()
    if (
      !model.capabilities.countTokens ||
      model.requestedId !== model.id && !model.requestedId.includes("foundation-model/")
    ) {
      return reject("The provided model doesn't support counting tokens.")
    }
    const request = isRecord(body) ? body : rejectField("body", body, "Member must be a structure")
    const input = isRecord(request["input"])
      ? request["input"]
      : rejectField("input", request["input"], "Member must not be null")
    if (isRecord(input["converse"])) {
      return counted(model, promptTokens(parseConverseRequest(model, input["converse"], true).units))
    }
    if (isRecord(input["invokeModel"])) {
      const raw = input["invokeModel"]["body"]
      if (!isString(raw)) return rejectField("input.invokeModel.body", raw, "Member must not be null")
      const bytes = decodeBase64(raw) ?? reject("The body at input.invokeModel.body is not valid base64.")
      let json: unknown
      try {
        json = JSON.parse(Buffer.from(bytes).toString("utf8"))
      } catch {
        return reject("Malformed input request, please reformat your input and try again.")
      }
      return counted(model, promptTokens(parseNative(model, json, uncountedLimit).conversation.units))
    }
    return rejectField("input", input, "Member must have exactly one of converse, invokeModel")
  })
