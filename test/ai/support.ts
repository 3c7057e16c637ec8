import type { ConverseCommandInput } from "@aws-sdk/client-bedrock-runtime"
import type * as AiResponse from "@effect/ai/Response"
import { Effect, Layer } from "effect"
import { BedrockLanguageModel } from "../../src/ai/index.js"
import * as BedrockRuntime from "../../src/BedrockRuntime.js"
import { liveLayer, type LiveOptions } from "../support/live.js"

/** The Converse / ConverseStream / CountTokens inputs the SDK client sent, newest last (cleared by `clear`). */
export interface Sent {
  readonly inputs: Array<{ readonly command: string; readonly input: ConverseCommandInput }>
  readonly clear: () => void
  readonly last: () => ConverseCommandInput
}

export const makeSent = (): Sent => {
  const inputs: Array<{ readonly command: string; readonly input: ConverseCommandInput }> = []
  return {
    inputs,
    clear: () => void inputs.splice(0),
    last: () => {
      const found = inputs[inputs.length - 1]
      if (found === undefined) throw new Error("no request was sent")
      return found.input
    }
  }
}

/** Records every command's input through SDK middleware on the runtime's client (the real request path). */
export const recordInputs = (sent: Sent) =>
  Layer.effectDiscard(Effect.map(BedrockRuntime.BedrockRuntime, (runtime) => {
    runtime.sdk.middlewareStack.add(
      (next, context) => (args) => {
        sent.inputs.push({ command: String(context.commandName), input: args.input as ConverseCommandInput })
        return next(args)
      },
      { step: "initialize", name: "recordInputsForTests" }
    )
  }))

/** Emulator, runtime, client and the `@effect/ai` language model, with the client and runtime exposed. */
export const aiLayer = (sent: Sent, options?: LiveOptions & { readonly model?: BedrockLanguageModel.Options }) => {
  const live = liveLayer(options)
  return Layer.mergeAll(BedrockLanguageModel.layer(options?.model), recordInputs(sent)).pipe(Layer.provideMerge(live))
}

/** The text of stream parts, concatenated. */
export const streamedText = (parts: ReadonlyArray<AiResponse.AnyPart>): string =>
  parts.map((part) => part.type === "text-delta" ? part.delta : "").join("")

export const thinkingModel = "us.anthropic.claude-3-7-sonnet-20250219-v1:0"
export const thinking = {
  modelId: thinkingModel,
  maxTokens: 2048,
  additionalModelRequestFields: { thinking: { type: "enabled", budget_tokens: 1024 } }
} as const
