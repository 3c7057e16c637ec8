/**
 * The service's configuration, read from the environment through effect `Config` and validated at start-up: a
 * variable that is set but invalid fails with a `ConfigError` naming it (and never echoing a secret).
 *
 * | variable | default | meaning |
 * | --- | --- | --- |
 * | `BACKEND_HOST` | `127.0.0.1` | interface to listen on |
 * | `BACKEND_PORT` | `8080` | TCP port (`0`: an ephemeral port) |
 * | `BACKEND_ADMIN_KEY_SHA256` | none | hex SHA-256 of the admin key (`/admin/*`); without it the admin API refuses every call |
 * | `BACKEND_ADMIN_KEY` | none | the admin key itself (hashed at start-up), instead of `BACKEND_ADMIN_KEY_SHA256` |
 * | `BACKEND_STORE` | `memory` | `memory` (one instance) or `dynamodb` (shared by every instance) |
 * | `BACKEND_DYNAMODB_KEYS_TABLE` | `bedrock-llm-keys` | keys table (partition key `pk`, string) |
 * | `BACKEND_DYNAMODB_LIMITS_TABLE` | `bedrock-llm-limits` | budgets and rate-limit windows (`pk`, TTL attribute `expiresAt`) |
 * | `BACKEND_DYNAMODB_USAGE_TABLE` | `bedrock-llm-usage` | usage counters (`pk` and sort key `sk`, strings) |
 * | `BACKEND_DYNAMODB_ENDPOINT` | the SDK's | a DynamoDB endpoint (DynamoDB Local, dynalite) |
 * | `BACKEND_KEY_CACHE_TTL_MS` | `10000` | how long an instance trusts a looked-up key: the bound on revocation delay |
 * | `BACKEND_MAX_BODY_BYTES` | `20971520` | largest request body (20 MiB); larger is refused before it is read whole |
 * | `BACKEND_REQUEST_TIMEOUT_MS` | `600000` | per-request deadline, streams included |
 * | `BACKEND_DRAIN_TIMEOUT_MS` | `30000` | on SIGTERM, how long in-flight requests and streams may finish |
 * | `BACKEND_KEEP_ALIVE_TIMEOUT_MS` | `65000` | how long an idle HTTP keep-alive connection is kept: above the idle timeout of the load balancer in front |
 * | `BACKEND_SSE_KEEPALIVE_MS` | `15000` | an SSE comment after this long without an event |
 * | `BACKEND_CORS_ORIGINS` | none (CORS off) | comma-separated allowed origins (`*` for any) |
 * | `BACKEND_DEFAULT_MAX_TOKENS` | `4096` | `maxTokens` of a call that names none (capped at the model's limit) |
 * | `BACKEND_MODEL_ALIASES` | none | JSON: alias -> ordered targets, each a model id or `{ "modelId", "region" }` |
 * | `BACKEND_AGENTS_MODULE` | the example agents | path of the deployer's agents module (see `agents/AgentModule.ts`) |
 * | `BACKEND_DYNAMODB_CONVERSATIONS_TABLE` | `bedrock-llm-conversations` | agent conversations (the library's `MemoryStore` table: `pk`, string) |
 * | `BACKEND_LOG_LEVEL` | `Info` | `Debug`, `Info`, `Warning`, `Error`, `None` |
 * | `BACKEND_EMF_NAMESPACE` | none (off) | CloudWatch namespace of the per-request embedded metric format lines on standard output (see `Emf`) |
 * | `BACKEND_BATCH_BUCKET` | none (Batch API off) | the S3 bucket of Bedrock batch jobs, and of the Batch API's files and batches |
 * | `BACKEND_BATCH_ROLE_ARN` | none | the service role Bedrock batch jobs run as (required with `BACKEND_BATCH_BUCKET`) |
 * | `BACKEND_BATCH_PREFIX` | `bedrock-llm-batch/` | key prefix in the batch bucket |
 * | `BACKEND_BATCH_S3_ENDPOINT` | the SDK's | an S3 endpoint (an S3-compatible server) |
 * | `BACKEND_BATCH_BEDROCK_ENDPOINT` | the SDK's | an endpoint of Bedrock's control plane (the emulator) |
 * | `BACKEND_BATCH_MIN_RECORDS` | `100` | Bedrock's minimum records per batch job (the account's quota) |
 * | `OTEL_EXPORTER_OTLP_ENDPOINT` | none | OTLP/HTTP endpoint: traces and metrics exported when set |
 * | `OTEL_SERVICE_NAME` | `bedrock-llm-backend` | service name of exported telemetry |
 *
 * Bedrock itself is configured with the library's variables (`AWS_REGION`, `BEDROCK_ENDPOINT`, `BEDROCK_RETRY_*`,
 * `BEDROCK_EMULATOR`, ...; see the library's `Config` module).
 *
 * @since 0.1.0
 */
