import { assert, describe, it } from "@effect/vitest"
import { Config as LibraryConfig } from "bedrock-llm"
import * as Effect from "effect/Effect"
import OpenAI from "openai"
import { call, frozenClock, middleOfAMinute, startService, type TestService } from "../support/service.js"
import { chatModel, clientOf, embeddingModel, plainModel, rejection } from "./support.js"

const hello = [{ role: "user" as const, content: "Hello!" }]

/** The error's class, status and OpenAI fields, as the client reads them. */
const fieldsOf = (error: unknown) => {
  assert.instanceOf(error, OpenAI.APIError)
  const api = error as InstanceType<typeof OpenAI.APIError>
  return { status: api.status, type: api.type, code: api.code, param: api.param, message: api.message }
}

const bodyRefusal = (service: TestService, token: string, body: unknown) =>
  call(`${service.url}/v1/chat/completions`, { token, body })

describe("the OpenAI API's refusals, through the openai client", () => {
  it.scoped("401 for a missing, malformed, unknown or revoked key, in OpenAI's shape", () =>
    Effect.gen(function*() {
      const service = yield* startService()
      const unknown = `sk-bllm-${"A".repeat(43)}`
      const error = yield* rejection(() =>
        clientOf(service, unknown).chat.completions.create({ model: chatModel, messages: hello })
      )
      assert.instanceOf(error, OpenAI.AuthenticationError)
      assert.deepInclude(fieldsOf(error), {
        status: 401,
        type: "invalid_request_error",
        code: "invalid_api_key",
        param: null
      })
      const revoked = yield* service.createKey()
      yield* Effect.orDie(service.keys.revoke(revoked.record.id))
      const refused = yield* rejection(() => clientOf(service, revoked.secret).models.list())
      assert.instanceOf(refused, OpenAI.AuthenticationError)
      assert.include((refused as Error).message, "revoked")
      const malformed = yield* rejection(() => clientOf(service, "sk-not-a-gateway-key").models.list())
      assert.instanceOf(malformed, OpenAI.AuthenticationError)
      const missing = yield* call(`${service.url}/v1/models`)
      assert.strictEqual(missing.status, 401)
      assert.deepStrictEqual(missing.body, {
        error: {
          message: "No API key was provided.",
          type: "invalid_request_error",
          param: null,
          code: "invalid_api_key"
        }
      })
      assert.notInclude(JSON.stringify(service.logs), unknown, "no secret in the logs")
      assert.strictEqual(service.bedrockRequests(), 0)
    }))

  it.scoped("403 for a model or an API the key may not use, 404 for an unknown model", () =>
    Effect.gen(function*() {
      const service = yield* startService()
      const novaOnly = yield* service.createKey({ allowedModels: ["amazon.nova-*"] })
      const forbidden = yield* rejection(() =>
        clientOf(service, novaOnly.secret).chat.completions.create({ model: chatModel, messages: hello })
      )
      assert.instanceOf(forbidden, OpenAI.PermissionDeniedError)
      assert.deepInclude(fieldsOf(forbidden), { status: 403, code: "model_not_allowed", param: "model" })
      const embeddingsForbidden = yield* rejection(() =>
        clientOf(service, novaOnly.secret).embeddings.create({ model: embeddingModel, input: "hi" })
      )
      assert.instanceOf(embeddingsForbidden, OpenAI.PermissionDeniedError)

      const anthropicOnly = yield* service.createKey({ allowedApis: ["anthropic"] })
      const noApi = yield* rejection(() =>
        clientOf(service, anthropicOnly.secret).chat.completions.create({ model: chatModel, messages: hello })
      )
      assert.instanceOf(noApi, OpenAI.PermissionDeniedError)
      assert.deepInclude(fieldsOf(noApi), { status: 403, code: "api_not_allowed" })
      assert.instanceOf(
        yield* rejection(() => clientOf(service, anthropicOnly.secret).models.list()),
        OpenAI.PermissionDeniedError
      )

      const open = yield* service.createKey()
      const unknown = yield* rejection(() =>
        clientOf(service, open.secret).chat.completions.create({ model: "gpt-4o", messages: hello })
      )
      assert.instanceOf(unknown, OpenAI.NotFoundError)
      assert.deepInclude(fieldsOf(unknown), {
        status: 404,
        type: "invalid_request_error",
        code: "model_not_found",
        param: "model",
        message: "404 The model `gpt-4o` does not exist or you do not have access to it."
      })
      assert.strictEqual(service.bedrockRequests(), 0)
    }))

  it.scoped("400 naming each parameter Bedrock cannot honour; none of them reaches Bedrock", () =>
    Effect.gen(function*() {
      const service = yield* startService()
      const { secret } = yield* service.createKey()
      const client = clientOf(service, secret)
      const refused = (
        body: Partial<OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming> & Record<string, unknown>
      ) =>
        Effect.map(
          rejection(() => client.chat.completions.create({ model: chatModel, messages: hello, ...body } as never)),
          (error) => {
            assert.instanceOf(error, OpenAI.BadRequestError)
            return fieldsOf(error)
          }
        )
      const cases: ReadonlyArray<readonly [Record<string, unknown>, string, string]> = [
        [{ n: 2 }, "n", "unsupported_value"],
        [{ logprobs: true }, "logprobs", "unsupported_parameter"],
        [{ top_logprobs: 3 }, "top_logprobs", "unsupported_parameter"],
        [{ logit_bias: { "50256": -100 } }, "logit_bias", "unsupported_parameter"],
        [{ frequency_penalty: 0.5 }, "frequency_penalty", "unsupported_parameter"],
        [{ seed: 7 }, "seed", "unsupported_parameter"],
        [{ modalities: ["text", "audio"] }, "modalities", "unsupported_value"],
        [{ audio: { voice: "alloy", format: "mp3" } }, "audio", "unsupported_parameter"],
        [{ temperature: 1.5 }, "temperature", "unsupported_value"],
        [{ temperature: 3 }, "temperature", "invalid_value"],
        [{ temperature: "hot" }, "temperature", "invalid_type"],
        [{ parallel_tool_calls: false }, "parallel_tool_calls", "unsupported_value"],
        [{ stream_options: { include_usage: true } }, "stream_options", "invalid_value"],
        [{ max_tokens: 1_000_000 }, "max_tokens", "invalid_value"],
        [{ max_completion_tokens: 0 }, "max_completion_tokens", "invalid_value"],
        [{ stop: ["a", "b", "c", "d", "e"] }, "stop", "invalid_value"],
        [{ banana: true }, "banana", "unknown_parameter"],
        [{ model: plainModel, reasoning_effort: "high" }, "reasoning_effort", "unsupported_parameter"],
        [
          {
            model: plainModel,
            stream: true,
            tools: [{ type: "function", function: { name: "f", parameters: { type: "object" } } }]
          },
          "stream",
          "unsupported_value"
        ],
        [{ messages: [{ role: "user", content: "hi", name: "bob" }] }, "messages[0].name", "unsupported_parameter"],
        [
          {
            messages: [{
              role: "user",
              content: [
                { type: "text", text: "What is this?" },
                { type: "image_url", image_url: { url: "http://169.254.169.254/latest/meta-data/" } }
              ]
            }]
          },
          "messages[0].content[1].image_url.url",
          "unsupported_value"
        ],
        [
          {
            messages: [{
              role: "user",
              content: [{ type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } }]
            }]
          },
          "messages[0].content[0].image_url.url",
          "invalid_value"
        ],
        [
          {
            messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: "", format: "wav" } }] }]
          },
          "messages[0].content[0]",
          "unsupported_parameter"
        ],
        [{ messages: [{ role: "assistant", content: "Hi" }] }, "messages[0]", "invalid_value"],
        [
          {
            messages: [{ role: "user", content: "hi" }, { role: "tool", tool_call_id: "call_1", content: "x" }],
            tools: [{ type: "function", function: { name: "f" } }]
          },
          "messages[1]",
          "invalid_value"
        ],
        [{ messages: [{ role: "wizard", content: "hi" }] }, "messages[0].role", "invalid_type"],
        [{ messages: undefined }, "messages", "missing_required_parameter"],
        [
          {
            tool_choice: "none",
            messages: [
              { role: "user", content: "hi" },
              {
                role: "assistant",
                tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }]
              },
              { role: "tool", tool_call_id: "c1", content: "done" }
            ],
            tools: [{ type: "function", function: { name: "f" } }]
          },
          "tool_choice",
          "unsupported_value"
        ]
      ]
      for (const [body, param, code] of cases) {
        const fields = yield* refused(body)
        assert.deepInclude(fields, { status: 400, param, code }, JSON.stringify(body))
        assert.strictEqual(fields.type, "invalid_request_error")
      }
      const embedding = yield* rejection(() =>
        client.embeddings.create({ model: embeddingModel, input: "hi", dimensions: 300 })
      )
      assert.instanceOf(embedding, OpenAI.BadRequestError)
      assert.deepInclude(fieldsOf(embedding), { param: "dimensions", code: "unsupported_value" })
      const tokens = yield* rejection(() => client.embeddings.create({ model: embeddingModel, input: [[1, 2, 3]] }))
      assert.deepInclude(fieldsOf(tokens), { param: "input", code: "unsupported_value" })
      const chatModelForEmbeddings = yield* rejection(() => client.embeddings.create({ model: chatModel, input: "hi" }))
      assert.deepInclude(fieldsOf(chatModelForEmbeddings), { status: 400, param: "model" })

      const malformed = yield* call(`${service.url}/v1/chat/completions`, {
        token: secret,
        headers: { "content-type": "application/json" },
        body: undefined,
        method: "POST"
      })
      assert.strictEqual(malformed.status, 400)
      const broken = yield* Effect.promise(() =>
        fetch(`${service.url}/v1/chat/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
          body: "{\"model\": \"x\", "
        }).then(async (response) => ({
          status: response.status,
          body: (await response.json()) as { error: { type: string } }
        }))
      )
      assert.strictEqual(broken.status, 400)
      assert.strictEqual(broken.body.error.type, "invalid_request_error")
      const array = yield* bodyRefusal(service, secret, [1, 2])
      assert.strictEqual(array.status, 400)
      assert.strictEqual(service.bedrockRequests(), 0)
    }))

  it.scoped("429 with Retry-After for the key's rate limit, 429 insufficient_quota for its budget", () =>
    Effect.gen(function*() {
      const service = yield* startService({ clock: frozenClock(middleOfAMinute) })
      const limited = yield* service.createKey({ rpm: 1 })
      const client = clientOf(service, limited.secret)
      yield* Effect.promise(() => client.chat.completions.create({ model: chatModel, messages: hello }))
      const throttled = yield* rejection(() => client.chat.completions.create({ model: chatModel, messages: hello }))
      assert.instanceOf(throttled, OpenAI.RateLimitError)
      assert.deepInclude(fieldsOf(throttled), { status: 429, type: "requests", code: "rate_limit_exceeded" })
      const retryAfter = Number((throttled as InstanceType<typeof OpenAI.RateLimitError>).headers?.get("retry-after"))
      assert.isTrue(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`)

      const broke = yield* service.createKey({ monthlyBudgetMicroUsd: 1 })
      const refused = yield* rejection(() =>
        clientOf(service, broke.secret).chat.completions.create({ model: chatModel, messages: hello })
      )
      assert.instanceOf(refused, OpenAI.RateLimitError)
      assert.deepInclude(fieldsOf(refused), { status: 429, type: "insufficient_quota", code: "insufficient_quota" })
      assert.isAbove(Number((refused as InstanceType<typeof OpenAI.RateLimitError>).headers?.get("retry-after")), 0)
      assert.strictEqual(service.bedrockRequests(), 1, "only the first call reached Bedrock")
    }))

  it.scoped("Bedrock's throttling after the gateway's retries is a 429 with Retry-After", () =>
    Effect.gen(function*() {
      const service = yield* startService({ settings: { retry: new LibraryConfig.RetryConfig({ maxAttempts: 1 }) } })
      const { secret } = yield* service.createKey()
      service.emulator.faults.enqueue("throttle")
      const error = yield* rejection(() =>
        clientOf(service, secret).chat.completions.create({ model: chatModel, messages: hello })
      )
      assert.instanceOf(error, OpenAI.RateLimitError)
      assert.deepInclude(fieldsOf(error), { status: 429, code: "rate_limit_exceeded" })
      assert.isAbove(Number((error as InstanceType<typeof OpenAI.RateLimitError>).headers?.get("retry-after")), 0)
    }))

  it.scoped("an error after the first chunk is OpenAI's error event, which the client raises", () =>
    Effect.gen(function*() {
      const service = yield* startService()
      const { secret } = yield* service.createKey()
      service.emulator.faults.enqueue("stream-exception=4")
      const stream = yield* Effect.promise(() =>
        clientOf(service, secret).chat.completions.create({
          model: chatModel,
          messages: [{ role: "user", content: "Write 50 words about snow." }],
          stream: true
        })
      )
      const seen: Array<string> = []
      const error = yield* Effect.promise(async () => {
        try {
          for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? "")
        } catch (error) {
          return error
        }
        return undefined
      })
      assert.isAbove(seen.length, 0)
      assert.instanceOf(error, OpenAI.APIError)
      assert.strictEqual((error as InstanceType<typeof OpenAI.APIError>).type, "server_error")
    }))

  it.scoped("a body above the limit is a 413 in OpenAI's shape", () =>
    Effect.gen(function*() {
      const service = yield* startService({ settings: { maxBodyBytes: 2_000 } })
      const { secret } = yield* service.createKey()
      const error = yield* rejection(() =>
        clientOf(service, secret).chat.completions.create({
          model: chatModel,
          messages: [{ role: "user", content: "x".repeat(5_000) }]
        })
      )
      assert.deepInclude(fieldsOf(error), { status: 413, code: "request_too_large" })
      assert.strictEqual(service.bedrockRequests(), 0)
    }))
})
