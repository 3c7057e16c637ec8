/**
 * What a Bedrock Runtime client will talk to, found the way the AWS SDK finds it: the region from the client
 * configuration (`AWS_REGION`, `AWS_DEFAULT_REGION`), else from the SDK's own loaders (the environment, the profile in
 * the shared config and credentials files, honouring `AWS_PROFILE`, `AWS_CONFIG_FILE` and
 * `AWS_SHARED_CREDENTIALS_FILE`, then the EC2 instance metadata service); whether a named profile exists; whether the
 * SDK's default credential chain finds credentials. Every problem is a `ConfigError` that names the variable and says
 * what to set.
 *
 * @internal
 */
import type * as Sdk from "@aws-sdk/client-bedrock-runtime"
import {
  getHomeDir,
  loadConfig,
  loadSharedConfigFiles,
  NODE_REGION_CONFIG_FILE_OPTIONS,
  NODE_REGION_CONFIG_OPTIONS
} from "@smithy/core/config"
import * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Path from "node:path"
import { type ClientConfig, Region } from "../../BedrockConfig.js"
import { redact } from "../redact.js"

/** A region and where it was found (a variable, a profile in a file, the instance metadata service). */
export interface RegionFound {
  readonly region: string
  readonly source: string
}

const isRegion = Schema.is(Region)

const configFilePath = (): string => process.env["AWS_CONFIG_FILE"] || Path.join(getHomeDir(), ".aws", "config")

const credentialsFilePath = (): string =>
  process.env["AWS_SHARED_CREDENTIALS_FILE"] || Path.join(getHomeDir(), ".aws", "credentials")

/** `AWS_REGION` when the value came from it, else `AWS_DEFAULT_REGION`, else the configuration object. */
const sourceOf = (value: string, variables: ReadonlyArray<string>, field: string): string =>
  variables.find((name) => process.env[name]?.trim() === value) ?? field

/** The profile the SDK will read, and how it was named (`undefined` when none was: the SDK reads `default`). */
export const namedProfile = (config: ClientConfig): { readonly name: string; readonly source: string } | undefined => {
  if (config.profile !== undefined) {
    return { name: config.profile, source: sourceOf(config.profile, ["AWS_PROFILE"], "ClientConfig.profile") }
  }
  const fromEnv = process.env["AWS_PROFILE"]
  return fromEnv === undefined || fromEnv === "" ? undefined : { name: fromEnv, source: "AWS_PROFILE" }
}

const unreadable = (cause: unknown): string => redact(cause instanceof Error ? cause.message : String(cause))

/** Fails when a profile was named that neither shared file has. */
const checkProfile = (config: ClientConfig): Effect.Effect<void, ConfigError.ConfigError> => {
  const profile = namedProfile(config)
  if (profile === undefined) return Effect.void
  return Effect.flatMap(
    Effect.promise(() => loadSharedConfigFiles({ ignoreCache: true })),
    ({ configFile, credentialsFile }) =>
      profile.name in configFile || profile.name in credentialsFile
        ? Effect.void
        : Effect.fail(ConfigError.InvalidData(
          [profile.source],
          `${profile.source}: the profile "${profile.name}" is in neither ${configFilePath()} nor ` +
            `${credentialsFilePath()} (set AWS_CONFIG_FILE or AWS_SHARED_CREDENTIALS_FILE if they live elsewhere)`
        ))
  )
}

/** The region the SDK would find in the shared files for the profile, with the file it is in. */
const regionInFiles = (config: ClientConfig): Effect.Effect<RegionFound | undefined> => {
  const profile = namedProfile(config)
  const load = loadConfig(
    {
      environmentVariableSelector: () => undefined,
      configFileSelector: NODE_REGION_CONFIG_OPTIONS.configFileSelector,
      default: () => undefined
    },
    {
      ...NODE_REGION_CONFIG_FILE_OPTIONS,
      ignoreCache: true,
      ...(profile === undefined ? {} : { profile: profile.name })
    }
  )
  return Effect.promise(async () => {
    const region = await load().catch(() => undefined)
    if (region === undefined || region === "") return undefined
    const { credentialsFile } = await loadSharedConfigFiles({ ignoreCache: true })
    const name = profile?.name ?? "default"
    const file = credentialsFile[name]?.["region"] === region ? credentialsFilePath() : configFilePath()
    return { region, source: `the region of profile "${name}" in ${file}` }
  })
}

