/**
 * Configuration of the client, the model, retries and the circuit breaker: Schema classes with documented defaults,
 * each also readable from the environment through effect `Config` (so any `ConfigProvider` works).
 *
 * Environment variables (all optional unless said otherwise; durations in milliseconds; JSON where noted):
 *
 * | variable | field |
 * | --- | --- |
 * | `AWS_REGION`, else `AWS_DEFAULT_REGION` | `ClientConfig.region` |
 * | `AWS_PROFILE` | `ClientConfig.profile` |
 * | `BEDROCK_ENDPOINT`, else `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`, else `AWS_ENDPOINT_URL` | `ClientConfig.endpoint` |
 * | `BEDROCK_REQUEST_TIMEOUT_MS` | `ClientConfig.requestTimeout` |
 * | `BEDROCK_STREAM_FIRST_EVENT_TIMEOUT_MS` | `ClientConfig.firstEventTimeout` |
 * | `BEDROCK_STREAM_IDLE_TIMEOUT_MS` | `ClientConfig.idleTimeout` |
 * | `BEDROCK_HTTP_PROTOCOL` (`http2` or `http1.1`) | `ClientConfig.connection.protocol` |
 * | `BEDROCK_HTTP_KEEP_ALIVE` (`true`/`false`) | `ClientConfig.connection.keepAlive` |
 * | `BEDROCK_HTTP_MAX_SOCKETS` | `ClientConfig.connection.maxSockets` |
 * | `BEDROCK_HTTP2_MULTIPLEX` (`true`/`false`) | `ClientConfig.connection.multiplex` |
 * | `BEDROCK_CONNECT_TIMEOUT_MS` | `ClientConfig.connection.connectTimeout` |
 * | `BEDROCK_EMULATOR` (`1`/`true`, `0`/`false`; see `LocalBedrock`) | `emulatorModeFromEnv` (`LocalBedrock`, Promise facade) |
 * | `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` | `StaticCredentials.fromEnv` only |
 * | `BEDROCK_MODEL_ID` (required by `ModelConfig.fromEnv`) | `ModelConfig.modelId` |
 * | `BEDROCK_MAX_TOKENS`, `BEDROCK_TEMPERATURE`, `BEDROCK_TOP_P`, `BEDROCK_TOP_K` | `ModelConfig` inference fields |
 * | `BEDROCK_STOP_SEQUENCES` (JSON array of strings) | `ModelConfig.stopSequences` |
 * | `BEDROCK_SYSTEM_PROMPT` | `ModelConfig.system` |
 * | `BEDROCK_ADDITIONAL_MODEL_REQUEST_FIELDS` (JSON object) | `ModelConfig.additionalModelRequestFields` |
 * | `BEDROCK_GUARDRAIL_ID`, `BEDROCK_GUARDRAIL_VERSION`, `BEDROCK_GUARDRAIL_TRACE`, `BEDROCK_GUARDRAIL_STREAM_MODE` | `ModelConfig.guardrail` |
 * | `BEDROCK_PERFORMANCE_LATENCY` (`standard`/`optimized`) | `ModelConfig.latency` |
 * | `BEDROCK_SERVICE_TIER` (`default`/`priority`/`flex`/`reserved`) | `ModelConfig.serviceTier` |
 * | `BEDROCK_REQUEST_METADATA` (JSON object of strings) | `ModelConfig.requestMetadata` |
 * | `BEDROCK_RETRY_MAX_ATTEMPTS`, `BEDROCK_RETRY_BASE_DELAY_MS`, `BEDROCK_RETRY_MAX_DELAY_MS` | `RetryConfig` |
 * | `BEDROCK_RETRY_FACTOR`, `BEDROCK_RETRY_JITTER` (`true`/`false`/ratio), `BEDROCK_RETRY_MAX_ELAPSED_MS` | `RetryConfig` |
 * | `BEDROCK_RETRY_HONOUR_RETRY_AFTER` (`true`/`false`) | `RetryConfig.honourRetryAfter` |
 * | `BEDROCK_BREAKER_FAILURE_THRESHOLD`, `BEDROCK_BREAKER_RESET_TIMEOUT_MS` | `CircuitBreakerConfig` |
 * | `BEDROCK_BREAKER_HALF_OPEN_MAX_PROBES`, `BEDROCK_BREAKER_SUCCESS_THRESHOLD` | `CircuitBreakerConfig` |
 *
 * A variable that is set but invalid fails with a `ConfigError` whose path and message name the variable, whichever
 * backend is used (the emulator reads the same client configuration as real Bedrock).
 *
 * @example
 * ```ts
 * import { BedrockClient, BedrockConfig } from "bedrock-llm"
 * import { Duration } from "effect"
 *
 * const ClientLive = BedrockClient.layer({
 *   model: new BedrockConfig.ModelConfig({ modelId: "amazon.nova-micro-v1:0", maxTokens: 512 }),
 *   retry: new BedrockConfig.RetryConfig({ maxAttempts: 5, baseDelay: Duration.millis(250) })
 * })
 * // Or from the environment: BedrockConfig.ClientConfig.fromEnv, BedrockConfig.RetryConfig.fromEnv ...
 * ```
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { defined } from "./internal/defined.js"

const PositiveInt = Schema.Int.pipe(Schema.positive())
const NonNegativeInt = Schema.Int.pipe(Schema.nonNegative())
const UnitInterval = Schema.Number.pipe(Schema.between(0, 1))
const PositiveMillis = Schema.DurationFromMillis.pipe(Schema.greaterThanDuration(0))
const NonEmptyTrimmed = Schema.Trimmed.pipe(Schema.nonEmptyString())

const MillisFromString = Schema.compose(Schema.NumberFromString, PositiveMillis)

const BOOLEAN_WORDS: Record<string, boolean> = {
  true: true,
  false: false,
  yes: true,
  no: false,
  on: true,
  off: false,
  "1": true,
  "0": false
}

const BooleanFromEnv = Schema.transformOrFail(Schema.String, Schema.Boolean, {
  strict: true,
  decode: (s, _, ast) => {
    const value = BOOLEAN_WORDS[s.trim().toLowerCase()]
    return value === undefined
      ? ParseResult.fail(new ParseResult.Type(ast, s, "expected true, false, yes, no, on, off, 1 or 0"))
      : ParseResult.succeed(value)
  },
  encode: (b) => ParseResult.succeed(b ? "true" : "false")
})

const literalFromEnv = <const L extends string>(literals: ReadonlyArray<L>) =>
  Schema.transformOrFail(Schema.String, Schema.Literal(...literals), {
    strict: true,
    decode: (s, _, ast) => {
      const value = literals.find((literal) => literal === s.trim().toLowerCase())
      return value === undefined
        ? ParseResult.fail(new ParseResult.Type(ast, s, `expected one of ${literals.join(", ")}`))
        : ParseResult.succeed(value)
    },
    encode: ParseResult.succeed
  })

const JsonFromString = <A, I>(schema: Schema.Schema<A, I>) => Schema.parseJson(schema)

const durationWithDefault = (millis: number) =>
  Schema.optionalWith(PositiveMillis, { default: () => Duration.millis(millis) })

/**
 * An AWS region name such as `us-east-1` or `us-gov-west-1`.
 *
 * @since 0.1.0
 * @category models
 */
