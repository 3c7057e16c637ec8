import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import fc from "fast-check"
import { startService, type TestService } from "../support/service.js"

const haiku = "anthropic.claude-3-haiku-20240307-v1:0"

const block = fc.oneof(
  fc.record({ text: fc.string({ maxLength: 12 }) }),
  fc.record({
    image: fc.record({ format: fc.constantFrom("png", "bmp"), source: fc.record({ bytes: fc.base64String() }) })
  }),
  fc.record({ toolUse: fc.record({ toolUseId: fc.string({ maxLength: 4 }), name: fc.string(), input: fc.object() }) }),
  fc.record({
    toolResult: fc.record({
      toolUseId: fc.string({ maxLength: 4 }),
      content: fc.array(fc.record({ text: fc.string() }))
    })
  }),
  fc.record({ reasoningContent: fc.record({ reasoningText: fc.record({ text: fc.string() }) }) }),
  fc.record({ cachePoint: fc.record({ type: fc.constantFrom("default", "other") }) }),
  fc.jsonValue({ maxDepth: 2 })
)

const converse = fc.record({
  messages: fc.oneof(
    fc.array(
      fc.record({ role: fc.constantFrom("user", "assistant", "system"), content: fc.array(block, { maxLength: 3 }) }),
      {
        maxLength: 3
      }
    ),
    fc.jsonValue({ maxDepth: 2 })
  ),
  system: fc.array(fc.oneof(fc.record({ text: fc.string() }), fc.jsonValue({ maxDepth: 1 })), { maxLength: 2 }),
  inferenceConfig: fc.record({
    maxTokens: fc.oneof(fc.integer({ min: -3, max: 10_000 }), fc.string()),
    temperature: fc.double({ min: -1, max: 2, noNaN: true }),
    stopSequences: fc.array(fc.string({ maxLength: 3 }), { maxLength: 2 })
  }, { requiredKeys: [] }),
  toolConfig: fc.record({
    tools: fc.array(
      fc.record({
        toolSpec: fc.record({ name: fc.string({ maxLength: 6 }), inputSchema: fc.record({ json: fc.object() }) })
      }),
      { maxLength: 2 }
    )
  }),
  extra: fc.jsonValue({ maxDepth: 1 })
}, { requiredKeys: [] })

const valid = fc.record({
  messages: fc.constant([{ role: "user", content: [{ text: "Hello" }] }]),
  inferenceConfig: fc.record({ maxTokens: fc.integer({ min: 1, max: 200 }) })
})

const asText = (arbitrary: fc.Arbitrary<unknown>) => arbitrary.map((value) => JSON.stringify(value))

const bodies = {
  converse: fc.oneof(
    { arbitrary: asText(valid), weight: 1 },
    { arbitrary: asText(converse), weight: 6 },
    { arbitrary: asText(fc.jsonValue({ maxDepth: 3 })), weight: 2 },
    { arbitrary: fc.string({ maxLength: 30 }), weight: 1 }
  ),
  invoke: fc.oneof(
    {
      arbitrary: asText(
        fc.record({
          anthropic_version: fc.constant("bedrock-2023-05-31"),
          max_tokens: fc.integer({ min: -2, max: 9000 }),
          messages: fc.constant([{ role: "user", content: "Hi" }])
        }, { requiredKeys: [] })
      ),
      weight: 3
    },
    { arbitrary: asText(fc.jsonValue({ maxDepth: 3 })), weight: 3 },
    { arbitrary: fc.string({ maxLength: 30 }), weight: 1 }
  )
}

/** An answer is never a 500 of the gateway; a body the gateway refused (its own x-amzn-errortype) reached no model. */
const fuzz = (
  service: TestService,
  secret: string,
  operation: "converse" | "converse-stream" | "invoke",
  runs: number
) =>
  Effect.promise(() =>
    fc.assert(
      fc.asyncProperty(operation === "invoke" ? bodies.invoke : bodies.converse, async (text) => {
        const before = service.bedrockRequests()
        const response = await fetch(`${service.url}/bedrock/model/${encodeURIComponent(haiku)}/${operation}`, {
          method: "POST",
          headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
          body: text
        })
        const answer = new Uint8Array(await response.arrayBuffer())
        const reached = service.bedrockRequests() > before
        assert.notStrictEqual(response.status, 500, `500 for ${text}`)
        if (response.status !== 200) {
          assert.isString(response.headers.get("x-amzn-errortype"))
          assert.isString(JSON.parse(new TextDecoder().decode(answer)).message)
          if (!reached) return
          // only Bedrock's own refusal of a native body the gateway cannot know the rules of may get this far
          assert.strictEqual(operation, "invoke", `a refused Converse body reached Bedrock: ${text}`)
        }
      }),
      { numRuns: runs, seed: 16 }
    )
  )

describe("fast-check request bodies on the Bedrock passthrough", () => {
  it.scoped(
    "converse, converse-stream and invoke: no 500, no crash, nothing the gateway refuses reaches Bedrock",
    () =>
      Effect.gen(function*() {
        const service = yield* startService()
        const key = yield* service.createKey()
        yield* fuzz(service, key.secret, "converse", 150)
        yield* fuzz(service, key.secret, "converse-stream", 40)
        yield* fuzz(service, key.secret, "invoke", 80)
        const live = yield* Effect.promise(() => fetch(`${service.url}/health/live`))
        assert.strictEqual(live.status, 200)
      }),
    { timeout: 120_000 }
  )
})