/** The region of the EC2 instance metadata service, the SDK's last resort (it honours `AWS_EC2_METADATA_DISABLED`). */
const regionFromInstanceMetadata: Effect.Effect<RegionFound | undefined> = Effect.promise(async () => {
  const fallback = NODE_REGION_CONFIG_OPTIONS.default
  const region = await Promise.resolve(typeof fallback === "function" ? fallback() : fallback).catch(() => undefined)
  return region === undefined || region === "" ? undefined : { region, source: "the EC2 instance metadata service" }
})

const checkedRegion = (found: RegionFound): Effect.Effect<RegionFound, ConfigError.ConfigError> =>
  isRegion(found.region) ? Effect.succeed(found) : Effect.fail(ConfigError.InvalidData(
    ["AWS_REGION"],
    `the region ${JSON.stringify(found.region)} (from ${found.source}) is not an AWS region name such as us-east-1`
  ))

/**
 * The region calls will be signed for, where the SDK would find it, or `None` when it finds none. A profile that was
 * named must exist, and a region read from a file or the metadata service must look like a region.
 */
export const resolveRegion = (
  config: ClientConfig
): Effect.Effect<Option.Option<RegionFound>, ConfigError.ConfigError> =>
  Effect.gen(function*() {
    yield* checkProfile(config)
    if (config.region !== undefined) {
      return Option.some({
        region: config.region,
        source: sourceOf(config.region, ["AWS_REGION", "AWS_DEFAULT_REGION"], "ClientConfig.region")
      })
    }
    const fromEnv = NODE_REGION_CONFIG_OPTIONS.environmentVariableSelector(process.env, {})
    const found = fromEnv !== undefined && fromEnv !== ""
      ? { region: fromEnv, source: "AWS_REGION" }
      : (yield* regionInFiles(config)) ?? (yield* regionFromInstanceMetadata)
    return found === undefined ? Option.none() : Option.some(yield* checkedRegion(found))
  })

/** Where the SDK looks for a region, for messages that say what to set. */
export const whereRegionsAre = (config: ClientConfig): string => {
  const profile = namedProfile(config)?.name ?? "default"
  return `AWS_REGION, AWS_DEFAULT_REGION, the region of profile "${profile}" in ${configFilePath()} or ` +
    "the EC2 instance metadata service"
}

/** A `ConfigError` for a configuration that needs a region and has none. */
export const missingRegion = (config: ClientConfig, why: string): ConfigError.ConfigError =>
  ConfigError.MissingData(
    ["AWS_REGION"],
    `${why}, but no AWS region is configured (looked in ${whereRegionsAre(config)}): set AWS_REGION, ` +
      "or a region in the profile"
  )

const SET_CREDENTIALS = "set AWS_PROFILE to a profile with credentials (or sign in to its SSO session), " +
  "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_BEARER_TOKEN_BEDROCK (a Bedrock API key); " +
  "or BEDROCK_EMULATOR=1 for the local emulator"

/**
 * Fails unless the SDK client can authenticate: a Bedrock API key when the SDK prefers bearer auth (it does when
 * `AWS_BEARER_TOKEN_BEDROCK` is set), otherwise credentials from its default chain, resolved once here (the SDK keeps
 * them and refreshes them itself).
 */
export const verifyCredentials = (
  sdk: Sdk.BedrockRuntimeClient,
  region: string
): Effect.Effect<void, ConfigError.ConfigError> =>
  Effect.tryPromise({
    try: async () => {
      const preference = await sdk.config.authSchemePreference()
      if (preference[0] === "httpBearerAuth") return
      await sdk.config.credentials()
    },
    catch: (cause) =>
      ConfigError.MissingData(
        ["credentials"],
        `no AWS credentials for Amazon Bedrock in ${region}: the SDK's default chain (environment, SSO, shared ` +
          `files, web identity, container and instance metadata) found none (${unreadable(cause)}): ${SET_CREDENTIALS}`
      )
  })

/** An endpoint URL for a log line: without user info, query or fragment. */
export const displayEndpoint = (endpoint: string): string => {
  try {
    const url = new URL(endpoint)
    return `${url.protocol}//${url.host}${url.pathname === "/" ? "" : url.pathname}`
  } catch {
    return "(invalid endpoint)"
  }
}

/** How a log line names real Bedrock. */
export const describeBedrock = (region: RegionFound | undefined, endpoint: string | undefined): string =>
  `Amazon Bedrock in ${region?.region ?? "(no region)"}${
    endpoint === undefined ? "" : ` at ${displayEndpoint(endpoint)}`
  }${region === undefined ? "" : ` (region from ${region.source})`}`
