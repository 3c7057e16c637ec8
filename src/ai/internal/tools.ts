/**
 * `@effect/ai` tools and tool choice as the library's tool configuration.
 *
 * @internal
 */
import type * as LanguageModel from "@effect/ai/LanguageModel"
import * as Tool from "@effect/ai/Tool"
import * as Either from "effect/Either"
import * as Conversation from "../../Conversation.js"
import type * as Message from "../../Message.js"
import { isServerToolUse } from "./serverTools.js"

const toolSpec = (tool: Tool.Any): Conversation.ToolSpec =>
  Conversation.toolSpec({
    name: tool.name,
    description: tool.description ?? Tool.getDescriptionFromSchemaAst(tool.parametersSchema.ast) ?? tool.name,
    inputSchema: Tool.getJsonSchemaFromSchemaAst(tool.parametersSchema.ast) as unknown as Message.JsonObject
  })

/** A spec for a tool the conversation used but this call does not offer (Bedrock needs one to read the history). */
const historicSpec = (name: string): Conversation.ToolSpec =>
  Conversation.toolSpec({
    name,
    description: `${name} (used earlier in the conversation; not available now)`,
    inputSchema: { type: "object", properties: {} }
  })

/** The tools a conversation's toolUse blocks name, and whether it holds tool blocks at all. */
const toolHistory = (messages: ReadonlyArray<Message.Message>) => {
  const names = new Set<string>()
  let any = false
  for (const message of messages) {
    for (const block of message.content) {
      if (block._tag === "ToolUse" && !isServerToolUse(block)) names.add(block.name)
      if (block._tag === "ToolUse" || block._tag === "ToolResult") any = true
    }
  }
  return { names: [...names], any }
}

/**
 * The tool configuration of a call: the tools `@effect/ai` passes (user-defined ones: Bedrock's server tools are not
 * `@effect/ai` tools) with the tool choice (`auto`, `required` as `any`, one tool, or `oneOf` narrowed by
 * `@effect/ai` already). `none`, or no tools, sends no tools, except that a conversation holding tool blocks needs
 * a tool configuration: then the tools are sent with no choice (Converse has no `none`), and tools used in the
 * history but not offered get a placeholder spec.
 */
export const toolConfiguration = (
  options: Pick<LanguageModel.ProviderOptions, "tools" | "toolChoice">,
  messages: ReadonlyArray<Message.Message>
): Either.Either<Conversation.ToolConfiguration | undefined, string> => {
  const providerDefined = options.tools.find((tool) => !Tool.isUserDefined(tool))
  if (providerDefined !== undefined) {
    return Either.left(`provider-defined tool ${providerDefined.name} is not a Bedrock tool`)
  }
  const specs = options.tools.map(toolSpec)
  const history = toolHistory(messages)
  const offered = new Set(specs.map((spec) => spec.name))
  const placeholders = history.names.filter((name) => !offered.has(name)).map(historicSpec)
  const choice = options.toolChoice
  if (choice === "none" || specs.length === 0) {
    return Either.right(history.any ? Conversation.toolConfig([...specs, ...placeholders]) : undefined)
  }
  const toolChoice = choice === "auto"
    ? Conversation.toolChoiceAuto
    : choice === "required"
    ? Conversation.toolChoiceAny
    : "tool" in choice
    ? Conversation.toolChoiceTool(choice.tool)
    : choice.mode === "required"
    ? Conversation.toolChoiceAny
    : Conversation.toolChoiceAuto
  return Either.right(Conversation.toolConfig([...specs, ...placeholders], toolChoice))
}
