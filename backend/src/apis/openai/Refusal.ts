/**
 * How the pure translation modules refuse a request: `refuse` stops the translation with an OpenAI failure from
 * wherever the problem is found (deep in a message part), and `refusing` turns that into the `Either` the handlers
 * use. A thrown value of a private class, caught at the module boundary only, so that the checks read as a list.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import type { OpenAiFailure } from "./OpenAiError.js"

class Refused {
  constructor(readonly failure: OpenAiFailure) {}
}

/**
 * Stops the translation with a failure (inside `refusing` only).
 *
 * @since 0.1.0
 * @category refusals
 */
export const refuse = (failure: OpenAiFailure): never => {
  throw new Refused(failure)
}

/**
 * Runs a translation: its result, or the failure it was refused with.
 *
 * @since 0.1.0
 * @category refusals
 */
export const refusing = <A>(translation: () => A): Either.Either<A, OpenAiFailure> => {
  try {
    return Either.right(translation())
  } catch (error) {
    if (error instanceof Refused) return Either.left(error.failure)
    throw error
  }
}

/**
 * Whether a parameter was given: neither left out nor `null` (OpenAI's way of asking for the default).
 *
 * @since 0.1.0
 * @category utils
 */
export const isSet = <A>(value: A | null | undefined): value is A => value !== undefined && value !== null
