import {
  AccessDeniedException,
  ConflictException,
  InternalServerException,
  ModelErrorException,
  ModelNotReadyException,
  ModelStreamErrorException,
  ModelTimeoutException,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  ServiceUnavailableException,
  ThrottlingException,
  ValidationException
} from "@aws-sdk/client-bedrock-runtime"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit } from "effect"
import * as BedrockError from "../src/BedrockError.js"
import { redact, redactValue, registerSecret, unregisterSecret } from "../src/internal/redact.js"

const metadata = (httpStatusCode: number) => ({ $metadata: { httpStatusCode, requestId: `req-${httpStatusCode}` } })

const withResponseHeaders = <E extends object>(error: E, headers: Record<string, string>): E => {
  Object.defineProperty(error, "$response", { value: { statusCode: 429, headers }, enumerable: false })
  return error
}

describe("BedrockError.fromSdkError", () => {
  const cases = [
    [new ThrottlingException({ message: "Too many requests", ...metadata(429) }), "ThrottlingError", 429, true],
    [
      new ServiceUnavailableException({ message: "unavailable", ...metadata(503) }),
      "ServiceUnavailableError",
      503,
      true
    ],
    [new InternalServerException({ message: "oops", ...metadata(500) }), "InternalServerError", 500, true],
    [new ModelTimeoutException({ message: "slow", ...metadata(408) }), "ModelTimeoutError", 408, true],
    [new ModelNotReadyException({ message: "loading", ...metadata(429) }), "ModelNotReadyError", 429, true],
    [new ModelErrorException({ message: "model", ...metadata(424) }), "ModelError", 424, false],
    [new ModelStreamErrorException({ message: "stream", ...metadata(424) }), "ModelStreamError", 424, true],
    [new ValidationException({ message: "bad", ...metadata(400) }), "ValidationError", 400, false],
    [new AccessDeniedException({ message: "denied", ...metadata(403) }), "AccessDeniedError", 403, false],
    [new ResourceNotFoundException({ message: "missing", ...metadata(404) }), "ResourceNotFoundError", 404, false],
    [
      new ServiceQuotaExceededException({ message: "quota", ...metadata(400) }),
      "ServiceQuotaExceededError",
      400,
      false
    ],
    [new ConflictException({ message: "conflict", ...metadata(400) }), "ConflictError", 400, false]
  ] as const

  for (const [exception, tag, status, retryable] of cases) {
    it(`maps ${exception.name} to ${tag}`, () => {
      const error = BedrockError.fromSdkError(exception)
      assert.strictEqual(error._tag, tag)
      assert.strictEqual(error.status, status)
      assert.strictEqual(error.requestId, `req-${status}`)
      assert.strictEqual(error.message, exception.message)
      assert.strictEqual(error.retryable, retryable)
      assert.strictEqual(BedrockError.isRetryable(error), retryable)
      assert.isTrue(BedrockError.isBedrockError(error))
      assert.strictEqual(error.origin?.name, exception.name)
      assert.strictEqual(error.origin?.fault, exception.$fault)
    })
  }

  it("keeps ModelErrorException's original status and resource name; 5xx model errors are retryable", () => {
    const error = BedrockError.fromSdkError(
      new ModelErrorException({
        message: "model failed",
        originalStatusCode: 503,
        resourceName: "arn:x",
        ...metadata(424)
      })
    )
    assert.instanceOf(error, BedrockError.ModelError)
    if (error._tag === "ModelError") {
      assert.strictEqual(error.originalStatusCode, 503)
      assert.strictEqual(error.resourceName, "arn:x")
      assert.isTrue(error.retryable)
    }
  })

  it("keeps ModelStreamErrorException's original status and message", () => {
    const error = BedrockError.fromSdkError(
      new ModelStreamErrorException({
        message: "s",
        originalStatusCode: 500,
        originalMessage: "inner",
        ...metadata(424)
      })
    )
    assert.deepStrictEqual(
      error._tag === "ModelStreamError" ? [error.originalStatusCode, error.originalMessage] : [],
      [500, "inner"]
    )
  })

  it("maps the in-stream camelCase spelling to the same class", () => {
    const raw = Object.assign(new Error("Rate exceeded"), { name: "throttlingException" })
    const error = BedrockError.fromSdkError(raw)
    assert.instanceOf(error, BedrockError.ThrottlingError)
    assert.strictEqual(error.status, 429)
    assert.isTrue(BedrockError.isThrottling(error))
  })

  it("fromStreamException maps exception events by type, with the modeled status", () => {
    const throttled = BedrockError.fromStreamException("throttlingException", "slow down", { requestId: "r" })
    assert.instanceOf(throttled, BedrockError.ThrottlingError)
    assert.strictEqual(throttled.status, 429)
    assert.strictEqual(throttled.requestId, "r")
    assert.isTrue(throttled.origin?.inStream)
    const stream = BedrockError.fromStreamException("modelStreamErrorException", "broken", {
      originalStatusCode: 500,
      originalMessage: "upstream"
    })
    assert.instanceOf(stream, BedrockError.ModelStreamError)
    assert.strictEqual(BedrockError.fromStreamException("ValidationException", "no")._tag, "ValidationError")
    const unknown = BedrockError.fromStreamException("brandNewException", "?")
    assert.strictEqual(unknown._tag, "UnknownServiceError")
  })

  it("maps an in-stream exception of a type the SDK does not model by its type, message and status", () => {
    // What the SDK's event-stream unmarshaller throws for it: the event's JSON body as the message, the
    // `:exception-type` as the name; as the stream's first event, with the deserialization hint and the 200's metadata.
    const unmodeled = (type: string, body: object, first: boolean) => {
      const error = Object.assign(new Error(JSON.stringify(body)), { name: type })
      if (!first) return error
      error.message += "\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response"
      return Object.assign(error, { $metadata: { httpStatusCode: 200, requestId: "rid" } })
    }
    for (const first of [true, false]) {
      const error = BedrockError.fromSdkError(unmodeled("quotaBreachedException", { message: "over quota" }, first))
      assert.strictEqual(error._tag, "UnknownServiceError")
      assert.strictEqual(error._tag === "UnknownServiceError" && error.exceptionName, "quotaBreachedException")
      assert.strictEqual(error.message, "over quota")
      assert.strictEqual(error.requestId, first ? "rid" : undefined)
      assert.isUndefined(error.status)
      assert.isFalse(error.retryable)
      assert.isTrue(error.origin?.inStream)
      const reported = BedrockError.fromSdkError(
        unmodeled("upstreamException", { message: "try again", originalStatusCode: 503 }, first)
      )
      assert.strictEqual(reported.status, 503)
      assert.isTrue(reported.retryable)
      const known = BedrockError.fromSdkError(unmodeled("modelTimeoutException", { message: "slow" }, first))
      assert.strictEqual(known._tag, "ModelTimeoutError")
      assert.strictEqual(known.message, "slow")
    }
  })

  it("reads retry-after from the raw response (seconds and HTTP date)", () => {
    const seconds = withResponseHeaders(new ThrottlingException({ message: "t", ...metadata(429) }), {
      "Retry-After": "3"
    })
    assert.strictEqual(BedrockError.fromSdkError(seconds).retryAfterMs, 3000)
    const now = Date.parse("2025-01-01T00:00:00Z")
    const date = withResponseHeaders(new ThrottlingException({ message: "t", ...metadata(429) }), {
      "retry-after": "Wed, 01 Jan 2025 00:00:05 GMT"
    })
    assert.strictEqual(BedrockError.fromSdkError(date, { now }).retryAfterMs, 5000)
    assert.isUndefined(
      BedrockError.fromSdkError(new ThrottlingException({ message: "t", ...metadata(429) })).retryAfterMs
    )
  })

  it("maps Node socket errors, HTTP/2 errors and handler timeouts to a retryable TransportError", () => {
    for (const code of ["ECONNRESET", "ECONNREFUSED", "EPIPE", "ENOTFOUND", "ERR_HTTP2_STREAM_ERROR"]) {
      const error = BedrockError.fromSdkError(Object.assign(new Error(`socket ${code}`), { code }))
      assert.instanceOf(error, BedrockError.TransportError)
      assert.strictEqual(error._tag === "TransportError" ? error.code : undefined, code)
      assert.isTrue(error.retryable)
    }
    const timeout = BedrockError.fromSdkError(Object.assign(new Error("socket timed out"), { name: "TimeoutError" }))
    assert.instanceOf(timeout, BedrockError.TransportError)
    assert.isTrue(timeout.retryable)
  })

  it("maps an AbortError to a non-retryable TransportError with aborted: true", () => {
    const error = BedrockError.fromSdkError(Object.assign(new Error("Request aborted"), { name: "AbortError" }))
    assert.instanceOf(error, BedrockError.TransportError)
    assert.isTrue(error._tag === "TransportError" && error.aborted)
    assert.isFalse(error.retryable)
  })

  it("maps unknown service exceptions, keeping name and status; 5xx are retryable", () => {
    const raw = Object.assign(new Error("new thing"), {
      name: "BrandNewException",
      $fault: "server",
      $metadata: { httpStatusCode: 502, requestId: "abc" }
    })
    const error = BedrockError.fromSdkError(raw)
    assert.instanceOf(error, BedrockError.UnknownServiceError)
    assert.strictEqual(error._tag === "UnknownServiceError" ? error.exceptionName : "", "BrandNewException")
    assert.strictEqual(error.status, 502)
    assert.isTrue(error.retryable)
    // The SDK's own configuration failures are configuration errors (test/LocalBedrock.test.ts has the rest).
    const client = BedrockError.fromSdkError(Object.assign(new Error("nope"), { name: "CredentialsProviderError" }))
    assert.strictEqual(client._tag, "ConfigurationError")
    assert.strictEqual(client._tag === "ConfigurationError" && client.setting, "credentials")
    assert.isFalse(client.retryable)
    assert.strictEqual(BedrockError.fromSdkError("a string")._tag, "UnknownServiceError")
  })

  it("maps event-stream decoding failures", () => {
    assert.strictEqual(
      BedrockError.fromSdkError(new Error("The message checksum (1) did not match the expected value of 2"))._tag,
      "MalformedResponseError"
    )
    assert.strictEqual(BedrockError.fromSdkError(new Error("Truncated event message received."))._tag, "TransportError")
    const deserialization = Object.assign(new SyntaxError("Unexpected token < in JSON at position 0"), {
      $metadata: { httpStatusCode: 200, requestId: "rid" }
    })
    deserialization.message +=
      "\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response"
    const malformed = BedrockError.fromSdkError(deserialization)
    assert.strictEqual(malformed._tag, "MalformedResponseError")
    assert.strictEqual(malformed.requestId, "rid")
    assert.isFalse(malformed.retryable)
  })

  it("re-exports InvalidConversation and Response's MalformedResponse (outside the union, not retryable)", () => {
    const invalid = new BedrockError.InvalidConversation({
      message: "m",
      messageIndex: 0,
      rule: "first-message-from-user"
    })
    assert.isFalse(BedrockError.isRetryable(invalid))
    assert.isFalse(BedrockError.isBedrockError(invalid))
    const malformed = new BedrockError.MalformedResponse({ message: "cut" })
    assert.isFalse(BedrockError.isRetryable(malformed))
  })

  it("returns a BedrockError unchanged", () => {
    const error = new BedrockError.ValidationError({ message: "x" })
    assert.strictEqual(BedrockError.fromSdkError(error), error)
  })

  it("library errors say whether they are retryable", () => {
    assert.isTrue(new BedrockError.RequestTimeoutError({ message: "t", kind: "idle", timeoutMs: 5 }).retryable)
    assert.isFalse(
      new BedrockError.CircuitOpenError({ message: "o", state: "open", openedAt: 0, retryAfterMs: 10 }).retryable
    )
    assert.isFalse(new BedrockError.MalformedResponseError({ message: "m" }).retryable)
    assert.isFalse(
      new BedrockError.StreamInterruptedError({ message: "i", cause: undefined, eventsReceived: 3 }).retryable
    )
    // An interrupted stream is retryable as its cause is: a cut connection is, a model error is not.
    const cut = new BedrockError.TransportError({ message: "cut", code: "INCOMPLETE_EVENT_STREAM" })
    assert.isTrue(new BedrockError.StreamInterruptedError({ message: "i", cause: cut, eventsReceived: 3 }).retryable)
    const refused = new BedrockError.ValidationError({ message: "no" })
    assert.isFalse(
      new BedrockError.StreamInterruptedError({ message: "i", cause: refused, eventsReceived: 3 }).retryable
    )
    assert.isFalse(BedrockError.isRetryable(new Error("plain")))
    assert.isFalse(BedrockError.isBedrockError({ _tag: "ThrottlingError" }))
  })

  it.effect("errors are yieldable and caught by tag", () =>
    Effect.gen(function*() {
      const error = BedrockError.fromSdkError(new ThrottlingException({ message: "t", ...metadata(429) }))
      const result = yield* Effect.fail(error).pipe(
        Effect.catchTag("ThrottlingError", (e) => Effect.succeed(e.status))
      )
      assert.strictEqual(result, 429)
    }))
})

