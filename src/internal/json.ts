/**
 * Reading JSON text that may not be JSON (tool inputs a model wrote, native chunks, exception bodies), as a value
 * instead of a throw.
 *
 * @internal
 */
import * as Either from "effect/Either"

/** The value of a JSON text, or the parser's message when it is not JSON. */
export const parseJson = (text: string): Either.Either<unknown, string> => {
  try {
    return Either.right(JSON.parse(text))
  } catch (cause) {
    return Either.left(cause instanceof Error ? cause.message : String(cause))
  }
}

/** The input of a tool call: its JSON text, where an empty text (a tool without parameters) stands for `{}`. */
export const parseToolInput = (text: string): Either.Either<unknown, string> =>
  text.trim() === "" ? Either.right({}) : parseJson(text)
