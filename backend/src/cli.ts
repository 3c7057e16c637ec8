/**
 * `npx bedrock-llm-backend`: the admin API from a terminal, against a running service.
 *
 * ```
 * bedrock-llm-backend keys create --name NAME --models PATTERN[,...] --apis API[,...] [--rpm N] [--tpm N]
 *                                 [--budget USD] [--guardrail ID:VERSION] [--expires ISO-DATE]
 * bedrock-llm-backend keys list | get ID | revoke ID
 * bedrock-llm-backend keys update ID [the options of create; "none" removes a limit, the guardrail or the expiry]
 * bedrock-llm-backend usage [--key ID] [--model MODEL] [--from YYYY-MM-DD] [--to YYYY-MM-DD]
 * bedrock-llm-backend status [--log-group NAME] [--since MINUTES]
 * ```
 *
 * The service is `--url` or `BACKEND_URL` (default `http://127.0.0.1:8080`), the admin key `--admin-key` or
 * `BACKEND_ADMIN_KEY`. Answers are printed as JSON; exit code 1 for a refusal of the service, 2 for a usage error.
 *
 * @since 0.1.0
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpApiClient from "@effect/platform/HttpApiClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { parseArgs } from "node:util"
import { Api } from "./Api.js"
import { KeyUpdate, NewKey } from "./apis/admin/AdminApi.js"
import * as Status from "./Status.js"

/**
 * A command line that cannot be run: what is wrong with it.
 *
 * @since 0.1.0
 * @category errors
 */
export class UsageError extends Schema.TaggedError<UsageError>()("UsageError", { message: Schema.String }) {}

const help = `usage:
  bedrock-llm-backend keys create --name NAME --models PATTERN[,...] --apis API[,...] [--rpm N] [--tpm N]
                                  [--budget USD] [--guardrail ID:VERSION] [--expires ISO-DATE]
  bedrock-llm-backend keys list | keys get ID | keys revoke ID
  bedrock-llm-backend keys update ID [options of create; "none" removes a limit, the guardrail or the expiry]
  bedrock-llm-backend usage [--key ID] [--model MODEL] [--from YYYY-MM-DD] [--to YYYY-MM-DD]
  bedrock-llm-backend status [--log-group NAME (BACKEND_LOG_GROUP)] [--since MINUTES]
                             health, this month's spend per key, recent errors from the service's log group
options: --url URL (BACKEND_URL), --admin-key KEY (BACKEND_ADMIN_KEY)`

const options = {
  url: { type: "string" },
  "admin-key": { type: "string" },
  name: { type: "string" },
  models: { type: "string" },
  apis: { type: "string" },
  rpm: { type: "string" },
  tpm: { type: "string" },
  budget: { type: "string" },
  guardrail: { type: "string" },
  expires: { type: "string" },
  key: { type: "string" },
  model: { type: "string" },
  from: { type: "string" },
  to: { type: "string" },
  "log-group": { type: "string" },
  since: { type: "string" },
  help: { type: "boolean", short: "h" }
} as const

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>["values"]

const list = (value: string | undefined) => value?.split(",").map((item) => item.trim()).filter((item) => item !== "")

/** The settings fields the flags give (`none` as `null`, for updates). */
const settingsOf = (values: Values) => {
  const nullable = <A>(flag: keyof Values, f: (value: string) => A) => {
    const value = values[flag] as string | undefined
    return value === undefined ? undefined : value === "none" ? null : f(value)
  }
  const fields: Record<string, unknown> = {
    name: values.name,
    allowedModels: list(values.models),
    allowedApis: list(values.apis),
    rpm: nullable("rpm", Number),
    tpm: nullable("tpm", Number),
    monthlyBudgetUsd: nullable("budget", Number),
    guardrail: nullable("guardrail", (value) => {
      const [identifier, version] = value.split(":")
      return { identifier, version: version ?? "DRAFT" }
    }),
    expiresAt: nullable("expires", (value) => value)
  }
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined))
}

