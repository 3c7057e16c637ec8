/**
 * Shared pieces of the OpenAI API's tests: the official `openai` client pointed at a test service, and the models
 * the emulator answers for.
 */
import * as Effect from "effect/Effect"
import OpenAI from "openai"
import { startService, type TestOptions, type TestService } from "../support/service.js"

/** A chat model with tools (streamed too), vision, documents, prompt caching and reasoning. */
export const chatModel = "anthropic.claude-sonnet-4-20250514-v1:0"
/** A model that reasons (extended thinking). */
export const reasoningModel = "anthropic.claude-3-7-sonnet-20250219-v1:0"
/** A model without prompt caching, reasoning or streamed tool use. */
export const plainModel = "anthropic.claude-3-haiku-20240307-v1:0"
/** A Nova model (tool results may not share a turn with other content). */
export const novaModel = "amazon.nova-lite-v1:0"
/** An embeddings model with 256/512/1024 dimensions. */
export const embeddingModel = "amazon.titan-embed-text-v2:0"

/** A 1x1 PNG. */
export const pngDataUrl =
  "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="

/** The official client on the service, without retries (a test sees every answer). */
export const clientOf = (service: TestService, apiKey: string, options: { readonly maxRetries?: number } = {}) =>
  new OpenAI({ apiKey, baseURL: `${service.url}/v1`, maxRetries: options.maxRetries ?? 0 })

/** The error a promise rejects with (the test fails if it resolves). */
export const rejection = <A>(promise: () => Promise<A>): Effect.Effect<unknown> =>
  Effect.promise(() =>
    promise().then(
      (value) => {
        throw new Error(`expected a rejection, got ${JSON.stringify(value).slice(0, 300)}`)
      },
      (error: unknown) => error
    )
  )

/** A service on loopback with the emulator behind it, a key that may use everything, and the client with that key. */
export const withClient = (options?: TestOptions) =>
  Effect.gen(function*() {
    const service = yield* startService(options)
    const key = yield* service.createKey()
    return { service, key, client: clientOf(service, key.secret) }
  })