export const Region = Schema.String.pipe(
  Schema.pattern(/^[a-z]{2}(?:-[a-z]+)+-\d+$/, { message: () => "expected an AWS region such as us-east-1" })
)

/**
 * @since 0.1.0
 * @category models
 */
export type Region = typeof Region.Type

/**
 * An `http://` or `https://` URL.
 *
 * @since 0.1.0
 * @category models
 */
export const EndpointUrl = Schema.String.pipe(
  Schema.filter((s) => {
    try {
      const url = new URL(s)
      return url.protocol === "http:" || url.protocol === "https:"
    } catch {
      return false
    }
  }, { message: () => "expected an http:// or https:// URL" })
)

/**
 * A model id: a base model id, an inference profile id (`us.`, `eu.`, `global.` ...) or an ARN.
 *
 * @since 0.1.0
 * @category models
 */
export const ModelId = Schema.String.pipe(
  Schema.pattern(/^\S+$/, { message: () => "expected a model id, inference profile id or ARN without spaces" }),
  Schema.maxLength(2048)
)

/**
 * Explicit credentials. Without them the SDK's default provider chain is used (environment, SSO, shared files,
 * web identity, container and instance metadata), which refreshes temporary credentials by itself.
 *
 * @since 0.1.0
 * @category models
 */
