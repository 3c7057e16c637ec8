import { assert, describe, it } from "@effect/vitest"
import { Message } from "bedrock-llm"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { Gateway } from "../src/Gateway.js"
import { CurrentKey } from "../src/keys/Authentication.js"
import { startService } from "./support/service.js"

const model = "anthropic.claude-3-haiku-20240307-v1:0"

describe("the service on loopback with the emulator behind it", () => {
  it.scopedLive("answers liveness, readiness and the OpenAPI document over HTTP", () =>
    Effect.gen(function*() {
      const service = yield* startService()
      const live = yield* Effect.promise(() => fetch(`${service.url}/health/live`))
      assert.strictEqual(live.status, 200)
      assert.deepStrictEqual(yield* Effect.promise(() => live.json()), { status: "ok" })
      assert.match(live.headers.get("x-request-id") ?? "", /^req_[0-9a-f]{24}$/)
      const ready = yield* Effect.promise(() => fetch(`${service.url}/health/ready`))
      assert.strictEqual(ready.status, 200)
      const openapi = yield* Effect.promise(() => fetch(`${service.url}/openapi.json`).then((r) => r.json()))
      assert.ok("/health/ready" in (openapi as { paths: Record<string, unknown> }).paths)
      const docs = yield* Effect.promise(() => fetch(`${service.url}/docs`))
      assert.strictEqual(docs.status, 200)
      assert.include(yield* Effect.promise(() => docs.text()), "<html")
      assert.strictEqual(service.logs.filter((line) => line.path === "/health/live" && line.status === 200).length, 1)
      assert.strictEqual(service.bedrockRequests(), 0)
    }))

  it.scopedLive("the gateway calls the emulator on behalf of a key and meters the call", () =>
    Effect.gen(function*() {
      const service = yield* startService()
      const key = yield* service.createKey({ monthlyBudgetMicroUsd: 1_000_000 })
      const gateway = Context.get(service.context, Gateway)
      const generated = yield* gateway.generate({ messages: [Message.user("Hello!")] }, { api: "openai", model })
        .pipe(Effect.provideService(CurrentKey, key.record))
      assert.isAbove(generated.response.usage.outputTokens, 0)
      assert.isAbove(generated.costMicroUsd, 0)
      assert.strictEqual(generated.modelId, model)
      const events = yield* Effect.scoped(
        Effect.flatMap(
          gateway.stream({ messages: [Message.user("Hello again!")] }, { api: "openai", model, maxTokens: 50 }),
          Stream.runCollect
        )
      ).pipe(Effect.provideService(CurrentKey, key.record))
      assert.isTrue([...events].some((event) => event._tag === "Metadata"))
      assert.strictEqual(service.bedrockRequests(), 2)
    }))
})
