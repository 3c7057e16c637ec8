/**
 * InvokeModel and InvokeModelWithResponseStream: the deterministic model's answer in the model's native body
 * format and native stream chunks; embeddings for embedding models.
 *
 * @since 0.1.0
 */
import { answer } from "./answer.js"
import { cacheUsage } from "./cache.js"
import { resolveModel } from "./catalog.js"
import { latencyOf } from "./converse.js"
import { embeddings } from "./embeddings.js"
import { parseNative } from "./families/index.js"
import { guard, rejectInvalidModel } from "./reject.js"
import type { EngineResult, InvokeOutput } from "./types.js"

/**
 * Answers an InvokeModel request in the model's native body format, with its native stream chunks.
 *
 * @since 0.1.0
 * @category constructors
 */
export const invoke = (modelId: string, body: unknown): EngineResult<InvokeOutput> =>
  guard(() => {
    const model = resolveModel(modelId) ?? rejectInvalidModel()
    if (model.family === "titan-embed" || model.family === "cohere-embed") return embeddings(model, body)
    const native = parseNative(model, body)
    const result = answer(model, native.conversation)
    const cache = cacheUsage(model.id, native.conversation.units)
    const latencyMs = latencyOf(native.conversation.units.length, result.outputTokens)
    const out = native.render(result, {
      ...cache,
      outputTokens: result.outputTokens,
      latencyMs,
      firstByteLatencyMs: Math.min(latencyMs, 100 + Math.ceil(cache.inputTokens / 100))
    })
    return {
      ...out,
      usage: {
        inputTokens: cache.inputTokens,
        outputTokens: result.outputTokens,
        cacheReadInputTokens: cache.cacheRead,
        cacheWriteInputTokens: cache.cacheWrite,
        latencyMs
      }
    }
  })