export class StaticCredentials extends Schema.Class<StaticCredentials>("bedrock-llm/StaticCredentials")({
  accessKeyId: NonEmptyTrimmed,
  secretAccessKey: Schema.Redacted(Schema.String),
  sessionToken: Schema.optional(Schema.Redacted(Schema.String))
}) {
  /**
   * `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`) as `Redacted` values; `None` when no access
   * key id is set.
   *
   * @since 0.1.0
   */
  static readonly fromEnv: Config.Config<Option.Option<StaticCredentials>> = Config.all({
    accessKeyId: Config.option(Config.string("AWS_ACCESS_KEY_ID")),
    secretAccessKey: Config.option(Config.redacted("AWS_SECRET_ACCESS_KEY")),
    sessionToken: Config.option(Config.redacted("AWS_SESSION_TOKEN"))
  }).pipe(Config.mapOrFail(({ accessKeyId, secretAccessKey, sessionToken }) => {
    if (Option.isNone(accessKeyId)) return Either.right(Option.none())
    if (Option.isNone(secretAccessKey)) {
      return Either.left(
        ConfigError.MissingData(
          ["AWS_SECRET_ACCESS_KEY"],
          "AWS_SECRET_ACCESS_KEY is required when AWS_ACCESS_KEY_ID is set"
        )
      )
    }
    return Either.right(Option.some(
      new StaticCredentials({
        accessKeyId: accessKeyId.value,
        secretAccessKey: secretAccessKey.value,
        sessionToken: Option.getOrUndefined(sessionToken)
      })
    ))
  }))
}

/**
 * The HTTP protocol of the SDK's request handler: `http2` (the SDK's default `NodeHttp2Handler`) or `http1.1`.
 *
 * @since 0.1.0
 * @category models
 */
export const HttpProtocol = Schema.Literal("http2", "http1.1")

/**
 * @since 0.1.0
 * @category models
 */
export type HttpProtocol = typeof HttpProtocol.Type

/**
 * Connection options. Defaults: `protocol` `http2`, `keepAlive` `true`, `maxSockets` 50 (HTTP/1.1 sockets per host),
 * `multiplex` `true`, `connectTimeout` 5 s.
 *
 * `connectTimeout` bounds the making of each new connection, from the moment its socket is opened: the TCP
 * connection, then the TLS handshake (`https` endpoints), then, over HTTP/2, the server's connection preface (its first
 * SETTINGS frame, which a server sends at once). A server that accepts TCP but never completes TLS or never answers
 * the HTTP/2 preface fails the request with `RequestTimeoutError` (`connect`) after this time instead of after the
 * request timeout; the error is retryable. Over HTTP/1.1 without TLS a connection is made once TCP is; a server that
 * then never answers is bounded by the request and stream timeouts. A request that waits for a free HTTP/1.1 socket
 * does not spend its connect time waiting. 5 s leaves room for a lost SYN to be resent twice (after 1 s and 3 s).
 *
 * With HTTP/2, `multiplex: true` shares one session (connection) among unary requests, as HTTP/2 is meant to be used;
 * event streams always get a session of their own. `multiplex: false` is the AWS SDK's default for Bedrock Runtime
 * (set for its bidirectional streams, which this library does not use): a new connection, and against the real service
 * a new TLS handshake, for every request; in `bench/RESULTS.md` the raw SDK spends 1.5–2× the client CPU per Converse
 * call with it than on one shared session.
 *
 * @since 0.1.0
 * @category models
 */
