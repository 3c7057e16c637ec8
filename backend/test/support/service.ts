/**
 * Test harness: the service on an ephemeral loopback port with the library's emulator behind it and in-memory stores
 * (or DynamoDB stores on a given endpoint), closed with the scope.
 */
import { BedrockRuntime, Config as LibraryConfig } from "bedrock-llm"
import * as BatchInference from "bedrock-llm/BatchInference"
import * as Emulator from "bedrock-llm/emulator"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { Gateway } from "../../src/Gateway.js"
import * as ApiKey from "../../src/keys/ApiKey.js"
import { type KeyRecord, type KeySettings, KeyStore } from "../../src/keys/KeyStore.js"
import type { Fields } from "../../src/RequestLog.js"
import { layer as serviceLayer, Running } from "../../src/Server.js"
import * as ServiceConfig from "../../src/ServiceConfig.js"
import { dynamoOn, tables } from "./dynalite.js"
import { probeApi } from "./probe.js"

/** Settings of a key made by `createKey`: every API and model unless overridden. */
export const openKey: KeySettings = {
  name: "test key",
  allowedModels: ["*"],
  allowedApis: ["openai", "anthropic", "bedrock", "agents"]
}

export interface TestService {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string
  /** The admin key's secret. */
  readonly adminKey: string
  /** The emulator behind the gateway (`stats().requests` counts what reached "Bedrock"). */
  readonly emulator: Emulator.RunningEmulator
  /** Requests the emulator received, all operations. */
  readonly bedrockRequests: () => number
  /** Creates a user key in the service's key store; its secret in clear. */
  readonly createKey: (
    settings?: Partial<KeySettings>
  ) => Effect.Effect<{ readonly secret: string; readonly record: KeyRecord }>
  /** The service's key store. */
  readonly keys: Context.Tag.Service<KeyStore>
  /** Every request's finished log line, in order. */
  readonly logs: ReadonlyArray<Fields>
  readonly running: Context.Tag.Service<Running>
  readonly context: Context.Context<Running | KeyStore | Gateway>
}

export interface TestOptions {
  readonly settings?: Partial<ServiceConfig.Settings> | undefined
  readonly emulator?: Emulator.Options | undefined
  /** Reuse a running emulator (several instances behind one). */
  readonly sharedEmulator?: Emulator.RunningEmulator | undefined
  /** DynamoDB stores on this endpoint (tables made with `createTables`). */
  readonly dynamoEndpoint?: string | undefined
  /** Connection settings of the service's Bedrock client (default the library's: HTTP/2). */
  readonly connection?: ConstructorParameters<typeof LibraryConfig.ConnectionConfig>[0] | undefined
  /** A layer the service is built with (telemetry, a logger). */
  readonly provide?: Layer.Layer<never> | undefined
  /** The clock of every request (default the live one); see `frozenClock`. */
  readonly clock?: Clock.Clock | undefined
  /** Serves the Batch API on the emulator's batch jobs and S3 server (start it with `emulator: { batch }`). */
  readonly batch?: Partial<BatchInference.Config> | undefined
}

/** A clock that runs at the live pace from `at` (epoch ms): several instances share one origin, TTLs still pass. */
export const shiftedClock = (at: number): Clock.Clock => {
  const live = Clock.make()
  const origin = Date.now()
  const now = () => at + (Date.now() - origin)
  return Object.assign(Object.create(live) as Clock.Clock, {
    unsafeCurrentTimeMillis: now,
    unsafeCurrentTimeNanos: () => BigInt(now()) * 1_000_000n,
    currentTimeMillis: Effect.sync(now),
    currentTimeNanos: Effect.sync(() => BigInt(now()) * 1_000_000n)
  })
}

/** A clock whose time stands still at `at` (epoch ms) while its sleeps are real: windows and months stay put. */
/** 10:30:20 UTC on a December day: a time 40 s before its rate-limit window ends, for a `frozenClock`. */
export const middleOfAMinute = Date.UTC(2026, 11, 4, 10, 30, 20)

