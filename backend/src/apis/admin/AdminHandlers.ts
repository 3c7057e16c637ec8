/**
 * The handlers of the admin group and its admin-key middleware. The key bodies are read here rather than by `HttpApi`,
 * so that a bad one gets the admin API's own 400 (`{"error":{"type":"invalid_request","message","field"}}`) naming
 * the field, and an unknown field is refused rather than dropped.
 *
 * @since 0.1.0
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Clock from "effect/Clock"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { Api } from "../../Api.js"
import { Authenticator } from "../../keys/Authentication.js"
import { type KeyPatch, type KeyRecord, KeyStore } from "../../keys/KeyStore.js"
import { Budget, microUsdPerUsd, toMicroUsd } from "../../limits/Budget.js"
import * as RequestBody from "../../RequestBody.js"
import type { StoreError } from "../../StoreError.js"
import { UsageStore } from "../../usage/UsageStore.js"
import {
  AdminAuth,
  AdminInvalid,
  AdminNotFound,
  AdminUnauthorized,
  AdminUnavailable,
  CreatedKeyView,
  KeyUpdate,
  KeyView,
  NewKey
} from "./AdminApi.js"

const toUsd = (microUsd: number) => microUsd / microUsdPerUsd
const date = (epochMillis: number) => DateTime.unsafeMake(epochMillis)

/**
 * A key record as the admin API shows it, at time `now`.
 *
 * @since 0.1.0
 * @category utils
 */
export const view = (record: KeyRecord, now: number) => ({
  id: record.id,
  name: record.name,
  hint: record.hint,
  status: record.revokedAt !== undefined
    ? "revoked" as const
    : record.expiresAt !== undefined && record.expiresAt <= now
    ? "expired" as const
    : "active" as const,
  allowedModels: record.allowedModels,
  allowedApis: record.allowedApis,
  ...(record.rpm === undefined ? {} : { rpm: record.rpm }),
  ...(record.tpm === undefined ? {} : { tpm: record.tpm }),
  ...(record.monthlyBudgetMicroUsd === undefined ? {} : { monthlyBudgetUsd: toUsd(record.monthlyBudgetMicroUsd) }),
  ...(record.guardrail === undefined ? {} : { guardrail: record.guardrail }),
  ...(record.expiresAt === undefined ? {} : { expiresAt: date(record.expiresAt) }),
  createdAt: date(record.createdAt),
  ...(record.revokedAt === undefined ? {} : { revokedAt: date(record.revokedAt) })
})

const unavailable = (error: StoreError) =>
  new AdminUnavailable({ error: { type: "unavailable", message: `The ${error.store} store did not answer.` } })

const notFound = (id: string) =>
  new AdminNotFound({ error: { type: "not_found", message: `No key has the id ${id}.` } })

const found = (id: string) => (record: Option.Option<KeyRecord>) =>
  Option.match(record, { onNone: () => Effect.fail(notFound(id)), onSome: Effect.succeed })

const millis = (value: DateTime.Utc | null | undefined) =>
  value === undefined ? undefined : value === null ? null : DateTime.toEpochMillis(value)

const invalid = (error: RequestBody.BodyError) =>
  new AdminInvalid({
    error: {
      type: "invalid_request",
      message: error.path === "" ? error.message : `${error.path}: ${error.message}`,
      ...(error.path === "" ? {} : { field: error.path })
    }
  })

/** Reads a body with the endpoint's schema (unknown fields refused): a bad one is the admin API's own 400. */
const bodyOf = <A, I>(schema: Schema.Schema<A, I>) => {
  const decode = RequestBody.strictDecoder(schema)
  return Effect.mapError(Effect.flatMap(RequestBody.json, decode), invalid)
}

const decodeNewKey = bodyOf(NewKey)
const decodeKeyUpdate = bodyOf(KeyUpdate)

/** A success as the endpoint's schema encodes it (its dates as ISO strings). */
const encoded = <A, I>(schema: Schema.Schema<A, I>) => {
  const encode = HttpServerResponse.schemaJson(schema)
  return (value: A, options?: HttpServerResponse.Options.WithContent) => Effect.orDie(encode(value, options))
}

const encodeCreated = encoded(CreatedKeyView)
const encodeUpdated = encoded(Schema.Struct({ key: KeyView }))

/**
 * The admin key middleware: the bearer token must be the configured admin key.
 *
 * @since 0.1.0
 * @category layers
 */