export class ConnectionConfig extends Schema.Class<ConnectionConfig>("bedrock-llm/ConnectionConfig")({
  protocol: Schema.optionalWith(HttpProtocol, { default: () => "http2" as const }),
  keepAlive: Schema.optionalWith(Schema.Boolean, { default: () => true }),
  maxSockets: Schema.optionalWith(PositiveInt, { default: () => 50 }),
  multiplex: Schema.optionalWith(Schema.Boolean, { default: () => true }),
  connectTimeout: durationWithDefault(5_000)
}) {}

/**
 * Client configuration. Defaults: region, endpoint and profile unset (the SDK resolves them: `AWS_REGION`, shared
 * config, the regional endpoint), credentials from the SDK's default chain, `requestTimeout` 300 s for a whole
 * non-streaming request, `firstEventTimeout` 60 s and `idleTimeout` 60 s for streams, and `ConnectionConfig`'s
 * defaults.
 *
 * Why `requestTimeout` is 300 s: a Converse or InvokeModel call sends nothing back until the whole answer is
 * generated, so its deadline must cover the longest answer the caller may ask for (a few thousand output tokens from a
 * large model at tens of tokens per second is minutes; AWS notes that large models "can take more than sixty seconds",
 * more than the one-minute socket timeout SDKs used to default to). 300 s covers that and still ends a call that hangs.
 * Longer generations (Claude 3.7 Sonnet's extended thinking, whose service-side limit is 60 minutes) should stream,
 * where the first-event and idle deadlines watch progress instead, or raise `requestTimeout` per client or per call.
 * A dead endpoint is caught long before by `connectTimeout`. See docs/RELIABILITY.md.
 *
 * @since 0.1.0
 * @category models
 */
export class ClientConfig extends Schema.Class<ClientConfig>("bedrock-llm/ClientConfig")({
  region: Schema.optional(Region),
  endpoint: Schema.optional(EndpointUrl),
  profile: Schema.optional(NonEmptyTrimmed),
  credentials: Schema.optional(StaticCredentials),
  requestTimeout: durationWithDefault(300_000),
  firstEventTimeout: durationWithDefault(60_000),
  idleTimeout: durationWithDefault(60_000),
  connection: Schema.optionalWith(ConnectionConfig, { default: () => new ConnectionConfig({}) })
}) {
  /**
   * Reads the client configuration from the environment (see the module's table); credentials are left to the SDK's
   * default chain.
   *
   * @since 0.1.0
   */
  static readonly fromEnv: Config.Config<ClientConfig> = Config.all({
    region: optionalVar("AWS_REGION", Region),
    defaultRegion: optionalVar("AWS_DEFAULT_REGION", Region),
    endpoint: optionalVar("BEDROCK_ENDPOINT", EndpointUrl),
    serviceEndpoint: optionalVar("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", EndpointUrl),
    globalEndpoint: optionalVar("AWS_ENDPOINT_URL", EndpointUrl),
    profile: optionalVar("AWS_PROFILE", NonEmptyTrimmed),
    requestTimeout: optionalVar("BEDROCK_REQUEST_TIMEOUT_MS", MillisFromString),
    firstEventTimeout: optionalVar("BEDROCK_STREAM_FIRST_EVENT_TIMEOUT_MS", MillisFromString),
    idleTimeout: optionalVar("BEDROCK_STREAM_IDLE_TIMEOUT_MS", MillisFromString),
    protocol: optionalVar("BEDROCK_HTTP_PROTOCOL", literalFromEnv(HttpProtocol.literals)),
    keepAlive: optionalVar("BEDROCK_HTTP_KEEP_ALIVE", BooleanFromEnv),
    maxSockets: optionalVar("BEDROCK_HTTP_MAX_SOCKETS", Schema.compose(Schema.NumberFromString, PositiveInt)),
    multiplex: optionalVar("BEDROCK_HTTP2_MULTIPLEX", BooleanFromEnv),
    connectTimeout: optionalVar("BEDROCK_CONNECT_TIMEOUT_MS", MillisFromString)
  }).pipe(Config.map((env) =>
    new ClientConfig({
      region: env.region ?? env.defaultRegion,
      endpoint: env.endpoint ?? env.serviceEndpoint ?? env.globalEndpoint,
      profile: env.profile,
      ...defined({
        requestTimeout: env.requestTimeout,
        firstEventTimeout: env.firstEventTimeout,
        idleTimeout: env.idleTimeout
      }),
      connection: new ConnectionConfig(defined({
        protocol: env.protocol,
        keepAlive: env.keepAlive,
        maxSockets: env.maxSockets,
        multiplex: env.multiplex,
        connectTimeout: env.connectTimeout
      }))
    })
  ))

  /**
   * `fromEnv` plus explicit credentials from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`
   * when set (they are otherwise read by the SDK's chain).
   *
   * @since 0.1.0
   */
  static readonly fromEnvWithStaticCredentials: Config.Config<ClientConfig> = Config.all([
    ClientConfig.fromEnv,
    StaticCredentials.fromEnv
  ]).pipe(
    Config.map(([client, credentials]) =>
      Option.isNone(credentials) ? client : new ClientConfig({ ...client, credentials: credentials.value })
    )
  )
}