export const frozenClock = (at: number): Clock.Clock => {
  const live = Clock.make()
  return Object.assign(Object.create(live) as Clock.Clock, {
    unsafeCurrentTimeMillis: () => at,
    unsafeCurrentTimeNanos: () => BigInt(at) * 1_000_000n,
    currentTimeMillis: Effect.succeed(at),
    currentTimeNanos: Effect.succeed(BigInt(at) * 1_000_000n)
  })
}

export const localCredentials = { accessKeyId: "AKIDLOCALTEST", secretAccessKey: "local-test-secret" }

/** A Bedrock runtime on an emulator. */
export const runtimeOn = (
  emulator: Emulator.RunningEmulator,
  connection?: ConstructorParameters<typeof LibraryConfig.ConnectionConfig>[0]
) =>
  BedrockRuntime.layer(
    new LibraryConfig.ClientConfig({
      region: "us-east-1",
      endpoint: emulator.url,
      ...(connection === undefined ? {} : { connection: new LibraryConfig.ConnectionConfig(connection) }),
      credentials: new LibraryConfig.StaticCredentials({
        accessKeyId: localCredentials.accessKeyId,
        secretAccessKey: Redacted.make(localCredentials.secretAccessKey)
      })
    })
  )

/** Starts the service (and an emulator unless one is shared); everything stops with the scope. */
export const startService = (options: TestOptions = {}): Effect.Effect<TestService, unknown, Scope.Scope> =>
  Effect.gen(function*() {
    const emulator = options.sharedEmulator ?? (yield* Emulator.make(options.emulator))
    const admin = Redacted.value(yield* ApiKey.generate)
    const logs: Array<Fields> = []
    const settings = ServiceConfig.make({
      adminKeyHash: Option.some(Redacted.make(ApiKey.hash(admin))),
      ...(options.dynamoEndpoint === undefined ? {} : {
        store: {
          _tag: "dynamodb",
          ...tables,
          endpoint: options.dynamoEndpoint
        }
      }),
      ...options.settings
    })
    const batch = options.batch === undefined || emulator.batch === undefined ? undefined : {
      bucket: "gateway-batch",
      roleArn: "arn:aws:iam::123456789012:role/BedrockBatchInference",
      credentials: localCredentials,
      bedrockEndpoint: emulator.url,
      s3Endpoint: emulator.batch.s3Url,
      ...options.batch
    }
    if (batch !== undefined) yield* Effect.orDie(BatchInference.ensureBucket(batch))
    const built = Layer.build(Layer.provide(
      serviceLayer({
        settings,
        api: probeApi,
        batch,
        bedrock: runtimeOn(emulator, options.connection),
        ...(options.dynamoEndpoint === undefined ? {} : {
          dynamo: dynamoOn(options.dynamoEndpoint)
        }),
        onLog: (fields) => Effect.sync(() => void logs.push(fields))
      }),
      options.provide ?? Layer.empty
    ))
    const context = yield* (options.clock === undefined ? built : Effect.withClock(built, options.clock))
    const running = Context.get(context, Running)
    const keys = Context.get(context, KeyStore)
    return {
      url: running.url,
      adminKey: admin,
      emulator,
      bedrockRequests: () => emulator.stats().requests,
      createKey: (overrides) =>
        Effect.orDie(
          Effect.map(keys.create({ ...openKey, ...overrides }), ({ record, secret }) => ({
            record,
            secret: Redacted.value(secret)
          }))
        ),
      keys,
      logs,
      running,
      context: context as Context.Context<Running | KeyStore | Gateway>
    }
  })

/** JSON over HTTP with a bearer token: status, headers and parsed body. */
export const call = (
  url: string,
  options: {
    readonly method?: string
    readonly token?: string
    readonly body?: unknown
    readonly headers?: Record<string, string>
  } = {}
) =>
  Effect.promise(async () => {
    const response = await fetch(url, {
      method: options.method ?? (options.body === undefined ? "GET" : "POST"),
      headers: {
        ...(options.body === undefined ? {} : { "content-type": "application/json" }),
        ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
        ...options.headers
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) })
    })
    const text = await response.text()
    let body: any = text
    try {
      body = JSON.parse(text)
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, headers: response.headers, body }
  })
