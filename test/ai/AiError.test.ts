import * as AiError from "@effect/ai/AiError"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { BedrockAiError } from "../../src/ai/index.js"
import * as BedrockClient from "../../src/BedrockClient.js"
import * as BedrockError from "../../src/BedrockError.js"
import * as Conversation from "../../src/Conversation.js"
import * as EmbeddingsClient from "../../src/EmbeddingsClient.js"
import * as Models from "../../src/Models.js"
import * as Response from "../../src/Response.js"

const origin: BedrockAiError.Origin = {
  module: "BedrockLanguageModel",
  method: "generateText",
  url: "https://bedrock-runtime.us-east-1.amazonaws.com/model/m/converse"
}

const service = { message: "boom", status: 429, requestId: "req-1", retryAfterMs: 2000 }

const cases: ReadonlyArray<readonly [BedrockAiError.Cause, AiError.AiError["_tag"]]> = [
  [new BedrockError.ThrottlingError(service), "HttpResponseError"],
  [new BedrockError.ServiceUnavailableError({ ...service, status: 503 }), "HttpResponseError"],
  [new BedrockError.InternalServerError({ ...service, status: 500 }), "HttpResponseError"],
  [new BedrockError.ModelTimeoutError({ ...service, status: 408 }), "HttpResponseError"],
  [new BedrockError.ModelNotReadyError({ ...service, status: 429 }), "HttpResponseError"],
  [new BedrockError.ModelError({ ...service, status: 424, originalStatusCode: 500 }), "HttpResponseError"],
  [new BedrockError.ModelStreamError({ ...service, status: 424 }), "HttpResponseError"],
  [new BedrockError.ValidationError({ ...service, status: 400 }), "HttpResponseError"],
  [new BedrockError.ValidationError({ message: "invalid request: messages.0: ..." }), "MalformedInput"],
  [new BedrockError.AccessDeniedError({ ...service, status: 403 }), "HttpResponseError"],
  [new BedrockError.ResourceNotFoundError({ ...service, status: 404 }), "HttpResponseError"],
  [new BedrockError.ServiceQuotaExceededError({ ...service, status: 400 }), "HttpResponseError"],
  [new BedrockError.ConflictError({ ...service, status: 400 }), "HttpResponseError"],
  [
    new BedrockError.CircuitOpenError({ message: "open", state: "open", openedAt: 0, retryAfterMs: 100 }),
    "UnknownError"
  ],
  [new BedrockError.RequestTimeoutError({ message: "late", kind: "first-event", timeoutMs: 10 }), "HttpRequestError"],
  [new BedrockError.TransportError({ message: "reset", code: "ECONNRESET" }), "HttpRequestError"],
  [new BedrockError.MalformedResponseError({ message: "bad crc" }), "MalformedOutput"],
  [new BedrockError.StreamInterruptedError({ message: "cut", cause: null, eventsReceived: 3 }), "UnknownError"],
  [
    new BedrockError.StreamInterruptedError({ message: "cut", cause: null, eventsReceived: 3, status: 429 }),
    "HttpResponseError"
  ],
  [new BedrockError.UnknownServiceError({ message: "?", exceptionName: "NewException" }), "UnknownError"],
  [
    new BedrockError.UnknownServiceError({ message: "?", exceptionName: "NewException", status: 502 }),
    "HttpResponseError"
  ],
  [new Conversation.InvalidConversation({ message: "m", messageIndex: 0, rule: "no-messages" }), "MalformedInput"],
  [new Response.MalformedResponse({ message: "cut" }), "MalformedOutput"],
  [new Models.UnsupportedFeature({ message: "no", family: "llama", feature: "tools" }), "MalformedInput"],
  [new BedrockClient.StructuredOutputError({ message: "no object", attempts: 3 }), "MalformedOutput"],
  [new EmbeddingsClient.EmbeddingInputError({ message: "empty", problem: "EmptyText" }), "MalformedInput"],
  [new EmbeddingsClient.UnsupportedModelError({ message: "no", modelId: "x" }), "MalformedInput"]
]

describe("BedrockAiError", () => {
  it("maps every library error to an AiError that keeps it as its cause", () => {
    for (const [error, expected] of cases) {
      const mapped = BedrockAiError.fromCause(error, origin)
      const where = `${error._tag} (${JSON.stringify((error as { status?: number }).status)})`
      assert.strictEqual(mapped._tag, expected, where)
      assert.isTrue(AiError.isAiError(mapped), where)
      assert.strictEqual(mapped.module, "BedrockLanguageModel")
      assert.strictEqual(mapped.method, "generateText")
      assert.strictEqual((mapped as { cause?: unknown }).cause, error, where)
      assert.strictEqual(Option.getOrUndefined(BedrockAiError.causeOf(mapped)), error, where)
      assert.include(mapped.message, error.message, where)
    }
  })

  it("an HttpResponseError carries the status, request id, exception name and retry-after", () => {
    const throttled = new BedrockError.ThrottlingError({
      ...service,
      origin: { name: "ThrottlingException", fault: "client" }
    })
    const mapped = BedrockAiError.fromCause(throttled, origin)
    assert.strictEqual(mapped._tag, "HttpResponseError")
    if (mapped._tag !== "HttpResponseError") return
    assert.strictEqual(mapped.response.status, 429)
    assert.deepStrictEqual(mapped.response.headers, {
      "x-amzn-requestid": "req-1",
      "x-amzn-errortype": "ThrottlingException",
      "retry-after": "2"
    })
    assert.strictEqual(mapped.request.url, origin.url)
    assert.deepStrictEqual(mapped.request.headers, {})
    assert.include(mapped.message, "Rate Limited")
  })

  it.effect("unwrap fails with the library's error, so catchTag works on its tags; others pass through", () =>
    Effect.gen(function*() {
      const throttled = new BedrockError.ThrottlingError(service)
      const caught = yield* Effect.fail(BedrockAiError.fromCause(throttled, origin)).pipe(
        BedrockAiError.unwrap,
        Effect.catchTag("ThrottlingError", (e) => Effect.succeed(e.requestId))
      )
      assert.strictEqual(caught, "req-1")
      const foreign = new AiError.UnknownError({ module: "Other", method: "x" })
      const passed = yield* Effect.flip(BedrockAiError.unwrap(Effect.fail(foreign)))
      assert.strictEqual(passed, foreign)
    }))
})
