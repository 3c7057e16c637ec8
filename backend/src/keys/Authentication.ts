/**
 * Authentication of gateway keys: the `CurrentKey` every API handler runs with, and the `Authenticator` that turns a
 * presented secret into it (format check, SHA-256 lookup through a short TTL cache, revocation and expiry). Each API
 * group builds its own `HttpApiMiddleware` on `Authenticator.authenticate`, so that its 401 has the API's own shape.
 *
 * @since 0.1.0
 */
import * as Cache from "effect/Cache"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as RequestLog from "../RequestLog.js"
import { ServiceConfig } from "../ServiceConfig.js"
import type { StoreError } from "../StoreError.js"
import * as ApiKey from "./ApiKey.js"
import { type KeyRecord, KeyStore } from "./KeyStore.js"

/**
 * The authenticated key of the current request: its record, never its secret.
 *
 * @since 0.1.0
 * @category services
 */
export class CurrentKey extends Context.Tag("bedrock-llm-backend/CurrentKey")<CurrentKey, KeyRecord>() {}

/**
 * Why a presented key was refused.
 *
 * @since 0.1.0
 * @category models
 */
export const Reason = Schema.Literal("missing", "malformed", "unknown", "revoked", "expired")

/**
 * @since 0.1.0
 * @category models
 */
export type Reason = typeof Reason.Type

const messages: Record<Reason, string> = {
  missing: "No API key was provided.",
  malformed: "The API key is not a gateway key (expected sk-bllm- followed by 43 characters).",
  unknown: "The API key is not known to this gateway.",
  revoked: "The API key has been revoked.",
  expired: "The API key has expired."
}

/**
 * A key was refused (401 in every API). Carries the key's id when it was found, never the secret.
 *
 * @since 0.1.0
 * @category errors
 */
export class AuthenticationError extends Schema.TaggedError<AuthenticationError>()("AuthenticationError", {
  reason: Reason,
  keyId: Schema.optional(Schema.String)
}) {
  override get message(): string {
    return messages[this.reason]
  }
}

/**
 * @since 0.1.0
 */
export declare namespace Authenticator {
  /**
   * The authenticator.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /** The key record of a presented secret (`undefined` or empty: missing). */
    readonly authenticate: (
      secret: Redacted.Redacted<string> | string | undefined
    ) => Effect.Effect<KeyRecord, AuthenticationError | StoreError>
    /** Whether a presented secret is the configured admin key (compared by SHA-256 in constant time). */
    readonly isAdmin: (secret: Redacted.Redacted<string> | string | undefined) => boolean
    /** Forgets every cached lookup (this instance only). */
    readonly invalidateAll: Effect.Effect<void>
  }
}

/**
 * The authenticator service.
 *
 * @since 0.1.0
 * @category services
 */
export class Authenticator
  extends Context.Tag("bedrock-llm-backend/Authenticator")<Authenticator, Authenticator.Service>()
{}

const reveal = (secret: Redacted.Redacted<string> | string | undefined): string =>
  secret === undefined ? "" : typeof secret === "string" ? secret : Redacted.value(secret)

/**
 * Builds the authenticator over the key store. A lookup is trusted for `ServiceConfig.keyCacheTtl` (failures of the
 * store are never cached), which bounds how long a revoked key keeps working on an instance that saw it before.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Authenticator.Service, never, KeyStore | ServiceConfig> = Effect.gen(function*() {
  const store = yield* KeyStore
  const config = yield* ServiceConfig
  const ttl = config.keyCacheTtl
  const cache = yield* Cache.makeWith({
    capacity: 100_000,
    lookup: (hash: string) => store.findByHash(hash),
    timeToLive: (exit) => Exit.isSuccess(exit) ? ttl : Duration.zero
  })
  const adminHash = Option.map(config.adminKeyHash, Redacted.value)

  const authenticate = (presented: Redacted.Redacted<string> | string | undefined) =>
    Effect.gen(function*() {
      const secret = reveal(presented).trim()
      if (secret === "") return yield* new AuthenticationError({ reason: "missing" })
      if (!ApiKey.isWellFormed(secret)) return yield* new AuthenticationError({ reason: "malformed" })
      const found = yield* cache.get(ApiKey.hash(secret))
      if (Option.isNone(found)) return yield* new AuthenticationError({ reason: "unknown" })
      const record = found.value
      if (record.revokedAt !== undefined) {
        return yield* new AuthenticationError({ reason: "revoked", keyId: record.id })
      }
      const now = yield* Clock.currentTimeMillis
      if (record.expiresAt !== undefined && record.expiresAt <= now) {
        return yield* new AuthenticationError({ reason: "expired", keyId: record.id })
      }
      return record
    })

  const isAdmin = (presented: Redacted.Redacted<string> | string | undefined): boolean => {
    const secret = reveal(presented).trim()
    return Option.isSome(adminHash) && secret !== "" && ApiKey.sameHash(ApiKey.hash(secret), adminHash.value)
  }

  return Authenticator.of({ authenticate, isAdmin, invalidateAll: cache.invalidateAll })
})

/**
 * The authenticator as a layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Authenticator, never, KeyStore | ServiceConfig> = Layer.effect(Authenticator, make)

/**
 * `authenticate` with the authenticator in context: what an API group's security middleware calls.
 *
 * @since 0.1.0
 * @category accessors
 */
export const authenticate = (
  secret: Redacted.Redacted<string> | string | undefined
): Effect.Effect<KeyRecord, AuthenticationError | StoreError, Authenticator> =>
  Effect.flatMap(Authenticator, (authenticator) => authenticator.authenticate(secret)).pipe(
    Effect.tap((record) => RequestLog.annotate({ keyId: record.id })),
    Effect.tapError((error) =>
      RequestLog.annotate({
        error: error._tag === "AuthenticationError" ? `AuthenticationError: ${error.reason}` : error._tag,
        ...(error._tag === "AuthenticationError" && error.keyId !== undefined ? { keyId: error.keyId } : {})
      })
    )
  )

/**
 * The security handler of an API group's `HttpApiMiddleware`: authenticates the presented secret and maps a refusal
 * (or a store failure) to the group's own error, e.g.
 * `Layer.effect(OpenAiAuth, Effect.map(Authentication.securityHandler(toOpenAiError), (bearer) => ({ bearer })))`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const securityHandler = <E>(
  mapError: (error: AuthenticationError | StoreError) => E
): Effect.Effect<(secret: Redacted.Redacted<string>) => Effect.Effect<KeyRecord, E>, never, Authenticator> =>
  Effect.map(
    Effect.context<Authenticator>(),
    (context) => (secret) => authenticate(secret).pipe(Effect.mapError(mapError), Effect.provide(context))
  )
