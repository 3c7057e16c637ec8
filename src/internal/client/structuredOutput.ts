/**
 * Structured output: a value of a schema produced by a tool call the model is forced to make, whose input is decoded
 * with the schema; a decode failure goes back to the model as an error tool result before the next attempt. Written
 * over any `generate`, so that `BedrockClient.generateObject` and the `@effect/ai` provider share it (the provider
 * also needs the responses, for their usage).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as JSONSchema from "effect/JSONSchema"
import * as ParseResult from "effect/ParseResult"
import type * as Schema from "effect/Schema"
import type * as BedrockClient from "../../BedrockClient.js"
import * as Conversation from "../../Conversation.js"
import * as Message from "../../Message.js"
import * as Response from "../../Response.js"
import { plural } from "../plural.js"
import { toRequest } from "./prepareRequest.js"

/** A decoded value and the response that carried it, with the usage of every attempt in all. */
export interface StructuredOutput<A> {
  readonly value: A
  readonly response: Response.Response
  readonly usage: Response.Usage
}

/** The messages of the next attempt: the answer, and the tool result or reminder that says what was wrong. */
const retryMessages = (
  messages: ReadonlyArray<Message.Message>,
  response: Response.Response,
  name: string,
  problem: { readonly toolUseId: string; readonly message: string } | undefined
): ReadonlyArray<Message.Message> => [
  ...messages,
  response.message,
  problem === undefined
    ? Message.user(`Call the ${name} tool with the answer.`)
    : Message.user([Message.toolResult(problem.toolUseId, `Invalid input: ${problem.message}`, { status: "error" })])
]

export const generate = <A, I, E>(
  generate: (input: BedrockClient.BedrockClient.Request) => Effect.Effect<Response.Response, E>,
  schema: Schema.Schema<A, I>,
  input: BedrockClient.BedrockClient.Input,
  options: BedrockClient.BedrockClient.ObjectOptions | undefined,
  failure: (message: string, attempts: number, requestId: string | undefined) => E
): Effect.Effect<StructuredOutput<A>, E> =>
  Effect.gen(function*() {
    const name = options?.name ?? "respond"
    const attempts = Math.max(1, options?.attempts ?? 3)
    const request = toRequest(input)
    const toolConfig = Conversation.toolConfig([
      Conversation.toolSpec({
        name,
        description: options?.description ?? "Return the answer as this tool's input, following its schema.",
        inputSchema: JSONSchema.make(schema) as unknown as Message.JsonObject
      })
    ], Conversation.toolChoiceTool(name))
    const decode = ParseResult.decodeUnknownEither(schema)
    let messages = request.messages
    let lastProblem = "the model did not call the tool"
    let requestId: string | undefined
    let usage = Response.Usage.empty
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const response = yield* generate({ ...request, messages, toolConfig })
      requestId = response.requestId
      usage = Response.Usage.add(usage, response.usage)
      const use = Response.toolUses(response).find((use) => use.name === name)
      if (use === undefined) {
        messages = retryMessages(messages, response, name, undefined)
        continue
      }
      const decoded = decode(use.input)
      if (Either.isRight(decoded)) return { value: decoded.right, response, usage }
      lastProblem = ParseResult.TreeFormatter.formatIssueSync(decoded.left)
      messages = retryMessages(messages, response, name, { toolUseId: use.toolUseId, message: lastProblem })
    }
    return yield* Effect.fail(
      failure(`no valid "${name}" tool input after ${plural(attempts, "attempt")}: ${lastProblem}`, attempts, requestId)
    )
  })