/**
 * Whether `LocalBedrock` and the Promise facade use the embedded emulator: `always`, `never`, or `auto` (only when no
 * AWS region is configured anywhere the AWS SDK looks).
 *
 * @since 0.1.0
 * @category models
 */
export const EmulatorMode = Schema.Literal("auto", "always", "never")

/**
 * @since 0.1.0
 * @category models
 */
export type EmulatorMode = typeof EmulatorMode.Type

const EMULATOR_WORDS: Record<string, EmulatorMode> = { "1": "always", true: "always", "0": "never", false: "never" }

/**
 * `BEDROCK_EMULATOR`: `1` or `true` is `always`, `0` or `false` is `never`, unset or empty is `auto`; any other value
 * fails with a `ConfigError` naming the variable.
 *
 * @since 0.1.0
 * @category constructors
 */
export const emulatorModeFromEnv: Config.Config<EmulatorMode> = Config.option(
  variable(
    "BEDROCK_EMULATOR",
    Schema.transformOrFail(Schema.String, EmulatorMode, {
      strict: true,
      decode: (s, _, ast) => {
        const trimmed = s.trim().toLowerCase()
        const mode = trimmed === "" ? "auto" : EMULATOR_WORDS[trimmed]
        return mode === undefined
          ? ParseResult.fail(new ParseResult.Type(ast, s, "expected 1 or true (the emulator), 0 or false (never)"))
          : ParseResult.succeed(mode)
      },
      encode: (mode) => ParseResult.succeed(mode === "always" ? "1" : mode === "never" ? "0" : "")
    })
  )
).pipe(Config.map(Option.getOrElse((): EmulatorMode => "auto")))

const GuardrailTrace = Schema.Literal("enabled", "disabled", "enabled_full")
const GuardrailStreamMode = Schema.Literal("sync", "async")

/**
 * Guardrail applied to a request. `streamProcessingMode` applies to streaming requests only.
 *
 * @since 0.1.0
 * @category models
 */
export const GuardrailConfig = Schema.Struct({
  identifier: NonEmptyTrimmed,
  version: NonEmptyTrimmed,
  trace: Schema.optional(GuardrailTrace),
  streamProcessingMode: Schema.optional(GuardrailStreamMode)
})

/**
 * @since 0.1.0
 * @category models
 */
export type GuardrailConfig = typeof GuardrailConfig.Type

/**
 * Latency profile of a request (`optimized` for latency-optimized inference where the model supports it).
 *
 * @since 0.1.0
 * @category models
 */
export const Latency = Schema.Literal("standard", "optimized")

/**
 * Service tier of a request.
 *
 * @since 0.1.0
 * @category models
 */
export const ServiceTier = Schema.Literal("default", "priority", "flex", "reserved")