import { Config as LibraryConfig } from "bedrock-llm"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Layer from "effect/Layer"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as ApiKey from "./keys/ApiKey.js"

/**
 * One target of a model alias: a model id or inference profile, optionally in another region.
 *
 * @since 0.1.0
 * @category models
 */
export const Target = Schema.Struct({
  modelId: Schema.NonEmptyTrimmedString,
  region: Schema.optional(Schema.NonEmptyTrimmedString)
})

/**
 * @since 0.1.0
 * @category models
 */
export type Target = typeof Target.Type

const TargetInput = Schema.Union(
  Schema.NonEmptyTrimmedString.pipe(Schema.transform(Target, {
    strict: true,
    decode: (modelId) => ({ modelId }),
    encode: (target) => target.modelId
  })),
  Target
)

/**
 * Model aliases: a name clients use and the targets tried in order (the next on throttling or unavailability before
 * the first byte).
 *
 * @since 0.1.0
 * @category models
 */
export const ModelAliases = Schema.Record({
  key: Schema.NonEmptyTrimmedString,
  value: Schema.NonEmptyArray(TargetInput)
})

/**
 * @since 0.1.0
 * @category models
 */
export type ModelAliases = typeof ModelAliases.Type

/**
 * Where the shared state lives.
 *
 * @since 0.1.0
 * @category models
 */
export type StoreSettings =
  | { readonly _tag: "memory" }
  | {
    readonly _tag: "dynamodb"
    readonly keysTable: string
    readonly limitsTable: string
    readonly usageTable: string
    readonly endpoint?: string | undefined
  }

/**
 * Where the Batch API runs its Bedrock batch jobs (and keeps its files and batches).
 *
 * @since 0.1.0
 * @category models
 */
export interface BatchSettings {
  readonly bucket: string
  readonly roleArn: string
  readonly prefix: string
  readonly region: string | undefined
  readonly s3Endpoint: string | undefined
  readonly bedrockEndpoint: string | undefined
  readonly minRecordsPerJob: number
}

/**
 * The whole configuration.
 *
 * @since 0.1.0
 * @category models
 */
export interface Settings {
  readonly host: string
  readonly port: number
  /** Hex SHA-256 of the admin key; `None` disables the admin API. */
  readonly adminKeyHash: Option.Option<Redacted.Redacted<string>>
  readonly store: StoreSettings
  readonly keyCacheTtl: Duration.Duration
  readonly maxBodyBytes: number
  readonly requestTimeout: Duration.Duration
  /**
   * How long a budget reservation is held before any instance's sweep may release it (above `requestTimeout`, so
   * that only a reservation whose instance died is swept), and how often each instance sweeps.
   */
  readonly reservationTtl: Duration.Duration
  readonly reservationSweepInterval: Duration.Duration
  readonly drainTimeout: Duration.Duration
  readonly sseKeepAlive: Duration.Duration
  /** How long an idle keep-alive connection is kept (above a load balancer's idle timeout). */
  readonly keepAliveTimeout: Duration.Duration
  readonly corsOrigins: ReadonlyArray<string>
  readonly defaultMaxTokens: number
  readonly modelAliases: ModelAliases
  /** Path of the agents module; `None`: the example agents. */
  readonly agentsModule: Option.Option<string>
  /** DynamoDB table of agent conversations (with DynamoDB stores). */
  readonly conversationsTable: string
  readonly retry: LibraryConfig.RetryConfig
  readonly logLevel: LogLevel.LogLevel
  readonly otlpEndpoint: Option.Option<string>
  /** CloudWatch namespace of the embedded metric format lines; `None`: none are written. */
  readonly emfNamespace: Option.Option<string>
  readonly serviceName: string
  /** The Batch API's bucket and role; `None`: the Batch API is off. */
  readonly batch: Option.Option<BatchSettings>
}

