import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import fc from "fast-check"
import { startService, type TestService } from "../support/service.js"

const sonnet = "anthropic.claude-sonnet-4-20250514-v1:0"

const block = fc.oneof(
  fc.record({ type: fc.constant("text"), text: fc.string({ maxLength: 20 }) }),
  fc.record({
    type: fc.constant("image"),
    source: fc.record({
      type: fc.constantFrom("base64", "url"),
      media_type: fc.constantFrom("image/png", "image/tiff"),
      data: fc.base64String({ maxLength: 16 })
    })
  }),
  fc.record({ type: fc.constant("tool_use"), id: fc.string({ maxLength: 5 }), name: fc.string(), input: fc.object() }),
  fc.record({ type: fc.constant("tool_result"), tool_use_id: fc.string({ maxLength: 5 }), content: fc.string() }),
  fc.record({ type: fc.constant("thinking"), thinking: fc.string(), signature: fc.string() }),
  fc.jsonValue({ maxDepth: 2 })
)

const message = fc.record({
  role: fc.constantFrom("user", "assistant", "system"),
  content: fc.oneof(fc.string({ maxLength: 20 }), fc.array(block, { maxLength: 3 }))
})

/** Bodies near the real shape: each field present or not, well-typed or not. */
const nearValid = fc.record({
  model: fc.oneof(fc.constant(sonnet), fc.constant("claude-sonnet-4-20250514"), fc.string({ maxLength: 10 })),
  max_tokens: fc.oneof(fc.integer({ min: -5, max: 70_000 }), fc.jsonValue({ maxDepth: 1 })),
  messages: fc.oneof(fc.array(message, { maxLength: 4 }), fc.jsonValue({ maxDepth: 2 })),
  system: fc.oneof(fc.string({ maxLength: 10 }), fc.array(block, { maxLength: 2 })),
  stream: fc.boolean(),
  thinking: fc.record({ type: fc.constantFrom("enabled", "disabled", "other"), budget_tokens: fc.integer() }),
  tool_choice: fc.record({ type: fc.constantFrom("auto", "any", "tool", "none", "x"), name: fc.string() }),
  tools: fc.array(
    fc.record({
      name: fc.string({ maxLength: 8 }),
      input_schema: fc.oneof(fc.constant({ type: "object" }), fc.object())
    }),
    { maxLength: 2 }
  ),
  stop_sequences: fc.array(fc.string({ maxLength: 4 }), { maxLength: 2 }),
  top_k: fc.integer({ min: -1, max: 10 }),
  cache_control: fc.record({ type: fc.constantFrom("ephemeral", "persistent") }),
  metadata: fc.record({ user_id: fc.string() }),
  extra_field: fc.jsonValue({ maxDepth: 1 })
}, { requiredKeys: [] })

/** Valid bodies, so that the property also covers answers. */
const valid = fc.record({
  model: fc.constantFrom(sonnet, "claude-sonnet-4-20250514"),
  max_tokens: fc.integer({ min: 1, max: 300 }),
  messages: fc.constant([{ role: "user", content: "Hello" }]),
  stream: fc.boolean(),
  stop_sequences: fc.array(fc.stringMatching(/^[a-z]{1,4}$/), { maxLength: 2 })
}, { requiredKeys: ["model", "max_tokens", "messages"] })

const countable = valid.map(({ max_tokens: _, stop_sequences: __, stream: ___, ...rest }) => rest)

const bodies = (validBodies: fc.Arbitrary<object>) =>
  fc.oneof(
    { arbitrary: validBodies.map((value) => JSON.stringify(value)), weight: 1 },
    { arbitrary: nearValid.map((value) => JSON.stringify(value)), weight: 6 },
    { arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)), weight: 2 },
    { arbitrary: fc.string({ maxLength: 40 }), weight: 1 }
  )

const expectedStatuses = new Set([200, 400, 403, 404, 413, 429])

/** Sends each body; an answer is never a 500, an error has Anthropic's shape, and a refused body reached no model. */
const fuzz = (service: TestService, path: string, secret: string, body: fc.Arbitrary<string>, runs: number) =>
  Effect.promise(async () => {
    let answered = 0
    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        const before = service.bedrockRequests()
        const response = await fetch(`${service.url}${path}`, {
          method: "POST",
          headers: { "x-api-key": secret, "anthropic-version": "2023-06-01", "content-type": "application/json" },
          body: text
        })
        const answer = await response.text()
        assert.isTrue(expectedStatuses.has(response.status), `${response.status} for ${text}: ${answer}`)
        if (response.status === 200) answered++
        if (response.status !== 200) {
          const error = JSON.parse(answer)
          assert.strictEqual(error.type, "error")
          assert.isString(error.error.type)
          assert.isString(error.error.message)
          assert.strictEqual(service.bedrockRequests(), before, `a refused body reached Bedrock: ${text}`)
        }
      }),
      { numRuns: runs, seed: 16 }
    )
    return answered
  })

describe("fast-check request bodies on the Anthropic API", () => {
  it.scoped(
    "POST /v1/messages and /v1/messages/count_tokens: no 500, no crash, nothing invalid sent",
    () =>
      Effect.gen(function*() {
        const service = yield* startService()
        const key = yield* service.createKey()
        assert.isAbove(yield* fuzz(service, "/v1/messages", key.secret, bodies(valid), 200), 0)
        assert.isAbove(yield* fuzz(service, "/v1/messages/count_tokens", key.secret, bodies(countable), 60), 0)
        const live = yield* Effect.promise(() => fetch(`${service.url}/health/live`))
        assert.strictEqual(live.status, 200)
      }),
    { timeout: 120_000 }
  )
})