const JsonObject = Schema.Record({ key: Schema.String, value: Schema.Unknown })
const StringRecord = Schema.Record({ key: Schema.String, value: Schema.String })

/**
 * The model and its inference parameters. Only `modelId` is required; every unset field is left to the model's own
 * default (no `maxTokens` means the model's default output limit). `topK` is sent in `additionalModelRequestFields`
 * under the name the model family expects; `additionalModelRequestFields` is merged over it as given.
 *
 * @since 0.1.0
 * @category models
 */
export class ModelConfig extends Schema.Class<ModelConfig>("bedrock-llm/ModelConfig")({
  modelId: ModelId,
  maxTokens: Schema.optional(PositiveInt),
  temperature: Schema.optional(UnitInterval),
  topP: Schema.optional(UnitInterval),
  topK: Schema.optional(NonNegativeInt),
  stopSequences: Schema.optional(Schema.Array(Schema.String)),
  system: Schema.optional(Schema.String),
  additionalModelRequestFields: Schema.optional(JsonObject),
  additionalModelResponseFieldPaths: Schema.optional(Schema.Array(Schema.String)),
  guardrail: Schema.optional(GuardrailConfig),
  latency: Schema.optional(Latency),
  serviceTier: Schema.optional(ServiceTier),
  promptVariables: Schema.optional(StringRecord),
  requestMetadata: Schema.optional(StringRecord)
}) {
  /**
   * Reads the model configuration from the environment; `BEDROCK_MODEL_ID` is required.
   *
   * @since 0.1.0
   */
  static readonly fromEnv: Config.Config<ModelConfig> = modelConfigFromEnv(Option.none())

  /**
   * Like `fromEnv`, with a model id to use when `BEDROCK_MODEL_ID` is not set.
   *
   * @since 0.1.0
   */
  static fromEnvWithDefaultModel(modelId: string): Config.Config<ModelConfig> {
    return modelConfigFromEnv(Option.some(modelId))
  }
}

/**
 * Retry policy. Defaults: `maxAttempts` 4 (the first call and up to 3 retries), `baseDelay` 200 ms, `factor` 2,
 * `maxDelay` 20 s, `jitter` `true`, `maxElapsed` 60 s (no retry is scheduled to start later than this after the first
 * failure), `honourRetryAfter` `true` (a delay never shorter than the error's `retryAfterMs`).
 *
 * `jitter`: `false` or `0` is none; a ratio `r` in [0, 1] draws each delay uniformly from `[(1 - r) * d, d]` where `d`
 * is the capped exponential delay; `true` is `1`, AWS's "full jitter". Randomness comes from Effect's `Random`
 * service, so `Effect.withRandom(Random.make(seed))` makes it deterministic.
 *
 * @since 0.1.0
 * @category models
 */