describe("redaction", () => {
  const ACCESS_KEY = "AKIAFAKEFAKEFAKE1234"
  const SECRET_KEY = "wJalrXUtnFEMI/FAKE/SECRET/KEYFAKE"
  const SESSION_TOKEN = "FAKE-SESSION-TOKEN-0123456789abcdef"
  const SIGNATURE = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
  const ALL = [ACCESS_KEY, SECRET_KEY, SESSION_TOKEN, SIGNATURE]

  const leakyMessage = [
    `The security token included in the request is invalid.`,
    `authorization: AWS4-HMAC-SHA256 Credential=${ACCESS_KEY}/20250101/us-east-1/bedrock/aws4_request,`,
    `SignedHeaders=host;x-amz-date, Signature=${SIGNATURE}`,
    `x-amz-security-token: ${SESSION_TOKEN}`,
    `https://bedrock-runtime.us-east-1.amazonaws.com/model/m/invoke?X-Amz-Credential=${ACCESS_KEY}%2F2025&X-Amz-Security-Token=${SESSION_TOKEN}&X-Amz-Signature=${SIGNATURE}`,
    `{"secretAccessKey":"${SECRET_KEY}","sessionToken":"${SESSION_TOKEN}"}`,
    `aws_secret_access_key = ${SECRET_KEY}`,
    `bare key ${ACCESS_KEY}`
  ].join("\n")

  const assertClean = (text: string, label: string) => {
    for (const secret of ALL) {
      assert.notInclude(text, secret, `${label} leaks ${secret}`)
    }
  }

  it("scrubs access keys, signatures, security tokens and keyed secrets", () => {
    const text = redact(leakyMessage)
    assertClean(text, "redact")
    assert.include(text, "The security token included in the request is invalid.")
    assert.include(text, "[REDACTED]")
  })

  it("scrubs a registered bare secret", () => {
    registerSecret(SECRET_KEY)
    try {
      assert.notInclude(redact(`a bare ${SECRET_KEY} here`), SECRET_KEY)
    } finally {
      unregisterSecret(SECRET_KEY)
    }
    assert.include(redact(`a bare ${SECRET_KEY} here`), SECRET_KEY)
  })

  it("scrubs the secret of the environment's credentials", () => {
    const previous = process.env.AWS_SECRET_ACCESS_KEY
    process.env.AWS_SECRET_ACCESS_KEY = SECRET_KEY
    try {
      assert.notInclude(redact(`bare ${SECRET_KEY}`), SECRET_KEY)
    } finally {
      if (previous === undefined) delete process.env.AWS_SECRET_ACCESS_KEY
      else process.env.AWS_SECRET_ACCESS_KEY = previous
    }
  })

  it("redactValue blanks sensitive keys and redacts nested strings", () => {
    const value = redactValue({
      headers: { Authorization: "anything", "X-Amz-Security-Token": SESSION_TOKEN, host: "h" },
      nested: [{ note: `key ${ACCESS_KEY}` }],
      credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY }
    })
    assertClean(JSON.stringify(value), "redactValue")
    assert.deepStrictEqual((value as { headers: { host: string } }).headers.host, "h")
  })

  it("no secret reaches an error built by fromSdkError: String, JSON, message, Cause.pretty", () => {
    registerSecret(SECRET_KEY)
    try {
      const exception = new AccessDeniedException({ message: leakyMessage, ...metadata(403) })
      withResponseHeaders(exception, { authorization: `AWS4-HMAC-SHA256 Signature=${SIGNATURE}` })
      const error = BedrockError.fromSdkError(exception)
      assert.instanceOf(error, BedrockError.AccessDeniedError)
      assertClean(String(error), "String(error)")
      assertClean(JSON.stringify(error), "JSON.stringify(error)")
      assertClean(error.message, "error.message")
      assertClean(error.stack ?? "", "error.stack")
      assertClean(Cause.pretty(Cause.fail(error)), "Cause.pretty")
      const exit = Effect.runSyncExit(Effect.fail(error))
      assert.isTrue(Exit.isFailure(exit))
      assertClean(String(exit), "String(exit)")
      const inStream = BedrockError.fromStreamException("throttlingException", leakyMessage)
      assertClean(JSON.stringify(inStream) + inStream.message, "fromStreamException")
      const transport = BedrockError.fromSdkError(
        Object.assign(new Error(leakyMessage), { code: "ECONNRESET", cause: { code: "ECONNRESET", leak: SECRET_KEY } })
      )
      assertClean(JSON.stringify(transport) + String(transport), "transport")
    } finally {
      unregisterSecret(SECRET_KEY)
    }
  })
})

