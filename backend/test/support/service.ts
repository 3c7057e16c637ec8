/**
 * Test harness: the service on an ephemeral loopback port with the library's emulator behind it and in-memory stores
 * (or DynamoDB stores on a given endpoint), closed with the scope.
 */
import { BedrockRuntime, Config as LibraryConfig } from "bedrock-llm"
import * as Emulator from "bedrock-llm/emulator"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { Dynamo } from "../../src/Dynamo.js"
import { Gateway } from "../../src/Gateway.js"
import * as ApiKey from "../../src/keys/ApiKey.js"
import { type KeyRecord, type KeySettings, KeyStore } from "../../src/keys/KeyStore.js"
import type { Fields } from "../../src/RequestLog.js"
import { layer as serviceLayer, Running } from "../../src/Server.js"
import * as ServiceConfig from "../../src/ServiceConfig.js"

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
}

export const localCredentials = { accessKeyId: "AKIDLOCALTEST", secretAccessKey: "local-test-secret" }

/** A Bedrock runtime on an emulator. */
export const runtimeOn = (emulator: Emulator.RunningEmulator) =>
  BedrockRuntime.layer(
    new LibraryConfig.ClientConfig({
      region: "us-east-1",
      endpoint: emulator.url,
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
          keysTable: "keys",
          limitsTable: "limits",
          usageTable: "usage",
          endpoint: options.dynamoEndpoint
        }
      }),
      ...options.settings
    })
    const context = yield* Layer.build(serviceLayer({
      settings,
      bedrock: runtimeOn(emulator),
      ...(options.dynamoEndpoint === undefined ? {} : {
        dynamo: Dynamo.layer({
          endpoint: options.dynamoEndpoint,
          region: "us-east-1",
          credentials: { accessKeyId: "local", secretAccessKey: "local-secret" }
        })
      }),
      onLog: (fields) => Effect.sync(() => void logs.push(fields))
    }))
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
      logs,
      running,
      context: context as Context.Context<Running | KeyStore | Gateway>
    }
  })
