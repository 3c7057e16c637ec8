/**
 * The admin key kept in AWS Secrets Manager: when `BACKEND_ADMIN_KEY_SECRET_ARN` names a secret, the service reads it
 * once at start and keeps only its SHA-256 (`Settings.adminKeyHash`), so the key is never a plain environment value
 * of the function or the task. On ECS the task definition can instead inject the secret as `BACKEND_ADMIN_KEY`; both
 * read the same secret.
 *
 * @since 0.1.0
 */
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as ApiKey from "../keys/ApiKey.js"
import type { Settings } from "../ServiceConfig.js"

/**
 * The variable that names the admin key's secret (an ARN or a name).
 *
 * @since 0.1.0
 * @category constants
 */
export const variable = "BACKEND_ADMIN_KEY_SECRET_ARN"

/**
 * The secret could not be read, or holds no string. The message names the secret, never its value.
 *
 * @since 0.1.0
 * @category errors
 */
export class AdminKeySecretError extends Data.TaggedError("AdminKeySecretError")<{
  readonly secretId: string
  readonly message: string
}> {}

/**
 * The settings with the admin key's hash from the secret named in the environment (unchanged when none is named).
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolve = (
  settings: Settings,
  env: NodeJS.ProcessEnv = process.env
): Effect.Effect<Settings, AdminKeySecretError> => {
  const secretId = env[variable]
  if (secretId === undefined || secretId === "") return Effect.succeed(settings)
  return Effect.acquireUseRelease(
    Effect.sync(() => new SecretsManagerClient({ maxAttempts: 3 })),
    (client) =>
      Effect.tryPromise({
        try: (abortSignal) => client.send(new GetSecretValueCommand({ SecretId: secretId }), { abortSignal }),
        catch: (cause) =>
          new AdminKeySecretError({
            secretId,
            message: `Could not read the admin key secret ${secretId}: ${
              cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)
            }`
          })
      }),
    (client) => Effect.sync(() => client.destroy())
  ).pipe(
    Effect.flatMap((output) =>
      output.SecretString === undefined || output.SecretString === ""
        ? Effect.fail(
          new AdminKeySecretError({ secretId, message: `The admin key secret ${secretId} holds no SecretString.` })
        )
        : Effect.succeed({
          ...settings,
          adminKeyHash: Option.some(Redacted.make(ApiKey.hash(output.SecretString.trim())))
        })
    )
  )
}
