/**
 * bedrock-llm as `@effect/ai`'s `Tokenizer`, over Bedrock's CountTokens (through the `BedrockRuntime` in context, so
 * its deadline applies): a prompt is counted as the Converse conversation `BedrockLanguageModel` would send, which is
 * what the model bills as input. Bedrock returns a count, not token ids: `tokenize` gives that many entries, each 0,
 * and `truncate` (which counts message by message) works as `@effect/ai` defines it. A message that is no conversation
 * on its own (an assistant turn, a tool result without its call) is counted as user text of the same content.
 *
 * CountTokens takes a foundation model id: an inference profile id is counted with its model. For a model the
 * catalog says has no CountTokens, `fallback: "estimate"` uses `ModelCatalog.estimateTokens`; by default the call
 * fails with `MalformedInput` naming the model.
 *
 * @since 0.1.0
 */
import * as AiError from "@effect/ai/AiError"
import * as Tokenizer from "@effect/ai/Tokenizer"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { BedrockClient } from "../BedrockClient.js"
import { BedrockRuntime } from "../BedrockRuntime.js"
import * as Conversation from "../Conversation.js"
import * as SdkShapes from "../internal/sdkShapes.js"
import * as Message from "../Message.js"
import * as ModelCatalog from "../ModelCatalog.js"
import * as BedrockAiError from "./BedrockAiError.js"
import * as PromptConversion from "./internal/prompt.js"
import * as ReasoningMemory from "./internal/reasoningMemory.js"
import * as Tools from "./internal/tools.js"

/**
 * Options of `make` and `layer`: the model to count for (default the `BedrockClient`'s model, when a client is in
 * context) and what to do for a model without CountTokens.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly modelId?: string | undefined
  readonly fallback?: "fail" | "estimate" | undefined
}

const module = "BedrockTokenizer"

/** The text of a block, for counting a message that is no conversation on its own. */
const textOfBlock = (block: Message.ContentBlock): Message.ContentBlock | undefined => {
  switch (block._tag) {
    case "Text":
    case "Image":
    case "Document":
    case "Video":
      return block
    case "Reasoning":
      return Message.text(block.text)
    case "ToolUse":
      return Message.text(`${block.name} ${JSON.stringify(block.input)}`)
    case "ToolResult":
      return Message.text(
        block.content.map((part) =>
          part._tag === "Text" ? part.text : part._tag === "Json" ? JSON.stringify(part.json) : ""
        ).join("\n")
      )
    case "CitationsContent":
      return Message.text(block.content.map((part) => part.text).join(""))
    default:
      return undefined
  }
}

/** Every block of the conversation in one user turn (blank text left out). */
const asUserTurn = (messages: ReadonlyArray<Message.Message>): ReadonlyArray<Message.Message> => {
  const content = messages.flatMap((message) =>
    message.content.flatMap((block) => {
      const kept = textOfBlock(block)
      return kept === undefined || (kept._tag === "Text" && kept.text.trim() === "") ? [] : [kept]
    })
  )
  return content.length === 0 ? [] : [{ role: "user", content }]
}

const plainText = (converted: PromptConversion.Converted): string =>
  [
    ...converted.system.map((block) => block._tag === "Text" ? block.text : ""),
    ...asUserTurn(converted.messages).map(Message.textOf)
  ].join("\n")

const zeros = (count: number): Array<number> => new Array<number>(count).fill(0)

/**
 * The `Tokenizer` service over the `BedrockRuntime` in context.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: Options): Effect.Effect<Tokenizer.Service, never, BedrockRuntime> =>
  Effect.gen(function*() {
    const runtime = yield* BedrockRuntime
    const client = yield* Effect.serviceOption(BedrockClient)
    const requested = options?.modelId ??
      Option.match(client, { onNone: () => undefined, onSome: (c) => c.model.modelId })
    const memory = ReasoningMemory.make(0)
    const origin: BedrockAiError.Origin = {
      module,
      method: "tokenize",
      url: `${runtime.config.endpoint ?? ""}/model/${encodeURIComponent(requested ?? "")}/count-tokens`
    }
    const failInput = (description: string) =>
      Effect.fail(new AiError.MalformedInput({ module, method: "tokenize", description }))
    if (requested === undefined) {
      return Tokenizer.make({
        tokenize: () => failInput("no model to count for: give options.modelId or provide a BedrockClient")
      })
    }
    const modelId = ModelCatalog.parseId(requested).baseId
    const supported = Option.match(ModelCatalog.resolve(requested), {
      onNone: () => true,
      onSome: (info) => info.countTokensSupported
    })

    const count = (converted: PromptConversion.Converted): Effect.Effect<number, AiError.AiError> => {
      const valid = Option.isNone(Conversation.check(converted.messages, { toolConfig: Conversation.toolConfig([]) }))
      const messages = valid ? converted.messages : asUserTurn(converted.messages)
      if (messages.length === 0 && converted.system.length === 0) return Effect.succeed(0)
      const toolConfig = Tools.toolConfiguration({ tools: [], toolChoice: "none" }, messages)
      return runtime.countTokens({
        modelId,
        input: {
          converse: {
            // CountTokens needs a message: a system prompt alone is counted with an empty-looking user turn.
            messages: (messages.length === 0 ? [Message.user(".")] : messages).map(SdkShapes.messageToSdk),
            ...(converted.system.length === 0 ? {} : { system: converted.system.map(SdkShapes.systemBlockToSdk) }),
            ...(Either.isRight(toolConfig) && toolConfig.right !== undefined
              ? { toolConfig: SdkShapes.toolConfigToSdk(toolConfig.right) }
              : {})
          }
        }
      }).pipe(
        Effect.mapBoth({
          onFailure: (error) => BedrockAiError.fromCause(error, origin),
          onSuccess: (output) => output.inputTokens ?? 0
        })
      )
    }

    return Tokenizer.make({
      tokenize: (prompt) => {
        const converted = PromptConversion.convert(prompt, memory)
        if (Either.isLeft(converted)) return failInput(converted.left)
        if (supported) return Effect.map(count(converted.right), zeros)
        return options?.fallback === "estimate"
          ? Effect.succeed(zeros(ModelCatalog.estimateTokens(plainText(converted.right))))
          : failInput(`${requested} does not support CountTokens (use fallback: "estimate" for an estimate)`)
      }
    })
  })

/**
 * The `Tokenizer` layer over the `BedrockRuntime` in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: Options): Layer.Layer<Tokenizer.Tokenizer, never, BedrockRuntime> =>
  Layer.effect(Tokenizer.Tokenizer, make(options))
