/**
 * The admin group: key administration and usage reports under `/admin`, authenticated by the admin key from the
 * configuration (`Authorization: Bearer <admin key>`). Money is in USD here (decimal), stored as integer micro-USD;
 * times are ISO 8601.
 *
 * @since 0.1.0
 */
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiMiddleware from "@effect/platform/HttpApiMiddleware"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as HttpApiSecurity from "@effect/platform/HttpApiSecurity"
import { Config as LibraryConfig } from "bedrock-llm"
import * as Schema from "effect/Schema"
import { ApiName, ModelPattern } from "../../keys/KeyStore.js"
import { UsageRow } from "../../usage/UsageStore.js"

/**
 * The admin API's error body: `{"error":{"type","message"}}` with the status of its type.
 *
 * @since 0.1.0
 * @category errors
 */
export class AdminUnauthorized extends Schema.TaggedError<AdminUnauthorized>()("AdminUnauthorized", {
  error: Schema.Struct({ type: Schema.Literal("unauthorized"), message: Schema.String })
}, HttpApiSchema.annotations({ status: 401 })) {}

/**
 * No key with that id (404).
 *
 * @since 0.1.0
 * @category errors
 */
export class AdminNotFound extends Schema.TaggedError<AdminNotFound>()("AdminNotFound", {
  error: Schema.Struct({ type: Schema.Literal("not_found"), message: Schema.String })
}, HttpApiSchema.annotations({ status: 404 })) {}

/**
 * A value the store cannot take (400).
 *
 * @since 0.1.0
 * @category errors
 */
export class AdminInvalid extends Schema.TaggedError<AdminInvalid>()("AdminInvalid", {
  error: Schema.Struct({
    type: Schema.Literal("invalid_request"),
    message: Schema.String,
    /** The body's field at fault, as a path (`allowedModels.0`), when there is one. */
    field: Schema.optional(Schema.String)
  })
}, HttpApiSchema.annotations({ status: 400 })) {}

/**
 * A store did not answer (503).
 *
 * @since 0.1.0
 * @category errors
 */
export class AdminUnavailable extends Schema.TaggedError<AdminUnavailable>()("AdminUnavailable", {
  error: Schema.Struct({ type: Schema.Literal("unavailable"), message: Schema.String })
}, HttpApiSchema.annotations({ status: 503 })) {}

/**
 * The admin key check; it provides nothing, it only refuses.
 *
 * @since 0.1.0
 * @category middleware
 */
export class AdminAuth extends HttpApiMiddleware.Tag<AdminAuth>()("AdminAuth", {
  failure: AdminUnauthorized,
  security: { adminKey: HttpApiSecurity.bearer }
}) {}

const Usd = Schema.Number.pipe(Schema.nonNegative(), Schema.finite(), Schema.lessThanOrEqualTo(1_000_000_000))
const PositiveInt = Schema.Int.pipe(Schema.positive())
const Iso = Schema.DateTimeUtc

/**
 * Settings of a new key.
 *
 * @since 0.1.0
 * @category models
 */
export const NewKey = Schema.Struct({
  name: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(200)),
  allowedModels: Schema.Array(ModelPattern).pipe(Schema.minItems(1)),
  allowedApis: Schema.Array(ApiName).pipe(Schema.minItems(1)),
  rpm: Schema.optional(PositiveInt),
  tpm: Schema.optional(PositiveInt),
  monthlyBudgetUsd: Schema.optional(Usd),
  guardrail: Schema.optional(LibraryConfig.GuardrailConfig),
  expiresAt: Schema.optional(Iso)
})

/**
 * A change of settings: fields left out stay, `null` removes a limit, the guardrail or the expiry.
 *
 * @since 0.1.0
 * @category models
 */
export const KeyUpdate = Schema.Struct({
  name: Schema.optional(Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(200))),
  allowedModels: Schema.optional(Schema.Array(ModelPattern).pipe(Schema.minItems(1))),
  allowedApis: Schema.optional(Schema.Array(ApiName).pipe(Schema.minItems(1))),
  rpm: Schema.optional(Schema.NullOr(PositiveInt)),
  tpm: Schema.optional(Schema.NullOr(PositiveInt)),
  monthlyBudgetUsd: Schema.optional(Schema.NullOr(Usd)),
  guardrail: Schema.optional(Schema.NullOr(LibraryConfig.GuardrailConfig)),
  expiresAt: Schema.optional(Schema.NullOr(Iso))
})

