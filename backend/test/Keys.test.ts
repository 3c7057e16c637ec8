import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import * as ApiKey from "../src/keys/ApiKey.js"
import * as Authentication from "../src/keys/Authentication.js"
import { KeyStore, layerMemory } from "../src/keys/KeyStore.js"
import * as ServiceConfig from "../src/ServiceConfig.js"
import { call, openKey, startService } from "./support/service.js"

const model = "anthropic.claude-3-haiku-20240307-v1:0"

describe("ApiKey", () => {
  it.effect("a key is the readable prefix and 256 random bits in base64url; only its SHA-256 is kept", () =>
    Effect.gen(function*() {
      const secret = Redacted.value(yield* ApiKey.generate)
      assert.match(secret, /^sk-bllm-[A-Za-z0-9_-]{43}$/)
      assert.strictEqual(Buffer.from(secret.slice(ApiKey.prefix.length), "base64url").length, 32)
      assert.isTrue(ApiKey.isWellFormed(secret))
      assert.isFalse(ApiKey.isWellFormed(secret.slice(0, -1)))
      assert.isFalse(ApiKey.isWellFormed(`sk-other-${secret.slice(8)}`))
      assert.match(ApiKey.hash(secret), /^[0-9a-f]{64}$/)
      assert.isTrue(ApiKey.sameHash(ApiKey.hash(secret), ApiKey.hash(secret)))
      assert.isFalse(ApiKey.sameHash(ApiKey.hash(secret), ApiKey.hash("other")))
      assert.isFalse(ApiKey.sameHash(ApiKey.hash(secret), "short"))
      assert.notStrictEqual(secret, Redacted.value(yield* ApiKey.generate))
    }))
})

describe("Authentication", () => {
  const layer = Authentication.layer.pipe(
    Layer.provideMerge(layerMemory),
    Layer.provideMerge(ServiceConfig.ServiceConfig.layer(ServiceConfig.make({ keyCacheTtl: Duration.seconds(10) })))
  )

  it.effect("a revoked key keeps working on an instance that cached it for at most the cache TTL", () =>
    Effect.gen(function*() {
      const store = yield* KeyStore
      const auth = yield* Authentication.Authenticator
      const created = yield* store.create(openKey)
      const record = yield* auth.authenticate(created.secret)
      assert.strictEqual(record.id, created.record.id)
      yield* store.revoke(created.record.id)
      yield* TestClock.adjust("9 seconds")
      assert.strictEqual((yield* auth.authenticate(created.secret)).id, created.record.id)
      yield* TestClock.adjust("1001 millis")
      const refused = yield* Effect.flip(auth.authenticate(created.secret))
      assert.deepStrictEqual(
        refused,
        new Authentication.AuthenticationError({ reason: "revoked", keyId: created.record.id })
      )
    }).pipe(Effect.provide(layer)))

  it.effect("an expired key is refused at once (expiry is checked on every request, not cached)", () =>
    Effect.gen(function*() {
      const store = yield* KeyStore
      const auth = yield* Authentication.Authenticator
      const created = yield* store.create({ ...openKey, expiresAt: 5_000 })
      yield* auth.authenticate(created.secret)
      yield* TestClock.adjust("5 seconds")
      const refused = yield* Effect.flip(auth.authenticate(created.secret))
      assert.strictEqual(refused._tag === "AuthenticationError" && refused.reason, "expired")
    }).pipe(Effect.provide(layer)))

  it.effect("the admin key is compared by hash; a user key is not an admin key", () =>
    Effect.gen(function*() {
      const admin = "sk-bllm-admin-example"
      const auth = yield* Authentication.make.pipe(
        Effect.provide(layerMemory),
        Effect.provideService(
          ServiceConfig.ServiceConfig,
          ServiceConfig.make({ adminKeyHash: Option.some(Redacted.make(ApiKey.hash(admin))) })
        )
      )
      assert.isTrue(auth.isAdmin(admin))
      assert.isTrue(auth.isAdmin(Redacted.make(admin)))
      assert.isFalse(auth.isAdmin(`${admin}x`))
      assert.isFalse(auth.isAdmin(""))
      assert.isFalse(auth.isAdmin(undefined))
    }))
})

describe("keys over HTTP", () => {
  it.scopedLive("missing, malformed, unknown, revoked and expired keys are 401; a model or API the key may not use is 403", () =>
    Effect.gen(function*() {
      const service = yield* startService()
      const body = { model, prompt: "Hello", maxTokens: 20 }
      const url = `${service.url}/probe/generate`
      const reasonOf = (token?: string) =>
        Effect.map(call(url, { body, ...(token === undefined ? {} : { token }) }), (r) => [r.status, r.body.reason])
      assert.deepStrictEqual(yield* reasonOf(), [401, "missing"])
      assert.deepStrictEqual(yield* reasonOf("not-a-key"), [401, "malformed"])
      assert.deepStrictEqual(yield* reasonOf(Redacted.value(yield* ApiKey.generate)), [401, "unknown"])
      const revoked = yield* service.createKey()
      yield* Effect.orDie(service.keys.revoke(revoked.record.id))
      assert.deepStrictEqual(yield* reasonOf(revoked.secret), [401, "revoked"])
      const expired = yield* service.createKey({ expiresAt: Date.now() - 1 })
      assert.deepStrictEqual(yield* reasonOf(expired.secret), [401, "expired"])

      const narrow = yield* service.createKey({ allowedModels: ["amazon.nova-*"], allowedApis: ["anthropic"] })
      const api = yield* call(url, { body: { ...body, api: "anthropic" }, token: narrow.secret })
      assert.strictEqual(api.status, 403)
      assert.strictEqual(api.body.error.type, "Forbidden")
      const wrongApi = yield* call(url, { body: { ...body, model: "amazon.nova-micro-v1:0" }, token: narrow.secret })
      assert.strictEqual(wrongApi.status, 403)
      assert.include(wrongApi.body.error.message, "openai API")
      assert.strictEqual(service.bedrockRequests(), 0)

      const ok = yield* call(url, { body, token: (yield* service.createKey()).secret })
      assert.strictEqual(ok.status, 200)
      assert.isAbove(ok.body.text.length, 0)
      assert.strictEqual(service.bedrockRequests(), 1)
      for (const line of service.logs) {
        const serialized = JSON.stringify(line)
        for (const secret of [revoked.secret, expired.secret, narrow.secret]) assert.notInclude(serialized, secret)
      }
      const refused = service.logs.filter((line) => line.status === 401)
      assert.deepStrictEqual(refused.map((line) => line.error), [
        "AuthenticationError: missing",
        "AuthenticationError: malformed",
        "AuthenticationError: unknown",
        "AuthenticationError: revoked",
        "AuthenticationError: expired"
      ])
      assert.strictEqual(refused[3]!.keyId, revoked.record.id)
    }))
})