const PositiveInt = Schema.Int.pipe(Schema.positive())
const Port = Schema.Int.pipe(Schema.between(0, 65535))
const Millis = Schema.NumberFromString.pipe(Schema.compose(PositiveInt))
const HexSha256 = Schema.String.pipe(
  Schema.pattern(/^[0-9a-f]{64}$/),
  Schema.annotations({
    description: "a lowercase hex SHA-256 digest (64 characters)"
  })
)
const EmfNamespace = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z0-9.\-_/#:]{1,255}$/),
  Schema.annotations({ description: "a CloudWatch namespace (1 to 255 letters, digits and . - _ / # :)" })
)
const Origins = Schema.String.pipe(Schema.transform(Schema.Array(Schema.String), {
  strict: true,
  decode: (s) => s.split(",").map((origin) => origin.trim()).filter((origin) => origin.length > 0),
  encode: (origins) => origins.join(",")
}))

const withDefault = <A>(config: Config.Config<A>, value: A) => Config.withDefault(config, value)
const millis = (name: string, fallback: number) =>
  Config.map(withDefault(Schema.Config(name, Millis), fallback), Duration.millis)

const storeConfig: Config.Config<StoreSettings> = Config.all({
  kind: withDefault(Config.literal("memory", "dynamodb")("BACKEND_STORE"), "memory" as const),
  keysTable: withDefault(Config.nonEmptyString("BACKEND_DYNAMODB_KEYS_TABLE"), "bedrock-llm-keys"),
  limitsTable: withDefault(Config.nonEmptyString("BACKEND_DYNAMODB_LIMITS_TABLE"), "bedrock-llm-limits"),
  usageTable: withDefault(Config.nonEmptyString("BACKEND_DYNAMODB_USAGE_TABLE"), "bedrock-llm-usage"),
  endpoint: Config.option(Config.url("BACKEND_DYNAMODB_ENDPOINT"))
}).pipe(Config.map(({ endpoint, kind, ...tables }): StoreSettings =>
  kind === "memory" ? { _tag: "memory" } : {
    _tag: "dynamodb",
    ...tables,
    ...(Option.isSome(endpoint) ? { endpoint: endpoint.value.toString().replace(/\/$/, "") } : {})
  }
))

const adminKeyHashConfig: Config.Config<Option.Option<Redacted.Redacted<string>>> = Config.all({
  hash: Config.option(Schema.Config("BACKEND_ADMIN_KEY_SHA256", HexSha256)),
  key: Config.option(Config.redacted("BACKEND_ADMIN_KEY"))
}).pipe(Config.map(({ hash, key }) =>
  Option.isSome(hash)
    ? Option.some(Redacted.make(hash.value))
    : Option.map(key, (secret) => Redacted.make(ApiKey.hash(secret)))
))

const batchConfig: Config.Config<Option.Option<BatchSettings>> = Config.all({
  bucket: Config.option(Config.nonEmptyString("BACKEND_BATCH_BUCKET")),
  roleArn: Config.option(Config.nonEmptyString("BACKEND_BATCH_ROLE_ARN")),
  prefix: withDefault(Config.nonEmptyString("BACKEND_BATCH_PREFIX"), "bedrock-llm-batch/"),
  region: Config.option(Config.nonEmptyString("AWS_REGION")),
  s3Endpoint: Config.option(Config.nonEmptyString("BACKEND_BATCH_S3_ENDPOINT")),
  bedrockEndpoint: Config.option(Config.nonEmptyString("BACKEND_BATCH_BEDROCK_ENDPOINT")),
  minRecordsPerJob: withDefault(
    Schema.Config("BACKEND_BATCH_MIN_RECORDS", Schema.NumberFromString.pipe(Schema.compose(PositiveInt))),
    100
  )
}).pipe(
  Config.validate({
    message: "BACKEND_BATCH_ROLE_ARN must be set with BACKEND_BATCH_BUCKET",
    validation: ({ bucket, roleArn }) => Option.isNone(bucket) || Option.isSome(roleArn)
  }),
  Config.map(({ bucket, roleArn, ...rest }) =>
    Option.map(Option.all({ bucket, roleArn }), (named): BatchSettings => ({
      ...named,
      prefix: rest.prefix,
      region: Option.getOrUndefined(rest.region),
      s3Endpoint: Option.getOrUndefined(rest.s3Endpoint),
      bedrockEndpoint: Option.getOrUndefined(rest.bedrockEndpoint),
      minRecordsPerJob: rest.minRecordsPerJob
    }))
  )
)