/**
 * A key as the admin API shows it (never its secret).
 *
 * @since 0.1.0
 * @category models
 */
export const KeyView = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  hint: Schema.String,
  status: Schema.Literal("active", "revoked", "expired"),
  allowedModels: Schema.Array(Schema.String),
  allowedApis: Schema.Array(ApiName),
  rpm: Schema.optional(Schema.Int),
  tpm: Schema.optional(Schema.Int),
  monthlyBudgetUsd: Schema.optional(Schema.Number),
  guardrail: Schema.optional(LibraryConfig.GuardrailConfig),
  expiresAt: Schema.optional(Iso),
  createdAt: Iso,
  revokedAt: Schema.optional(Iso)
})

/**
 * A key's current month (`GET /admin/keys/{id}`).
 *
 * @since 0.1.0
 * @category models
 */
export const MonthView = Schema.Struct({
  period: Schema.String,
  spentUsd: Schema.Number,
  /** Spent plus what calls in flight have reserved. */
  committedUsd: Schema.Number
})

/**
 * A created key: its view and its secret, shown this once.
 *
 * @since 0.1.0
 * @category models
 */
export const CreatedKeyView = Schema.Struct({ key: KeyView, secret: Schema.String })

/**
 * One usage row with its cost in USD.
 *
 * @since 0.1.0
 * @category models
 */
export const UsageView = Schema.Struct({ ...UsageRow.fields, costUsd: Schema.Number })

/**
 * A usage report: its rows and their totals.
 *
 * @since 0.1.0
 * @category models
 */
export const UsageReport = Schema.Struct({
  rows: Schema.Array(UsageView),
  totals: Schema.Struct({
    requests: Schema.Int,
    inputTokens: Schema.Int,
    outputTokens: Schema.Int,
    cacheReadTokens: Schema.Int,
    cacheWriteTokens: Schema.Int,
    costUsd: Schema.Number
  })
})

const Day = Schema.String.pipe(Schema.pattern(/^\d{4}-\d{2}-\d{2}$/), Schema.annotations({ description: "YYYY-MM-DD" }))
const idParam = HttpApiSchema.param("id", Schema.String)

/**
 * The admin group.
 *
 * @since 0.1.0
 * @category groups
 */
export class AdminGroup extends HttpApiGroup.make("admin")
  .add(
    HttpApiEndpoint.post("createKey", "/admin/keys")
      .setPayload(NewKey)
      .addSuccess(CreatedKeyView, { status: 201 })
      .addError(AdminInvalid)
  )
  .add(HttpApiEndpoint.get("listKeys", "/admin/keys").addSuccess(Schema.Struct({ keys: Schema.Array(KeyView) })))
  .add(
    HttpApiEndpoint.get("getKey")`/admin/keys/${idParam}`
      .addSuccess(Schema.Struct({ key: KeyView, month: MonthView }))
      .addError(AdminNotFound)
  )
  .add(
    HttpApiEndpoint.patch("updateKey")`/admin/keys/${idParam}`
      .setPayload(KeyUpdate)
      .addSuccess(Schema.Struct({ key: KeyView }))
      .addError(AdminNotFound)
      .addError(AdminInvalid)
  )
  .add(
    HttpApiEndpoint.post("revokeKey")`/admin/keys/${idParam}/revoke`
      .addSuccess(Schema.Struct({ key: KeyView }))
      .addError(AdminNotFound)
  )
  .add(
    HttpApiEndpoint.get("usage", "/admin/usage")
      .setUrlParams(Schema.Struct({
        keyId: Schema.optional(Schema.String),
        model: Schema.optional(Schema.String),
        from: Schema.optional(Day),
        to: Schema.optional(Day)
      }))
      .addSuccess(UsageReport)
  )
  .addError(AdminUnavailable)
  .middleware(AdminAuth)
{}