export class RetryConfig extends Schema.Class<RetryConfig>("bedrock-llm/RetryConfig")({
  maxAttempts: Schema.optionalWith(PositiveInt, { default: () => 4 }),
  baseDelay: durationWithDefault(200),
  maxDelay: durationWithDefault(20_000),
  factor: Schema.optionalWith(Schema.Number.pipe(Schema.greaterThanOrEqualTo(1)), { default: () => 2 }),
  jitter: Schema.optionalWith(Schema.Union(Schema.Boolean, UnitInterval), { default: () => true }),
  maxElapsed: durationWithDefault(60_000),
  honourRetryAfter: Schema.optionalWith(Schema.Boolean, { default: () => true })
}) {
  /**
   * Reads the retry policy from the environment (`BEDROCK_RETRY_*`), with the defaults above.
   *
   * @since 0.1.0
   */
  static readonly fromEnv: Config.Config<RetryConfig> = Config.all({
    maxAttempts: optionalVar("BEDROCK_RETRY_MAX_ATTEMPTS", Schema.compose(Schema.NumberFromString, PositiveInt)),
    baseDelay: optionalVar("BEDROCK_RETRY_BASE_DELAY_MS", MillisFromString),
    maxDelay: optionalVar("BEDROCK_RETRY_MAX_DELAY_MS", MillisFromString),
    factor: optionalVar(
      "BEDROCK_RETRY_FACTOR",
      Schema.compose(Schema.NumberFromString, Schema.Number.pipe(Schema.greaterThanOrEqualTo(1)))
    ),
    jitter: optionalVar(
      "BEDROCK_RETRY_JITTER",
      Schema.transformOrFail(Schema.String, Schema.Union(Schema.Boolean, UnitInterval), {
        strict: true,
        decode: (s, _, ast) => {
          const word = BOOLEAN_WORDS[s.trim().toLowerCase()]
          const ratio = s.trim() === "" ? Number.NaN : Number(s)
          return word !== undefined
            ? ParseResult.succeed(word)
            : ratio >= 0 && ratio <= 1
            ? ParseResult.succeed(ratio)
            : ParseResult.fail(new ParseResult.Type(ast, s, "expected true, false or a ratio between 0 and 1"))
        },
        encode: (value) => ParseResult.succeed(String(value))
      })
    ),
    maxElapsed: optionalVar("BEDROCK_RETRY_MAX_ELAPSED_MS", MillisFromString),
    honourRetryAfter: optionalVar("BEDROCK_RETRY_HONOUR_RETRY_AFTER", BooleanFromEnv)
  }).pipe(Config.map((env) => new RetryConfig(defined(env))))
}

/**
 * Circuit breaker policy. Defaults: opens after `failureThreshold` 5 consecutive counted failures, stays open for
 * `resetTimeout` 30 s, then lets `halfOpenMaxProbes` 1 concurrent probe through, and closes after `successThreshold` 1
 * successful probe. Which failures count is decided by the breaker (retryable errors by default).
 *
 * @since 0.1.0
 * @category models
 */
export class CircuitBreakerConfig extends Schema.Class<CircuitBreakerConfig>("bedrock-llm/CircuitBreakerConfig")({
  failureThreshold: Schema.optionalWith(PositiveInt, { default: () => 5 }),
  resetTimeout: durationWithDefault(30_000),
  halfOpenMaxProbes: Schema.optionalWith(PositiveInt, { default: () => 1 }),
  successThreshold: Schema.optionalWith(PositiveInt, { default: () => 1 })
}) {
  /**
   * Reads the breaker policy from the environment (`BEDROCK_BREAKER_*`), with the defaults above.
   *
   * @since 0.1.0
   */
  static readonly fromEnv: Config.Config<CircuitBreakerConfig> = Config.all({
    failureThreshold: optionalVar(
      "BEDROCK_BREAKER_FAILURE_THRESHOLD",
      Schema.compose(Schema.NumberFromString, PositiveInt)
    ),
    resetTimeout: optionalVar("BEDROCK_BREAKER_RESET_TIMEOUT_MS", MillisFromString),
    halfOpenMaxProbes: optionalVar(
      "BEDROCK_BREAKER_HALF_OPEN_MAX_PROBES",
      Schema.compose(Schema.NumberFromString, PositiveInt)
    ),
    successThreshold: optionalVar(
      "BEDROCK_BREAKER_SUCCESS_THRESHOLD",
      Schema.compose(Schema.NumberFromString, PositiveInt)
    )
  }).pipe(Config.map((env) => new CircuitBreakerConfig(defined(env))))
}

/**
 * A `Config` for one environment variable decoded with a schema from its string value. An invalid value fails with
 * `ConfigError.InvalidData` at the variable's path, with the variable's name in the message.
 *
 * @since 0.1.0
 * @category constructors
 */
export function variable<A, I extends string>(name: string, schema: Schema.Schema<A, I>): Config.Config<A> {
  const decode = ParseResult.decodeUnknownEither(schema)
  return Config.string(name).pipe(
    Config.mapOrFail((raw) =>
      Either.mapLeft(
        decode(raw),
        (error) =>
          ConfigError.InvalidData([], `${name}: invalid value ${describeRaw(name, raw)}: ${describeIssue(error)}`)
      )
    )
  )
}