const decodeWith = <A, I>(schema: Schema.Schema<A, I>, input: unknown, what: string) =>
  Schema.decodeUnknown(schema)(input, { onExcessProperty: "error" }).pipe(
    Effect.mapError((error) => new UsageError({ message: `invalid ${what}: ${error.message}` }))
  )

/**
 * Runs one command line (without `node` and the script) and gives what to print.
 *
 * @since 0.1.0
 * @category constructors
 */
export const run = (argv: ReadonlyArray<string>, env: NodeJS.ProcessEnv = process.env) =>
  Effect.gen(function*() {
    const parsed = yield* Effect.try({
      try: () => parseArgs({ args: [...argv], options, allowPositionals: true, strict: true }),
      catch: (error) => new UsageError({ message: error instanceof Error ? error.message : String(error) })
    })
    const { positionals, values } = parsed
    if (values.help === true || positionals.length === 0) return help
    const url = values.url ?? env["BACKEND_URL"] ?? "http://127.0.0.1:8080"
    const adminKey = values["admin-key"] ?? env["BACKEND_ADMIN_KEY"]
    if (adminKey === undefined || adminKey === "") {
      return yield* new UsageError({ message: "the admin key is missing: --admin-key or BACKEND_ADMIN_KEY" })
    }
    const client = yield* HttpApiClient.make(Api, {
      baseUrl: url,
      transformClient: HttpClient.mapRequest(HttpClientRequest.bearerToken(adminKey))
    })
    const [group, command, id] = positionals
    const needId = () =>
      id === undefined ? Effect.fail(new UsageError({ message: `keys ${command} needs a key id` })) : Effect.succeed(id)
    if (group === "status") {
      const since = Number(values.since ?? "60")
      if (!Number.isFinite(since) || since <= 0) {
        return yield* new UsageError({ message: `--since must be a positive number of minutes, got ${values.since}` })
      }
      return yield* Status.report(client, {
        url,
        logGroup: values["log-group"] ?? env["BACKEND_LOG_GROUP"],
        since: Duration.minutes(since)
      })
    }
    if (group === "usage") {
      return yield* client.admin.usage({
        urlParams: {
          ...(values.key === undefined ? {} : { keyId: values.key }),
          ...(values.model === undefined ? {} : { model: values.model }),
          ...(values.from === undefined ? {} : { from: values.from }),
          ...(values.to === undefined ? {} : { to: values.to })
        }
      })
    }
    if (group !== "keys") return yield* new UsageError({ message: `unknown command ${group}\n${help}` })
    switch (command) {
      case "create":
        return yield* client.admin.createKey({ payload: yield* decodeWith(NewKey, settingsOf(values), "key settings") })
      case "list":
        return yield* client.admin.listKeys()
      case "get":
        return yield* client.admin.getKey({ path: { id: yield* needId() } })
      case "update":
        return yield* client.admin.updateKey({
          path: { id: yield* needId() },
          payload: yield* decodeWith(KeyUpdate, settingsOf(values), "key settings")
        })
      case "revoke":
        return yield* client.admin.revokeKey({ path: { id: yield* needId() } })
      default:
        return yield* new UsageError({ message: `unknown command keys ${command ?? ""}\n${help}` })
    }
  }).pipe(Effect.provide(FetchHttpClient.layer))

const encodeDates = (_key: string, value: unknown) => DateTime.isDateTime(value) ? DateTime.formatIso(value) : value

/**
 * The process: prints the answer (JSON) or the error, and sets the exit code.
 *
 * @since 0.1.0
 * @category constructors
 */
export const main = (argv: ReadonlyArray<string>) =>
  run(argv).pipe(
    Effect.match({
      onSuccess: (answer) => {
        console.log(typeof answer === "string" ? answer : JSON.stringify(answer, encodeDates, 2))
      },
      onFailure: (error) => {
        const body = "error" in error
          ? (error as { readonly error: unknown }).error
          : { type: error._tag, message: error.message }
        console.error(JSON.stringify(body, encodeDates, 2))
        process.exitCode = error._tag === "UsageError" ? 2 : 1
      }
    })
  )
