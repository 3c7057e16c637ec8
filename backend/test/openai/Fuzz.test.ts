/**
 * Generated request bodies for every OpenAI endpoint, valid and invalid mixed: the service never answers 500 or
 * crashes, and a body it refuses never reaches Bedrock (the emulator's request counter does not move). A refusal
 * that came from Bedrock instead would show a check the gateway lacks.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import fc from "fast-check"
import { startService, type TestService } from "../support/service.js"
import { chatModel, embeddingModel, novaModel, plainModel, pngDataUrl, reasoningModel } from "./support.js"

const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom("", " ", "Hello", "What is the weather in Paris?", "Reply with exactly: ok", "Write 5 words")
)

const json = fc.jsonValue({ maxDepth: 2 })

const part = fc.oneof(
  fc.record({ type: fc.constant("text"), text, cache_control: fc.constantFrom({ type: "ephemeral" }, { type: "x" }) }, {
    requiredKeys: ["type", "text"]
  }),
  fc.record({
    type: fc.constant("image_url"),
    image_url: fc.record({
      url: fc.constantFrom(
        pngDataUrl,
        "https://example.com/cat.png",
        "data:image/png;base64,!!!",
        "data:text/plain;base64,aGVsbG8=",
        "data:image/png,raw"
      ),
      detail: fc.constantFrom("auto", "low", "high", "ultra")
    }, { requiredKeys: ["url"] })
  }),
  fc.record({
    type: fc.constant("file"),
    file: fc.record({
      file_data: fc.constantFrom("data:application/pdf;base64,JVBERi0xLjQK", "data:text/plain;base64,aGk=", "x"),
      file_id: fc.constant("file-1"),
      filename: fc.constantFrom("report.pdf", "a/b?.txt", "")
    }, { requiredKeys: [] })
  }),
  fc.record({ type: fc.constantFrom("input_audio", "refusal", "video"), input_audio: json, refusal: text }, {
    requiredKeys: ["type"]
  }),
  json
)

const toolCall = fc.record({
  id: fc.constantFrom("call_1", "call_2", ""),
  type: fc.constantFrom("function", "custom"),
  function: fc.record({
    name: fc.constantFrom("get_weather", "nope", ""),
    arguments: fc.constantFrom("{}", "{\"location\":\"Paris\"}", "[1]", "{")
  })
})

const message = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ role: fc.constant("user"), content: fc.oneof(text, fc.array(part, { maxLength: 3 })) })
  },
  fc.record({
    role: fc.constantFrom("system", "developer", "user", "assistant", "tool", "function", "wizard"),
    content: fc.oneof(text, fc.array(part, { maxLength: 2 }), fc.constant(null), json),
    tool_calls: fc.array(toolCall, { maxLength: 2 }),
    tool_call_id: fc.constantFrom("call_1", "call_2"),
    name: fc.constant("bob"),
    refusal: fc.constantFrom(null, "no"),
    reasoning_content: fc.constantFrom(null, "thinking"),
    thinking_blocks: fc.constantFrom([{ type: "thinking", thinking: "t", signature: "c2ln" }], [{
      type: "redacted_thinking",
      data: "!!"
    }])
  }, { requiredKeys: ["role"] }),
  json
)

const tool = fc.oneof(
  fc.record({
    type: fc.constant("function"),
    function: fc.record({
      name: fc.constantFrom("get_weather", "get_time", "bad name", ""),
      description: text,
      parameters: fc.constantFrom(
        { type: "object", properties: { location: { type: "string" } }, required: ["location"] },
        { type: "string" },
        {}
      ),
      strict: fc.boolean()
    }, { requiredKeys: ["name"] })
  }),
  fc.record({ type: fc.constant("custom"), custom: json }),
  json
)

const chatBody = fc.record({
  model: fc.constantFrom(chatModel, plainModel, novaModel, reasoningModel, embeddingModel, "gpt-4o", ""),
  messages: fc.oneof({ weight: 5, arbitrary: fc.array(message, { minLength: 1, maxLength: 4 }) }, json),
  max_tokens: fc.oneof(fc.integer({ min: -5, max: 70_000 }), fc.constant("ten")),
  max_completion_tokens: fc.integer({ min: 0, max: 5_000 }),
  temperature: fc.oneof(fc.double({ min: -1, max: 3, noNaN: true }), fc.constant(null)),
  top_p: fc.double({ min: -0.5, max: 1.5, noNaN: true }),
  stop: fc.oneof(text, fc.array(text, { maxLength: 6 })),
  stream: fc.boolean(),
  stream_options: fc.record({ include_usage: fc.boolean(), include_obfuscation: fc.boolean() }, { requiredKeys: [] }),
  tools: fc.array(tool, { maxLength: 3 }),
  tool_choice: fc.oneof(
    fc.constantFrom("none", "auto", "required", "sometimes"),
    fc.record({ type: fc.constant("function"), function: fc.record({ name: fc.constantFrom("get_weather", "nope") }) })
  ),
  response_format: fc.oneof(
    fc.constantFrom({ type: "text" }, { type: "json_object" }, { type: "xml" }),
    fc.record({
      type: fc.constant("json_schema"),
      json_schema: fc.record({
        name: fc.constantFrom("answer", "get_weather", "bad name"),
        schema: fc.constantFrom({ type: "object", properties: { a: { type: "string" } } }, { type: "array" })
      }, { requiredKeys: ["name"] })
    })
  ),
  reasoning_effort: fc.constantFrom("none", "minimal", "low", "medium", "high", "xhigh", "max"),
  n: fc.integer({ min: 0, max: 3 }),
  logprobs: fc.boolean(),
  seed: fc.integer(),
  parallel_tool_calls: fc.boolean(),
  user: fc.constantFrom("user-1", "bad\u0000user", "x".repeat(300)),
  metadata: fc.dictionary(fc.constantFrom("team", "user", "a b"), fc.constantFrom("x", "y\n")),
  service_tier: fc.constantFrom("auto", "default", "flex", "priority", "scale", "gold"),
  banana: json
}, { requiredKeys: [] })

const weatherTool = {
  type: "function",
  function: {
    name: "get_weather",
    parameters: { type: "object", properties: { location: { type: "string" } }, required: ["location"] }
  }
}

/** Bodies that are valid for the model: each must be served (200). */
const validChatBody = fc.record({
  model: fc.constantFrom(chatModel, novaModel),
  system: fc.option(fc.constantFrom("You are terse.", "Answer in French."), { nil: undefined }),
  user: fc.oneof(
    fc.string({ minLength: 1, maxLength: 30 }).filter((value) => value.trim() !== ""),
    fc.constantFrom("What is the weather in Paris?", "Reply with exactly: fine")
  ),
  image: fc.boolean(),
  max_tokens: fc.option(fc.integer({ min: 1, max: 300 }), { nil: undefined }),
  temperature: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
  top_p: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
  stop: fc.option(fc.array(fc.string({ minLength: 1, maxLength: 5 }), { maxLength: 4 }), { nil: undefined }),
  stream: fc.boolean(),
  include_usage: fc.boolean(),
  tools: fc.constantFrom("none", "auto", "required", "named"),
  response_format: fc.constantFrom("text", "json_object", "json_schema", undefined)
}).map((drawn) => ({
  model: drawn.model,
  messages: [
    ...(drawn.system === undefined ? [] : [{ role: "system", content: drawn.system }]),
    {
      role: "user",
      content: drawn.image
        ? [{ type: "text", text: drawn.user }, { type: "image_url", image_url: { url: pngDataUrl } }]
        : drawn.user
    }
  ],
  max_tokens: drawn.max_tokens,
  temperature: drawn.temperature,
  top_p: drawn.top_p,
  stop: drawn.stop,
  stream: drawn.stream,
  ...(drawn.stream ? { stream_options: { include_usage: drawn.include_usage } } : {}),
  ...(drawn.tools === "none" ? {} : {
    tools: [weatherTool],
    tool_choice: drawn.tools === "named" ? { type: "function", function: { name: "get_weather" } } : drawn.tools
  }),
  ...(drawn.response_format === undefined ? {} : {
    response_format: drawn.response_format === "json_schema"
      ? {
        type: "json_schema",
        json_schema: { name: "answer", schema: { type: "object", properties: { text: { type: "string" } } } }
      }
      : { type: drawn.response_format }
  })
}))