describe("TypeId and isBedrockLlmError", () => {
  it("every error of the library carries the TypeId; other errors do not", async () => {
    const { InvalidConversation } = await import("../src/Conversation.js")
    const { UnknownModel } = await import("../src/ModelCatalog.js")
    const { VersionConflict } = await import("../src/MemoryStore.js")
    const { UnsupportedFeature } = await import("../src/NativeBodies.js")
    const { MaxStepsReached } = await import("../src/Agent.js")
    const errors = [
      new BedrockError.ThrottlingError({ message: "slow down" }),
      new BedrockError.MalformedResponseError({ message: "cut" }),
      new InvalidConversation({ message: "empty", messageIndex: 0, rule: "no-messages" }),
      new UnknownModel({ id: "x", hint: "none" }),
      new VersionConflict({ conversationId: "c", expectedVersion: 1, message: "conflict" }),
      new UnsupportedFeature({ family: "amazon-titan-text", feature: "tools", message: "no tools" }),
      new MaxStepsReached({
        message: "too many steps",
        transcript: [],
        steps: 3,
        usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
        cost: 0,
        maxSteps: 3
      })
    ]
    for (const error of errors) {
      assert.isTrue(BedrockError.isBedrockLlmError(error), error._tag)
      assert.strictEqual((error as unknown as Record<symbol, unknown>)[BedrockError.TypeId], BedrockError.TypeId)
    }
    assert.isFalse(BedrockError.isBedrockLlmError(new Error("plain")))
    assert.isFalse(BedrockError.isBedrockLlmError({ _tag: "ThrottlingError", message: "look-alike" }))
  })

  it("isBedrockError is the union's tags only, derived from its classes", () => {
    assert.isTrue(
      BedrockError.isBedrockError(new BedrockError.UnknownServiceError({ message: "?", exceptionName: "X" }))
    )
    assert.isTrue(BedrockError.isBedrockError(new BedrockError.MalformedResponse({ message: "alias" })))
    const invalid = new BedrockError.InvalidConversation({ message: "empty", messageIndex: 0, rule: "no-messages" })
    assert.isTrue(BedrockError.isBedrockLlmError(invalid))
    assert.isFalse(BedrockError.isBedrockError(invalid))
  })
})