const SECRET_NAME = /SECRET|SESSION_TOKEN|PASSWORD|ACCESS_KEY/i

const describeRaw = (name: string, raw: string): string =>
  SECRET_NAME.test(name) ? "(hidden)" : JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}...` : raw)

const describeIssue = (issue: ParseResult.ParseIssue): string =>
  Array.from(new Set(ParseResult.ArrayFormatter.formatIssueSync(issue).map((entry) => entry.message))).join("; ")

function optionalVar<A, I extends string>(name: string, schema: Schema.Schema<A, I>): Config.Config<A | undefined> {
  return Config.option(variable(name, schema)).pipe(Config.map(Option.getOrUndefined))
}

function modelConfigFromEnv(defaultModelId: Option.Option<string>): Config.Config<ModelConfig> {
  const modelId = variable("BEDROCK_MODEL_ID", ModelId)
  return Config.all({
    modelId: Option.match(defaultModelId, {
      onNone: () => modelId,
      onSome: (fallback) => Config.withDefault(modelId, fallback)
    }),
    maxTokens: optionalVar("BEDROCK_MAX_TOKENS", Schema.compose(Schema.NumberFromString, PositiveInt)),
    temperature: optionalVar("BEDROCK_TEMPERATURE", Schema.compose(Schema.NumberFromString, UnitInterval)),
    topP: optionalVar("BEDROCK_TOP_P", Schema.compose(Schema.NumberFromString, UnitInterval)),
    topK: optionalVar("BEDROCK_TOP_K", Schema.compose(Schema.NumberFromString, NonNegativeInt)),
    stopSequences: optionalVar("BEDROCK_STOP_SEQUENCES", JsonFromString(Schema.Array(Schema.String))),
    system: optionalVar("BEDROCK_SYSTEM_PROMPT", Schema.String),
    additionalModelRequestFields: optionalVar("BEDROCK_ADDITIONAL_MODEL_REQUEST_FIELDS", JsonFromString(JsonObject)),
    guardrailId: optionalVar("BEDROCK_GUARDRAIL_ID", NonEmptyTrimmed),
    guardrailVersion: optionalVar("BEDROCK_GUARDRAIL_VERSION", NonEmptyTrimmed),
    guardrailTrace: optionalVar("BEDROCK_GUARDRAIL_TRACE", literalFromEnv(GuardrailTrace.literals)),
    guardrailStreamMode: optionalVar("BEDROCK_GUARDRAIL_STREAM_MODE", literalFromEnv(GuardrailStreamMode.literals)),
    latency: optionalVar("BEDROCK_PERFORMANCE_LATENCY", literalFromEnv(Latency.literals)),
    serviceTier: optionalVar("BEDROCK_SERVICE_TIER", literalFromEnv(ServiceTier.literals)),
    requestMetadata: optionalVar("BEDROCK_REQUEST_METADATA", JsonFromString(StringRecord))
  }).pipe(Config.mapOrFail((env) => {
    const { guardrailId, guardrailStreamMode, guardrailTrace, guardrailVersion, ...fields } = env
    if ((guardrailId === undefined) !== (guardrailVersion === undefined)) {
      const missing = guardrailId === undefined ? "BEDROCK_GUARDRAIL_ID" : "BEDROCK_GUARDRAIL_VERSION"
      return Either.left(
        ConfigError.MissingData(
          [missing],
          `${missing} is required when ${
            missing === "BEDROCK_GUARDRAIL_ID" ? "BEDROCK_GUARDRAIL_VERSION" : "BEDROCK_GUARDRAIL_ID"
          } is set`
        )
      )
    }
    const guardrail = guardrailId !== undefined && guardrailVersion !== undefined
      ? {
        identifier: guardrailId,
        version: guardrailVersion,
        ...defined({ trace: guardrailTrace, streamProcessingMode: guardrailStreamMode })
      }
      : undefined
    return Either.right(new ModelConfig({ ...defined(fields), modelId: fields.modelId, guardrail }))
  }))
}