const embeddingBody = fc.record({
  model: fc.constantFrom(embeddingModel, "cohere.embed-english-v3", chatModel, "nope"),
  input: fc.oneof(
    text,
    fc.array(text, { maxLength: 4 }),
    fc.array(fc.integer({ min: 0, max: 50_000 }), { maxLength: 3 }),
    fc.array(fc.array(fc.integer(), { maxLength: 2 }), { maxLength: 2 }),
    json
  ),
  dimensions: fc.oneof(fc.constantFrom(256, 512, 1024, 300, 0, -1), fc.constant("256")),
  encoding_format: fc.constantFrom("float", "base64", "hex", null),
  user: fc.constant("someone"),
  extra: json
}, { requiredKeys: [] })

interface Outcome {
  readonly status: number
  readonly reached: number
}

/** Sends one raw body and reads the whole answer; how many requests reached Bedrock meanwhile. */
const send = async (service: TestService, secret: string, path: string, body: string): Promise<Outcome> => {
  const before = service.bedrockRequests()
  const response = await fetch(`${service.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
    body
  })
  const answer = await response.text()
  if (response.status >= 400) {
    const parsed = JSON.parse(answer) as { error?: { message?: unknown; type?: unknown } }
    if (typeof parsed.error?.message !== "string" || typeof parsed.error.type !== "string") {
      throw new Error(`not OpenAI's error shape: ${answer}`)
    }
  }
  return { status: response.status, reached: service.bedrockRequests() - before }
}

