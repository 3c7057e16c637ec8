/**
 * Messages to and from the JSON the stores keep (the `Message` schema's encoding), with the encoded form of each
 * message computed once per message object: conversations are saved whole, and often.
 */
import * as Effect from "effect/Effect"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as Message from "../Message.js"

const encodeMessage = Schema.encodeEither(Message.Message)
const encodedCache = new WeakMap<Message.Message, Message.MessageEncoded>()

/** The encoded form of each message, from the cache when that message object was encoded before. */
export const encodeAll = (
  messages: ReadonlyArray<Message.Message>
): Effect.Effect<ReadonlyArray<Message.MessageEncoded>, ParseResult.ParseError> =>
  Effect.forEach(messages, (message) => {
    const cached = encodedCache.get(message)
    if (cached !== undefined) return Effect.succeed(cached)
    return Effect.tap(encodeMessage(message), (encoded) => Effect.sync(() => encodedCache.set(message, encoded)))
  })

/** The JSON array of the messages' encoded forms. */
export const encodeMessages = (
  messages: ReadonlyArray<Message.Message>
): Effect.Effect<string, ParseResult.ParseError> =>
  Effect.map(encodeAll(messages), (encoded) => JSON.stringify(encoded))

/** The messages of a JSON array written by `encodeMessages`. */
export const decodeMessages = Schema.decode(Message.MessagesFromJson)
