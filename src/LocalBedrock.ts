/**
 * A `BedrockRuntime` that works anywhere: real Amazon Bedrock wherever the AWS SDK finds a region, the embedded
 * emulator on a loopback port when it finds none or when asked. This is how the examples run offline with one command,
 * and why a program that was meant for Bedrock never gets emulated answers by accident:
 *
 * - `BEDROCK_EMULATOR=1` (or `true`): the emulator, always.
 * - `BEDROCK_EMULATOR=0` (or `false`): never the emulator; without a region the layer fails.
 * - unset: the emulator only when no region is configured anywhere the SDK looks (`AWS_REGION`, `AWS_DEFAULT_REGION`,
 *   the profile's region in the shared config or credentials file, honouring `AWS_PROFILE`, `AWS_CONFIG_FILE` and
 *   `AWS_SHARED_CREDENTIALS_FILE`, then the EC2 instance metadata service) and nothing else asks for real Bedrock (an
 *   endpoint, a named profile). Otherwise real Bedrock with the SDK's default credential chain: an instance or task
 *   role, SSO, a profile in `~/.aws`, environment variables, a Bedrock API key. As in the SDK, the metadata service is
 *   asked only when nothing else has a region (off EC2 the SDK gives up on it after 1 s;
 *   `AWS_EC2_METADATA_DISABLED=true` or `BEDROCK_EMULATOR=1` skip it).
 *
 * Configuration problems fail the layer with a `ConfigError` that names the variable and says what to set: any other
 * value of `BEDROCK_EMULATOR`, an endpoint without a region, an unknown profile, a region that is not a region name,
 * no credentials. Every client variable (`BEDROCK_REQUEST_TIMEOUT_MS`, `BEDROCK_HTTP_PROTOCOL` ...) is read and
 * checked on the emulator too. The backend in use is logged once at Info.
 *
 * @example
 * ```ts
 * import { BedrockClient, LocalBedrock } from "bedrock-llm"
 * import { Effect, Layer } from "effect"
 *
 * // Real Bedrock where AWS_REGION (or a profile's region) is set, the embedded emulator otherwise.
 * const ClientLive = BedrockClient.layer({ model: { modelId: "amazon.nova-micro-v1:0" } }).pipe(
 *   Layer.provide(LocalBedrock.layer())
 * )
 * const program = Effect.flatMap(BedrockClient.BedrockClient, (client) => client.generate("Hello!"))
 * Effect.runPromise(program.pipe(Effect.provide(ClientLive)))
 * ```
 *
 * @since 0.1.0
 */
import * as EffectConfig from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { ClientConfig, type EmulatorMode, emulatorModeFromEnv, StaticCredentials } from "./BedrockConfig.js"
import * as BedrockRuntime from "./BedrockRuntime.js"
import type * as Emulator from "./emulator/Emulator.js"
import * as Resolution from "./internal/transport/backend.js"

/**
 * Which backend `layer` chose, and why.
 *
 * @since 0.1.0
 * @category models
 */
export type Backend =
  | {
    readonly _tag: "Bedrock"
    readonly region: string
    /** Where the region was found (`AWS_REGION`, a profile in a shared file, the instance metadata service ...). */
    readonly regionSource: string
    readonly endpoint?: string | undefined
  }
  | {
    readonly _tag: "Emulator"
    readonly url: string
    readonly reason: string
    /** The emulator's S3-compatible server, when its batch side was asked for (`emulator: { batch }`). */
    readonly s3Url?: string | undefined
  }

/**
 * What `choose` decided: real Bedrock in a region, or the emulator and why.
 *
 * @since 0.1.0
 * @category models
 */
export type Choice =
  | { readonly _tag: "Bedrock"; readonly region: string; readonly regionSource: string }
  | { readonly _tag: "Emulator"; readonly reason: string }

/**
 * Options of `layer`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The emulator's options (pacing, faults, scenario), when it is used. */
  readonly emulator?: Emulator.Options | undefined
  /** Called once the runtime is built, with the backend it uses. */
  readonly onBackend?: ((backend: Backend) => void) | undefined
  /**
   * The client configuration; default `ClientConfig.fromEnv`. On the emulator its endpoint, region, profile and
   * credentials are the emulator's; its timeouts and connection settings apply.
   */
  readonly config?: EffectConfig.Config<ClientConfig> | undefined
  /** Options of the runtime on real Bedrock (a credentials provider, SDK options). */
  readonly runtime?: BedrockRuntime.BedrockRuntime.Options | undefined
}