const holds = (outcome: Outcome, body: string) => {
  if (outcome.status >= 500) throw new Error(`status ${outcome.status} for ${body}`)
  if (outcome.status !== 200 && outcome.reached > 0) {
    throw new Error(`a refused body (${outcome.status}) reached Bedrock: ${body}`)
  }
}

describe("generated bodies for every OpenAI endpoint", () => {
  it.scopedLive("no 500, no crash, nothing refused reaches Bedrock", () =>
    Effect.gen(function*() {
      const service = yield* startService()
      const { secret } = yield* service.createKey()
      const statuses = new Map<number, number>()
      const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1)
      const bodies = (arbitrary: fc.Arbitrary<unknown>, path: string, numRuns: number) =>
        Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(arbitrary, async (body) => {
              const raw = JSON.stringify(body)
              const outcome = await send(service, secret, path, raw)
              count(outcome.status)
              holds(outcome, raw)
            }),
            { numRuns, seed: 16 }
          )
        )
      yield* bodies(chatBody, "/v1/chat/completions", 200)
      yield* bodies(embeddingBody, "/v1/embeddings", 100)
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(
            fc.oneof(fc.string({ maxLength: 40 }), fc.jsonValue().map((value) => JSON.stringify(value))),
            fc.constantFrom("/v1/chat/completions", "/v1/embeddings"),
            async (raw, path) => {
              const outcome = await send(service, secret, path, raw)
              count(outcome.status)
              holds(outcome, raw)
            }
          ),
          { numRuns: 60, seed: 16 }
        )
      )
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(fc.string({ maxLength: 40 }), async (id) => {
            const response = await fetch(`${service.url}/v1/models/${encodeURIComponent(id)}`, {
              headers: { authorization: `Bearer ${secret}` }
            })
            await response.text()
            count(response.status)
            if (![200, 404].includes(response.status)) throw new Error(`status ${response.status} for model ${id}`)
          }),
          { numRuns: 60, seed: 16 }
        )
      )
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(validChatBody, async (body) => {
            const raw = JSON.stringify(body)
            const outcome = await send(service, secret, "/v1/chat/completions", raw)
            if (outcome.status !== 200 || outcome.reached !== 1) {
              throw new Error(`a valid body was answered ${outcome.status}: ${raw}`)
            }
          }),
          { numRuns: 60, seed: 16 }
        )
      )
      assert.isAbove(statuses.get(400) ?? 0, 200, "most generated bodies are refused")
    }), { timeout: 120_000 })
})