/**
 * The configuration from the environment (see the table above).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromEnv: Config.Config<Settings> = Config.all({
  host: withDefault(Config.nonEmptyString("BACKEND_HOST"), "127.0.0.1"),
  port: withDefault(Schema.Config("BACKEND_PORT", Schema.NumberFromString.pipe(Schema.compose(Port))), 8080),
  adminKeyHash: adminKeyHashConfig,
  store: storeConfig,
  keyCacheTtl: millis("BACKEND_KEY_CACHE_TTL_MS", 10_000),
  maxBodyBytes: withDefault(
    Schema.Config("BACKEND_MAX_BODY_BYTES", Schema.NumberFromString.pipe(Schema.compose(PositiveInt))),
    20 * 1024 * 1024
  ),
  requestTimeout: millis("BACKEND_REQUEST_TIMEOUT_MS", 600_000),
  reservationTtl: millis("BACKEND_RESERVATION_TTL_MS", 900_000),
  reservationSweepInterval: millis("BACKEND_RESERVATION_SWEEP_MS", 60_000),
  drainTimeout: millis("BACKEND_DRAIN_TIMEOUT_MS", 30_000),
  sseKeepAlive: millis("BACKEND_SSE_KEEPALIVE_MS", 15_000),
  keepAliveTimeout: millis("BACKEND_KEEP_ALIVE_TIMEOUT_MS", 65_000),
  corsOrigins: withDefault(Schema.Config("BACKEND_CORS_ORIGINS", Origins), []),
  defaultMaxTokens: withDefault(
    Schema.Config("BACKEND_DEFAULT_MAX_TOKENS", Schema.NumberFromString.pipe(Schema.compose(PositiveInt))),
    4096
  ),
  modelAliases: withDefault(Schema.Config("BACKEND_MODEL_ALIASES", Schema.parseJson(ModelAliases)), {}),
  agentsModule: Config.option(Config.nonEmptyString("BACKEND_AGENTS_MODULE")),
  conversationsTable: withDefault(
    Config.nonEmptyString("BACKEND_DYNAMODB_CONVERSATIONS_TABLE"),
    "bedrock-llm-conversations"
  ),
  retry: LibraryConfig.RetryConfig.fromEnv,
  logLevel: withDefault(Config.logLevel("BACKEND_LOG_LEVEL"), LogLevel.Info),
  otlpEndpoint: Config.option(Config.nonEmptyString("OTEL_EXPORTER_OTLP_ENDPOINT")),
  emfNamespace: Config.option(Schema.Config("BACKEND_EMF_NAMESPACE", EmfNamespace)),
  serviceName: withDefault(Config.nonEmptyString("OTEL_SERVICE_NAME"), "bedrock-llm-backend"),
  batch: batchConfig
})

/**
 * Settings for tests and embedding: every field at its default, overridden by `overrides`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (overrides: Partial<Settings> = {}): Settings => ({
  host: "127.0.0.1",
  port: 0,
  adminKeyHash: Option.none(),
  store: { _tag: "memory" },
  keyCacheTtl: Duration.seconds(10),
  maxBodyBytes: 20 * 1024 * 1024,
  requestTimeout: Duration.minutes(10),
  reservationTtl: Duration.minutes(15),
  reservationSweepInterval: Duration.minutes(1),
  drainTimeout: Duration.seconds(30),
  sseKeepAlive: Duration.seconds(15),
  keepAliveTimeout: Duration.seconds(65),
  corsOrigins: [],
  defaultMaxTokens: 4096,
  modelAliases: {},
  agentsModule: Option.none(),
  conversationsTable: "bedrock-llm-conversations",
  retry: new LibraryConfig.RetryConfig({}),
  logLevel: LogLevel.Info,
  otlpEndpoint: Option.none(),
  emfNamespace: Option.none(),
  serviceName: "bedrock-llm-backend",
  batch: Option.none(),
  ...overrides
})

/**
 * The configuration as a service.
 *
 * @since 0.1.0
 * @category services
 */
export class ServiceConfig extends Context.Tag("bedrock-llm-backend/ServiceConfig")<ServiceConfig, Settings>() {
  /**
   * The configuration read from the environment.
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layerConfig: Layer.Layer<ServiceConfig, ConfigError.ConfigError> = Layer.effect(
    ServiceConfig,
    fromEnv
  )

  /**
   * Given settings (tests, embedding).
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layer = (settings: Settings): Layer.Layer<ServiceConfig> => Layer.succeed(ServiceConfig, settings)
}