/**
 * Decides the backend for a client configuration and a `BEDROCK_EMULATOR` mode (see the module's rules), without
 * starting anything. The region is looked up as the AWS SDK would; a configuration that asks for real Bedrock but
 * cannot work fails with a `ConfigError` saying what to set.
 *
 * @since 0.1.0
 * @category utils
 */
export const choose = (config: ClientConfig, mode: EmulatorMode): Effect.Effect<Choice, ConfigError.ConfigError> =>
  Effect.gen(function*() {
    if (mode === "always") {
      const unused = config.endpoint === undefined ? "" : "; the configured endpoint is not used"
      return { _tag: "Emulator", reason: `BEDROCK_EMULATOR asks for it${unused}` } as const
    }
    const found = yield* Resolution.resolveRegion(config)
    if (Option.isSome(found)) {
      return { _tag: "Bedrock", region: found.value.region, regionSource: found.value.source } as const
    }
    if (config.endpoint !== undefined) {
      const endpoint = Resolution.displayEndpoint(config.endpoint)
      return yield* Effect.fail(Resolution.missingRegion(config, `the endpoint ${endpoint} is configured`))
    }
    if (mode === "never") {
      return yield* Effect.fail(Resolution.missingRegion(config, "BEDROCK_EMULATOR=0 asks for Amazon Bedrock"))
    }
    const profile = Resolution.namedProfile(config)
    if (profile !== undefined) {
      return yield* Effect.fail(
        Resolution.missingRegion(config, `${profile.source} names the profile "${profile.name}"`)
      )
    }
    return {
      _tag: "Emulator",
      reason: `no AWS region is configured (looked in ${Resolution.whereRegionsAre(config)}); ` +
        "set AWS_REGION to use Amazon Bedrock, or BEDROCK_EMULATOR=1 to say the emulator is meant"
    } as const
  })

// The emulator's modules are loaded only when it is started, so that an app on real Bedrock never loads them.
const loadEmulator = Effect.promise(() => import("./emulator/Emulator.js"))

const emulatorCredentials = new StaticCredentials({
  accessKeyId: "AKIDLOCALEMULATOR",
  secretAccessKey: Redacted.make("local-emulator-secret")
})

const emulatorRuntime = (config: ClientConfig, reason: string, options: Options | undefined) =>
  Layer.unwrapScoped(
    Effect.map(Effect.flatMap(loadEmulator, (Emulator) => Emulator.make(options?.emulator)), (emulator) =>
      BedrockRuntime.layer(
        new ClientConfig({
          ...config,
          region: "us-east-1",
          endpoint: emulator.url,
          profile: undefined,
          credentials: emulatorCredentials
        }),
        { backendName: `the embedded Bedrock emulator at ${emulator.url} (${reason})` }
      ).pipe(Layer.tap(() =>
        Effect.sync(() =>
          options?.onBackend?.({ _tag: "Emulator", url: emulator.url, reason, s3Url: emulator.batch?.s3Url })
        )
      )))
  )

const bedrockRuntime = (config: ClientConfig, region: Resolution.RegionFound, options: Options | undefined) =>
  BedrockRuntime.layerConfig(
    EffectConfig.succeed(new ClientConfig({ ...config, region: region.region })),
    { ...options?.runtime, backendName: Resolution.describeBedrock(region, config.endpoint) }
  ).pipe(Layer.tap(() =>
    Effect.sync(() =>
      options?.onBackend?.({
        _tag: "Bedrock",
        region: region.region,
        regionSource: region.source,
        endpoint: config.endpoint
      })
    )
  ))

/**
 * `BedrockRuntime` on real Bedrock or on an embedded emulator started on an ephemeral loopback port for the layer's
 * lifetime, as `choose` decides from the client configuration (default: the environment, `ClientConfig.fromEnv`) and
 * `BEDROCK_EMULATOR`. On real Bedrock the runtime is `BedrockRuntime.layerConfig`'s, checked before it is built.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options?: Options
): Layer.Layer<BedrockRuntime.BedrockRuntime, ConfigError.ConfigError | Emulator.EmulatorStartError> =>
  Layer.unwrapEffect(Effect.gen(function*() {
    const config = yield* options?.config ?? ClientConfig.fromEnv
    const mode = yield* emulatorModeFromEnv
    const choice = yield* choose(config, mode)
    const runtime: Layer.Layer<BedrockRuntime.BedrockRuntime, ConfigError.ConfigError | Emulator.EmulatorStartError> =
      choice._tag === "Bedrock"
        ? bedrockRuntime(config, { region: choice.region, source: choice.regionSource }, options)
        : emulatorRuntime(config, choice.reason, options)
    return runtime
  }))
