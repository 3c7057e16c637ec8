/**
 * A `BedrockRuntime` that works anywhere: real Amazon Bedrock when AWS credentials and a region are configured, the
 * embedded emulator on a loopback port otherwise. This is how the examples run offline with one command.
 *
 * @since 0.1.0
 */
import type * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as BedrockRuntime from "./BedrockRuntime.js"
import { ClientConfig, StaticCredentials } from "./Config.js"
import type * as Emulator from "./emulator/Emulator.js"

/**
 * Which backend `layer` chose, and why.
 *
 * @since 0.1.0
 * @category models
 */
export type Backend =
  | { readonly _tag: "Bedrock"; readonly region: string; readonly endpoint?: string | undefined }
  | { readonly _tag: "Emulator"; readonly url: string; readonly reason: string }

const credentialVariables = [
  "AWS_ACCESS_KEY_ID",
  "AWS_PROFILE",
  "AWS_BEARER_TOKEN_BEDROCK",
  "AWS_WEB_IDENTITY_TOKEN_FILE",
  "AWS_CONTAINER_CREDENTIALS_FULL_URI",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
] as const

/**
 * Decides the backend from the environment: `BEDROCK_EMULATOR=1` forces the emulator; `BEDROCK_ENDPOINT` or a region
 * (`AWS_REGION` / `AWS_DEFAULT_REGION`) together with a credential source (`AWS_ACCESS_KEY_ID`, `AWS_PROFILE`,
 * `AWS_BEARER_TOKEN_BEDROCK`, web identity or container credentials) selects real Bedrock.
 *
 * @since 0.1.0
 * @category utils
 */
export const useRealBedrock = (env: NodeJS.ProcessEnv = process.env): boolean => {
  if (env["BEDROCK_EMULATOR"] === "1" || env["BEDROCK_EMULATOR"] === "true") return false
  if (env["BEDROCK_ENDPOINT"] !== undefined && env["BEDROCK_ENDPOINT"] !== "") return true
  const region = env["AWS_REGION"] ?? env["AWS_DEFAULT_REGION"]
  return region !== undefined && region !== "" && credentialVariables.some((name) => (env[name] ?? "") !== "")
}

/**
 * Options of `layer`: the emulator's options (pacing, faults, scenario) and the client configuration used for it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly emulator?: Emulator.Options | undefined
  readonly onBackend?: ((backend: Backend) => void) | undefined
}

// The emulator's modules are loaded only when it is started, so that an app on real Bedrock never loads them.
const loadEmulator = Effect.promise(() => import("./emulator/Emulator.js"))

const emulatorRuntime = (options: Options | undefined, reason: string) =>
  Layer.unwrapScoped(
    Effect.map(Effect.flatMap(loadEmulator, (Emulator) => Emulator.make(options?.emulator)), (emulator) => {
      options?.onBackend?.({ _tag: "Emulator", url: emulator.url, reason })
      return BedrockRuntime.layer(
        new ClientConfig({
          region: "us-east-1",
          endpoint: emulator.url,
          credentials: new StaticCredentials({
            accessKeyId: "AKIDLOCALEMULATOR",
            secretAccessKey: Redacted.make("local-emulator-secret")
          })
        })
      )
    })
  )

/**
 * `BedrockRuntime` on real Bedrock (configured from the environment, see `ClientConfig.fromEnv`) when `useRealBedrock`
 * says so; otherwise on an embedded emulator started on an ephemeral loopback port for the layer's lifetime.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options?: Options
): Layer.Layer<BedrockRuntime.BedrockRuntime, ConfigError.ConfigError | Emulator.EmulatorStartError> =>
  useRealBedrock()
    ? Layer.unwrapEffect(Effect.map(ClientConfig.fromEnv, (config) => {
      options?.onBackend?.({ _tag: "Bedrock", region: config.region ?? "(SDK default)", endpoint: config.endpoint })
      return BedrockRuntime.layer(config)
    }))
    : emulatorRuntime(
      options,
      process.env["BEDROCK_EMULATOR"] === undefined
        ? "no AWS region and credentials in the environment"
        : "BEDROCK_EMULATOR is set"
    )
