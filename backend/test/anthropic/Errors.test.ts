import Anthropic, {
  APIError,
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  OverloadedError,
  PermissionDeniedError,
  RateLimitError
} from "@anthropic-ai/sdk"
import { assert, describe, it } from "@effect/vitest"
import { Config as LibraryConfig } from "bedrock-llm"
import * as Effect from "effect/Effect"
import { frozenClock, middleOfAMinute, startService, type TestService } from "../support/service.js"
import { afterAbort, readSseUntil } from "../support/sse.js"

const sonnet = "anthropic.claude-sonnet-4-20250514-v1:0"
const hello = [{ role: "user" as const, content: "Hello" }]

/** The error a promise rejects with. */
const failure = <A>(run: () => Promise<A>) =>
  Effect.promise(() => run().then(() => assert.fail("expected the call to fail"), (error: unknown) => error))

const post = (service: TestService, path: string, init: { headers?: Record<string, string>; body: string }) =>
  Effect.promise(async () => {
    const response = await fetch(`${service.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...init.headers },
      body: init.body
    })
    return { status: response.status, headers: response.headers, body: await response.json() as any }
  })

/** The body of an SDK error: Anthropic's error shape. */
const bodyOf = (error: unknown) =>
  (error as APIError).error as {
    readonly type: string
    readonly error: { readonly type: string; readonly message: string }
  }

const noRetries = { retry: new LibraryConfig.RetryConfig({ maxAttempts: 1 }) }

describe("Anthropic errors through @anthropic-ai/sdk's typed classes", () => {
  it.scoped("keys: missing, unknown, malformed are 401; an API or model the key may not use is 403", () =>
    Effect.gen(function*() {
      const service = yield* startService()
      const params = { model: sonnet, max_tokens: 50, messages: hello }
      const unknown = yield* failure(() =>
        new Anthropic({ baseURL: service.url, apiKey: "sk-bllm-" + "A".repeat(43), maxRetries: 0 }).messages.create(
          params
        )
      )
      assert.instanceOf(unknown, AuthenticationError)
      assert.deepStrictEqual(bodyOf(unknown), {
        type: "error",
        error: { type: "authentication_error", message: "invalid x-api-key: The API key is not known to this gateway." }
      })
      const malformed = yield* failure(() =>
        new Anthropic({ baseURL: service.url, apiKey: "sk-ant-not-a-gateway-key", maxRetries: 0 }).messages.create(
          params
        )
      )
      assert.instanceOf(malformed, AuthenticationError)
      const missing = yield* post(service, "/v1/messages", {
        headers: { "anthropic-version": "2023-06-01" },
        body: JSON.stringify(params)
      })
      assert.strictEqual(missing.status, 401)
      assert.strictEqual(missing.body.error.type, "authentication_error")

      const openaiOnly = yield* service.createKey({ allowedApis: ["openai"] })
      const api = yield* failure(() =>
        new Anthropic({ baseURL: service.url, apiKey: openaiOnly.secret, maxRetries: 0 }).messages.create(params)
      )
      assert.instanceOf(api, PermissionDeniedError)
      assert.strictEqual(bodyOf(api).error.type, "permission_error")
      const haikuOnly = yield* service.createKey({ allowedModels: ["anthropic.claude-3-haiku-*"] })
      const model = yield* failure(() =>
        new Anthropic({ baseURL: service.url, apiKey: haikuOnly.secret, maxRetries: 0 }).messages.create(params)
      )
      assert.instanceOf(model, PermissionDeniedError)
      assert.include((model as APIError).message, sonnet)
      assert.strictEqual(service.bedrockRequests(), 0)
    }))

  it.scoped("every invalid request is a 400 naming the field, and none reaches Bedrock", () =>
    Effect.gen(function*() {
      const service = yield* startService()
      const key = yield* service.createKey()
      const client = new Anthropic({ baseURL: service.url, apiKey: key.secret, maxRetries: 0 })
      const weather = { name: "get_weather", input_schema: { type: "object" as const, properties: {} } }
      const cases: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
        ["max_tokens: field required", { model: sonnet, messages: hello }],
        ["messages: at least one message is required", { model: sonnet, max_tokens: 10, messages: [] }],
        ["thinking.budget_tokens: must be at least 1024", {
          model: sonnet,
          max_tokens: 3000,
          messages: hello,
          thinking: { type: "enabled", budget_tokens: 500 }
        }],
        ["max_tokens: must be greater than thinking.budget_tokens", {
          model: sonnet,
          max_tokens: 1024,
          messages: hello,
          thinking: { type: "enabled", budget_tokens: 1024 }
        }],
        ["thinking: extended thinking is not available on anthropic.claude-3-haiku-20240307-v1:0", {
          model: "anthropic.claude-3-haiku-20240307-v1:0",
          max_tokens: 3000,
          messages: hello,
          thinking: { type: "enabled", budget_tokens: 1024 }
        }],
        ["messages.0.content.0.source: URL sources are not supported", {
          model: sonnet,
          max_tokens: 10,
          messages: [{
            role: "user",
            content: [{ type: "image", source: { type: "url", url: "http://169.254.169.254/latest/meta-data" } }]
          }]
        }],
        ["messages.0.content.0.source.data: the data is not a image/png image", {
          model: sonnet,
          max_tokens: 10,
          messages: [{
            role: "user",
            content: [{ type: "image", source: { type: "base64", media_type: "image/png", data: "aGVsbG8=" } }]
          }]
        }],
        ["messages.0.content.0.source.data: the data is not valid base64", {
          model: sonnet,
          max_tokens: 10,
          messages: [{
            role: "user",
            content: [{ type: "document", source: { type: "base64", media_type: "application/pdf", data: "%%%" } }]
          }]
        }],
        ["context_management: not supported", {
          model: sonnet,
          max_tokens: 10,
          messages: hello,
          context_management: {}
        }],
        ["frequency_penalty: unknown field", { model: sonnet, max_tokens: 10, messages: hello, frequency_penalty: 1 }],
        ["tool_choice.name: no tool named other", {
          model: sonnet,
          max_tokens: 10,
          messages: hello,
          tools: [weather],
          tool_choice: { type: "tool", name: "other" }
        }],
        ["tool_choice.disable_parallel_tool_use", {
          model: sonnet,
          max_tokens: 10,
          messages: hello,
          tools: [weather],
          tool_choice: { type: "auto", disable_parallel_tool_use: true }
        }],
        ["tools.0.type", {
          model: sonnet,
          max_tokens: 10,
          messages: hello,
          tools: [{ type: "web_search_20250305", name: "web_search" }]
        }],
        ["tool_choice: tool_choice none cannot be honoured", {
          model: sonnet,
          max_tokens: 10,
          tools: [weather],
          tool_choice: { type: "none" },
          messages: [
            { role: "user", content: "Hi" },
            { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "get_weather", input: {} }] },
            { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: "ok" }] }
          ]
        }],
        ["tools: requests that include tool_use or tool_result blocks must define tools", {
          model: sonnet,
          max_tokens: 10,
          messages: [
            { role: "user", content: "Hi" },
            { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "get_weather", input: {} }] },
            { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: "ok" }] }
          ]
        }],
        ["messages: messages[2].content[0]: toolResult t2 answers no toolUse", {
          model: sonnet,
          max_tokens: 10,
          tools: [weather],
          messages: [
            { role: "user", content: "Hi" },
            { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "get_weather", input: {} }] },
            { role: "user", content: [{ type: "tool_result", tool_use_id: "t2", content: "ok" }] }
          ]
        }],
        ["cache_control: a request may have at most 4 blocks with cache_control", {
          model: sonnet,
          max_tokens: 10,
          messages: [{
            role: "user",
            content: [1, 2, 3, 4, 5].map((n) => ({
              type: "text",
              text: `part ${n}`,
              cache_control: { type: "ephemeral" }
            }))
          }]
        }],
        ["cache_control: prompt caching is not available on anthropic.claude-3-haiku-20240307-v1:0", {
          model: "anthropic.claude-3-haiku-20240307-v1:0",
          max_tokens: 10,
          messages: hello,
          system: [{ type: "text", text: "x", cache_control: { type: "ephemeral" } }]
        }],
        ["max_tokens: maxTokens 5000 exceeds the limit", {
          model: "anthropic.claude-3-haiku-20240307-v1:0",
          max_tokens: 5000,
          messages: hello
        }],
        ["temperature: was removed in anthropic-version 2026-10-21", {
          model: sonnet,
          max_tokens: 10,
          messages: hello,
          temperature: 0.5
        }],
        ["messages.0.content: text content blocks must contain non-whitespace text", {
          model: sonnet,
          max_tokens: 10,
          messages: [{ role: "user", content: "   " }]
        }],
        ["messages.1.content.0.type: document blocks belong in user messages", {
          model: sonnet,
          max_tokens: 10,
          messages: [
            { role: "user", content: "Hi" },
            {
              role: "assistant",
              content: [{ type: "document", source: { type: "text", media_type: "text/plain", data: "x" } }]
            }
          ]
        }]
      ]
      for (const [expected, body] of cases) {
        const error = yield* failure(() => client.messages.create(body as never))
        assert.instanceOf(error, BadRequestError, expected)
        const api = error as BadRequestError
        assert.strictEqual(bodyOf(api).error.type, "invalid_request_error")
        assert.include(bodyOf(api).error.message, expected)
      }
      const notFound = yield* failure(() =>
        client.messages.create({ model: "claude-nonexistent-1", max_tokens: 10, messages: hello })
      )
      assert.instanceOf(notFound, NotFoundError)
      assert.strictEqual(bodyOf(notFound).error.type, "not_found_error")
      assert.strictEqual(service.bedrockRequests(), 0)
    }))

  it.scoped("transport-level problems: anthropic-version, malformed JSON, a body too large", () =>
    Effect.gen(function*() {
      const service = yield* startService({ settings: { maxBodyBytes: 2_000 } })
      const key = yield* service.createKey()
      const good = JSON.stringify({ model: sonnet, max_tokens: 10, messages: hello })
      const noVersion = yield* post(service, "/v1/messages", { headers: { "x-api-key": key.secret }, body: good })
      assert.strictEqual(noVersion.status, 400)
      assert.deepStrictEqual(noVersion.body.error, {
        type: "invalid_request_error",
        message: "anthropic-version: header is required"
      })
      const headers = { "x-api-key": key.secret, "anthropic-version": "2023-06-01" }
      const malformed = yield* post(service, "/v1/messages", { headers, body: "{\"model\": " })
      assert.strictEqual(malformed.status, 400)
      assert.deepStrictEqual(malformed.body.error, {
        type: "invalid_request_error",
        message: "The request body is not valid JSON."
      })
      assert.match(malformed.body.request_id, /^req_/)
      const large = yield* post(service, "/v1/messages", {
        headers,
        body: JSON.stringify({
          model: sonnet,
          max_tokens: 10,
          messages: [{ role: "user", content: "x".repeat(5_000) }]
        })
      })
      assert.strictEqual(large.status, 413)
      assert.strictEqual(large.body.error.type, "request_too_large")
      const notAnObject = yield* post(service, "/v1/messages/count_tokens", { headers, body: "[1,2]" })
      assert.strictEqual(notAnObject.status, 400)
      assert.strictEqual(service.bedrockRequests(), 0)
    }))

  it.scoped("limits: RPM is a RateLimitError with retry-after; an exhausted budget says not to retry", () =>
    Effect.gen(function*() {
      const service = yield* startService({ clock: frozenClock(middleOfAMinute) })
      const limited = yield* service.createKey({ rpm: 1 })
      const client = new Anthropic({ baseURL: service.url, apiKey: limited.secret, maxRetries: 0 })
      const params = { model: sonnet, max_tokens: 50, messages: hello }
      yield* Effect.promise(() => client.messages.create(params))
      const second = yield* failure(() => client.messages.create(params))
      assert.instanceOf(second, RateLimitError)
      assert.isAbove(Number((second as RateLimitError).headers.get("retry-after")), 0)
      const poor = yield* service.createKey({ monthlyBudgetMicroUsd: 1 })
      const budget = yield* failure(() =>
        new Anthropic({ baseURL: service.url, apiKey: poor.secret, maxRetries: 3 }).messages.create(params)
      )
      assert.instanceOf(budget, RateLimitError)
      assert.strictEqual((budget as RateLimitError).headers.get("x-should-retry"), "false")
      assert.strictEqual(service.bedrockRequests(), 1)
    }))

  it.scoped("Bedrock's failures: throttling 429, internal 500, unavailable 529, and a mid-stream error event", () =>
    Effect.gen(function*() {
      const service = yield* startService({ settings: noRetries })
      const key = yield* service.createKey()
      const client = new Anthropic({ baseURL: service.url, apiKey: key.secret, maxRetries: 0 })
      const params = {
        model: sonnet,
        max_tokens: 200,
        messages: [{ role: "user" as const, content: "Write 30 words" }]
      }
      service.emulator.faults.enqueue(
        "throttle",
        "internal",
        "unavailable",
        "stream-exception=4:internalServerException"
      )
      const throttled = yield* failure(() => client.messages.create(params))
      assert.instanceOf(throttled, RateLimitError)
      const internal = yield* failure(() => client.messages.create(params))
      assert.instanceOf(internal, InternalServerError)
      assert.strictEqual((internal as InternalServerError).status, 502)
      const unavailable = yield* failure(() => client.messages.create(params))
      assert.instanceOf(unavailable, OverloadedError)
      assert.strictEqual((unavailable as APIError).status, 529)
      assert.strictEqual(bodyOf(unavailable).error.type, "overloaded_error")
      const streamed = client.messages.stream(params)
      const midway = yield* failure(() => streamed.finalMessage())
      assert.instanceOf(midway, APIError)
      assert.strictEqual(bodyOf(midway).type, "error")
      assert.strictEqual(bodyOf(midway).error.type, "api_error")
    }))

  it.scoped("a client that goes away mid-stream aborts the Bedrock request, and the usage is still recorded", () =>
    Effect.gen(function*() {
      const service = yield* startService()
      const key = yield* service.createKey()
      service.emulator.faults.enqueue("stall=4")
      const abort = new AbortController()
      const response = yield* Effect.promise(() =>
        fetch(`${service.url}/v1/messages`, {
          method: "POST",
          signal: abort.signal,
          headers: { "x-api-key": key.secret, "anthropic-version": "2023-06-01", "content-type": "application/json" },
          body: JSON.stringify({
            model: sonnet,
            max_tokens: 500,
            stream: true,
            messages: [{ role: "user", content: "Write 50 words" }]
          })
        })
      )
      const events = yield* Effect.promise(() =>
        readSseUntil(response, abort, (events) => events.some((event) => event.event === "content_block_delta"))
      )
      assert.isTrue(events.some((event) => event.event === "content_block_delta"))
      const line = yield* Effect.promise(() => afterAbort(service, (path) => path === "/v1/messages"))
      assert.strictEqual(service.emulator.stats().streamsAbortedByClient, 1)
      assert.isDefined(line)
      assert.strictEqual(line!.outcome, "cut-off")
      assert.isAbove(line!.inputTokens ?? 0, 0)
      assert.isAbove(line!.costMicroUsd ?? 0, 0)
    }))
})
