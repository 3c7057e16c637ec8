/**
 * Structured output of an agent run: the `respond` tool the model answers through (its spec, and how its input is
 * decoded with the output schema), the nudge sent when the model answers in plain text instead, and how the answer
 * is kept in memory (as the JSON text of the output, not as a tool call without a result).
 *
 * @internal
 */
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as Conversation from "../../Conversation.js"
import * as Message from "../../Message.js"
import * as Tool from "../../Tool.js"

/** @internal */
export interface OutputTool<A> {
  readonly name: string
  readonly spec: Conversation.ToolSpec
  /** The output the tool's input holds, or the issues that keep it from decoding. */
  readonly decode: (input: unknown) => Either.Either<A, string>
  /** The output as the model sent it (unwrapped from `{ value }` when the schema is not an object). */
  readonly raw: (input: unknown) => unknown
}

/** The output tool of `schema`; a schema whose JSON Schema is not an object is wrapped as `{ value }`. @internal */
export const make = <A, I>(schema: Schema.Schema<A, I>, name: string): OutputTool<A> => {
  const direct = Tool.jsonSchema(schema)
  const wrapped = direct["type"] !== "object"
  const carrier: Schema.Schema<A, any> = wrapped
    ? Schema.Struct({ value: schema }).pipe(Schema.transform(Schema.typeSchema(schema), {
      strict: true,
      decode: (struct) => struct.value,
      encode: (value) => ({ value })
    }))
    : schema
  const decode = ParseResult.decodeUnknownEither(carrier)
  return {
    name,
    spec: Conversation.toolSpec({
      name,
      description: "Give the final answer as this tool's input, following its schema exactly.",
      inputSchema: wrapped ? Tool.jsonSchema(Schema.Struct({ value: schema })) : direct
    }),
    decode: (input) =>
      Either.mapLeft(decode(input, { errors: "all" }), (issue) => ParseResult.TreeFormatter.formatIssueSync(issue)),
    raw: (input) =>
      wrapped && typeof input === "object" && input !== null && "value" in input
        ? (input as { readonly value: unknown }).value
        : input
  }
}

/** What the model is told after it answered in plain text where an output was asked for. @internal */
export const nudge = (name: string): Message.Message =>
  Message.user(`Now give your final answer by calling the ${name} tool.`)

/**
 * The transcript as memory keeps it: with an output, the last assistant message has the output's JSON as text in
 * place of its tool call (which would otherwise wait for a result forever). @internal
 */
export const forMemory = (
  transcript: ReadonlyArray<Message.Message>,
  outputJson: string | undefined
): ReadonlyArray<Message.Message> => {
  if (outputJson === undefined) return transcript
  const last = transcript[transcript.length - 1]
  if (last === undefined || last.role !== "assistant") return transcript
  const kept = last.content.filter((block) => block._tag !== "ToolUse")
  return [...transcript.slice(0, -1), { role: "assistant", content: [...kept, Message.text(outputJson)] }]
}
