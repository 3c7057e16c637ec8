import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { run } from "../src/cli.js"
import { startService } from "./support/service.js"

describe("the CLI against a running service", () => {
  it.scopedLive("creates, lists, gets, updates and revokes keys and reports usage; refusals and usage errors are typed", () =>
    Effect.gen(function*() {
      const service = yield* startService()
      const env = { BACKEND_URL: service.url, BACKEND_ADMIN_KEY: service.adminKey }
      const cli = (...argv: ReadonlyArray<string>) => run(argv, env)
      const created = (yield* cli(
        "keys",
        "create",
        "--name",
        "team a",
        "--models",
        "anthropic.*,amazon.nova-*",
        "--apis",
        "openai",
        "--tpm",
        "10000",
        "--budget",
        "12.5",
        "--guardrail",
        "gr-1:3",
        "--expires",
        "2030-01-01T00:00:00Z"
      )) as any
      assert.match(created.secret, /^sk-bllm-[A-Za-z0-9_-]{43}$/)
      assert.deepStrictEqual(created.key.allowedModels, ["anthropic.*", "amazon.nova-*"])
      assert.deepStrictEqual(created.key.guardrail, { identifier: "gr-1", version: "3" })
      assert.strictEqual(created.key.monthlyBudgetUsd, 12.5)
      const id = created.key.id as string
      const listed = (yield* cli("keys", "list")) as any
      assert.deepStrictEqual(listed.keys.map((key: any) => key.id), [id])
      assert.notInclude(JSON.stringify(listed), created.secret)
      const got = (yield* cli("keys", "get", id)) as any
      assert.strictEqual(got.month.spentUsd, 0)
      const updated = (yield* cli("keys", "update", id, "--tpm", "none", "--guardrail", "none", "--rpm", "9")) as any
      assert.deepStrictEqual([updated.key.tpm, updated.key.guardrail, updated.key.rpm], [undefined, undefined, 9])
      const revoked = (yield* cli("keys", "revoke", id)) as any
      assert.strictEqual(revoked.key.status, "revoked")
      const usage = (yield* cli("usage", "--key", id, "--from", "2026-01-01")) as any
      assert.deepStrictEqual(usage.rows, [])
      const missing = yield* Effect.flip(cli("keys", "get", "key_nope"))
      assert.strictEqual(missing._tag, "AdminNotFound")
      const invalid = yield* Effect.flip(cli("keys", "create", "--name", "x", "--models", "*", "--apis", "smtp"))
      assert.strictEqual(invalid._tag, "UsageError")
      assert.include(invalid.message, "allowedApis")
      const notANumber = yield* Effect.flip(cli("keys", "update", id, "--rpm", "many"))
      assert.include(notANumber.message, "rpm")
      const unknownFlag = yield* Effect.flip(cli("keys", "list", "--colour"))
      assert.strictEqual(unknownFlag._tag, "UsageError")
      const wrongKey = yield* Effect.flip(run(["keys", "list"], { ...env, BACKEND_ADMIN_KEY: "sk-bllm-wrong" }))
      assert.strictEqual(wrongKey._tag, "AdminUnauthorized")
      const noKey = yield* Effect.flip(run(["keys", "list"], { BACKEND_URL: service.url }))
      assert.include(noKey.message, "BACKEND_ADMIN_KEY")
      assert.include((yield* run([], env)) as string, "usage:")
    }))
})
