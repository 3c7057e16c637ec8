import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import fc from "fast-check"
import { startService } from "./support/service.js"

const json = fc.jsonValue({ maxDepth: 3 })
const keyish = fc.record({
  name: fc.oneof(fc.string(), json),
  allowedModels: fc.oneof(fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }), json),
  allowedApis: fc.oneof(fc.array(fc.constantFrom("openai", "anthropic", "bedrock", "agents", "smtp")), json),
  rpm: fc.oneof(fc.integer(), fc.double(), fc.constant(null), json),
  monthlyBudgetUsd: fc.oneof(fc.double(), fc.constant(-1), fc.constant(null)),
  expiresAt: fc.oneof(fc.string(), fc.date({ noInvalidDate: true }).map((date) => date.toISOString()))
}, { requiredKeys: [] })

describe("the admin API under arbitrary bodies", () => {
  it.scopedLive(
    "never answers 500 and never reaches Bedrock; what it accepts is a valid key",
    () =>
      Effect.gen(function*() {
        const service = yield* startService()
        const send = async (method: string, path: string, body: string) => {
          const response = await fetch(`${service.url}${path}`, {
            method,
            headers: { authorization: `Bearer ${service.adminKey}`, "content-type": "application/json" },
            body
          })
          return { status: response.status, body: await response.text() }
        }
        const created = yield* Effect.promise(() =>
          send("POST", "/admin/keys", JSON.stringify({ name: "base", allowedModels: ["*"], allowedApis: ["openai"] }))
        )
        const id = JSON.parse(created.body).key.id as string
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(
              fc.oneof(
                keyish.map((body) => JSON.stringify(body)),
                fc.string(),
                json.map((body) => JSON.stringify(body))
              ),
              fc.constantFrom(["POST", "/admin/keys"], ["PATCH", `/admin/keys/${id}`]),
              async (body, [method, path]) => {
                const answer = await send(method!, path!, body)
                assert.oneOf(answer.status, [200, 201, 400], answer.body)
                if (answer.status === 400) assert.strictEqual(JSON.parse(answer.body).error.type, "invalid_request")
                if (answer.status === 201) {
                  const key = JSON.parse(answer.body).key
                  assert.isAbove(key.name.trim().length, 0)
                  assert.isAbove(key.allowedApis.length, 0)
                }
              }
            ),
            { numRuns: 150 }
          )
        )
        assert.strictEqual(service.bedrockRequests(), 0)
        assert.isTrue(service.logs.every((line) => line.status !== 500))
      }),
    { timeout: 60_000 }
  )
})

describe("the admin API's refusals of bad key bodies", () => {
  it.scopedLive("are its own 400 naming the field: wrong values, missing and unknown fields, malformed JSON", () =>
    Effect.gen(function*() {
      const service = yield* startService()
      const send = (method: string, path: string, body: string) =>
        Effect.promise(async () => {
          const response = await fetch(`${service.url}${path}`, {
            method,
            headers: { authorization: `Bearer ${service.adminKey}`, "content-type": "application/json" },
            body
          })
          return { status: response.status, body: await response.json() as any }
        })
      const valid = { name: "team", allowedModels: ["*"], allowedApis: ["openai"] }
      const created = yield* send("POST", "/admin/keys", JSON.stringify(valid))
      assert.strictEqual(created.status, 201)
      const id = created.body.key.id as string
      const refusals: ReadonlyArray<readonly [string, string, unknown, string | undefined, RegExp]> = [
        ["POST", "/admin/keys", { ...valid, allowedModels: [] }, "allowedModels", /allowedModels/],
        ["POST", "/admin/keys", { ...valid, allowedApis: ["openai", "smtp"] }, "allowedApis.1", /allowedApis\.1/],
        ["POST", "/admin/keys", { name: "team", allowedApis: ["openai"] }, "allowedModels", /field required/],
        ["POST", "/admin/keys", { ...valid, budget: 5 }, "budget", /unknown field/],
        ["POST", "/admin/keys", "{not json", undefined, /not valid JSON/],
        ["PATCH", `/admin/keys/${id}`, { rpm: -1 }, "rpm", /^rpm: /],
        ["PATCH", `/admin/keys/${id}`, { expiresAt: "tomorrow" }, "expiresAt", /expiresAt/]
      ]
      for (const [method, path, body, field, message] of refusals) {
        const answer = yield* send(method, path, typeof body === "string" ? body : JSON.stringify(body))
        assert.strictEqual(answer.status, 400, JSON.stringify(answer.body))
        assert.strictEqual(answer.body.error.type, "invalid_request")
        assert.strictEqual(answer.body.error.field, field)
        assert.match(answer.body.error.message, message)
      }
      const updated = yield* send("PATCH", `/admin/keys/${id}`, JSON.stringify({ rpm: 60, expiresAt: null }))
      assert.strictEqual(updated.status, 200)
      assert.strictEqual(updated.body.key.rpm, 60)
    }))
})
