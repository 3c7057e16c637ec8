import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import fc from "fast-check"
import { startService } from "../support/service.js"

const nearValid = fc.record({
  input: fc.oneof(fc.string({ maxLength: 20 }), fc.jsonValue({ maxDepth: 1 })),
  conversation_id: fc.oneof(fc.string({ maxLength: 30 }), fc.constant("conv_000000000000000000000000"), fc.integer()),
  stream: fc.oneof(fc.boolean(), fc.string()),
  extra: fc.jsonValue({ maxDepth: 1 })
}, { requiredKeys: [] })

const body = fc.oneof(
  { arbitrary: fc.constant(JSON.stringify({ input: "Calculate the expression: 1 + 1" })), weight: 1 },
  { arbitrary: nearValid.map((value) => JSON.stringify(value)), weight: 6 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)), weight: 2 },
  { arbitrary: fc.string({ maxLength: 30 }), weight: 1 }
)

describe("fast-check request bodies on the agents API", () => {
  it.scoped(
    "POST /v1/agents/{name}/runs: no 500, no crash, nothing sent to Bedrock for a refused body",
    () =>
      Effect.gen(function*() {
        const service = yield* startService()
        const key = yield* service.createKey()
        let answered = 0
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(body, fc.constantFrom("calculator", "docs", "nobody"), async (text, agent) => {
              const before = service.bedrockRequests()
              const response = await fetch(`${service.url}/v1/agents/${agent}/runs`, {
                method: "POST",
                headers: { authorization: `Bearer ${key.secret}`, "content-type": "application/json" },
                body: text
              })
              const answer = await response.text()
              assert.isBelow(response.status, 500, `${response.status} for ${text}: ${answer}`)
              if (response.status === 200) {
                answered++
                return
              }
              assert.isString(JSON.parse(answer).error.message)
              assert.strictEqual(service.bedrockRequests(), before, `a refused body reached Bedrock: ${text}`)
            }),
            { numRuns: 120, seed: 16 }
          )
        )
        assert.isAbove(answered, 0)
      }),
    { timeout: 120_000 }
  )
})