export const authLayer: Layer.Layer<AdminAuth, never, Authenticator> = Layer.effect(
  AdminAuth,
  Effect.map(Authenticator, (authenticator) =>
    AdminAuth.of({
      adminKey: (token) =>
        authenticator.isAdmin(Redacted.value(token))
          ? Effect.void
          : Effect.fail(
            new AdminUnauthorized({
              error: { type: "unauthorized", message: "The admin API needs the admin key as a bearer token." }
            })
          )
    }))
)

/**
 * The admin handlers.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = HttpApiBuilder.group(Api, "admin", (handlers) =>
  Effect.gen(function*() {
    const keys = yield* KeyStore
    const usage = yield* UsageStore
    const budget = yield* Budget
    const now = Clock.currentTimeMillis
    return handlers
      .handleRaw("createKey", () =>
        Effect.gen(function*() {
          const payload = yield* decodeNewKey
          const { expiresAt, monthlyBudgetUsd, ...rest } = payload
          const created = yield* keys.create({
            ...rest,
            ...(monthlyBudgetUsd === undefined ? {} : { monthlyBudgetMicroUsd: toMicroUsd(monthlyBudgetUsd) }),
            ...(expiresAt === undefined ? {} : { expiresAt: DateTime.toEpochMillis(expiresAt) })
          })
          return yield* encodeCreated(
            { key: view(created.record, yield* now), secret: Redacted.value(created.secret) },
            { status: 201 }
          )
        }).pipe(Effect.catchTag("StoreError", (error) => Effect.fail(unavailable(error)))))
      .handle("listKeys", () =>
        Effect.gen(function*() {
          const records = yield* keys.list
          const at = yield* now
          return { keys: records.map((record) => view(record, at)) }
        }).pipe(Effect.mapError(unavailable)))
      .handle("getKey", ({ path }) =>
        Effect.gen(function*() {
          const record = yield* Effect.flatMap(Effect.mapError(keys.get(path.id), unavailable), found(path.id))
          const month = yield* Effect.mapError(budget.status(record.id), unavailable)
          return {
            key: view(record, yield* now),
            month: {
              period: month.period,
              spentUsd: toUsd(month.spentMicroUsd),
              committedUsd: toUsd(month.committedMicroUsd)
            }
          }
        }))
      .handleRaw("updateKey", ({ path }) =>
        Effect.gen(function*() {
          const payload = yield* decodeKeyUpdate
          const { expiresAt, monthlyBudgetUsd, ...rest } = payload
          const patch: KeyPatch = {
            ...rest,
            ...(monthlyBudgetUsd === undefined
              ? {}
              : { monthlyBudgetMicroUsd: monthlyBudgetUsd === null ? null : toMicroUsd(monthlyBudgetUsd) }),
            ...(expiresAt === undefined ? {} : { expiresAt: millis(expiresAt)! })
          }
          const record = yield* Effect.flatMap(
            Effect.mapError(keys.update(path.id, patch), unavailable),
            found(path.id)
          )
          return yield* encodeUpdated({ key: view(record, yield* now) })
        }))
      .handle("revokeKey", ({ path }) =>
        Effect.gen(function*() {
          const record = yield* Effect.flatMap(Effect.mapError(keys.revoke(path.id), unavailable), found(path.id))
          return { key: view(record, yield* now) }
        }))
      .handle("usage", ({ urlParams }) =>
        Effect.gen(function*() {
          const rows = yield* Effect.mapError(
            usage.query({ keyId: urlParams.keyId, modelId: urlParams.model, from: urlParams.from, to: urlParams.to }),
            unavailable
          )
          const totals = rows.reduce((sum, row) => ({
            requests: sum.requests + row.requests,
            inputTokens: sum.inputTokens + row.inputTokens,
            outputTokens: sum.outputTokens + row.outputTokens,
            cacheReadTokens: sum.cacheReadTokens + row.cacheReadTokens,
            cacheWriteTokens: sum.cacheWriteTokens + row.cacheWriteTokens,
            costMicroUsd: sum.costMicroUsd + row.costMicroUsd
          }), {
            requests: 0,
            inputTokens: 0,
            outputTokens: 0,
            cacheReadTokens: 0,
            cacheWriteTokens: 0,
            costMicroUsd: 0
          })
          const { costMicroUsd, ...tokens } = totals
          return {
            rows: rows.map((row) => ({ ...row, costUsd: toUsd(row.costMicroUsd) })),
            totals: { ...tokens, costUsd: toUsd(costMicroUsd) }
          }
        }))
  })).pipe(Layer.provide(authLayer))
