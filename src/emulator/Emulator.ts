/**
 * A wire-accurate local Amazon Bedrock Runtime for tests, examples, fault injection and benchmarks: the real
 * `@aws-sdk/client-bedrock-runtime` talks to it on loopback over HTTP/2 or HTTP/1.1.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as Engine from "./engine/index.js"
import type { Credentials } from "./internal/auth.js"
import type { JobFault } from "./internal/batch/faults.js"
import { type JobTable, makeJobTable, type Timeline } from "./internal/batch/jobs.js"
import { type BatchQuotas, defaultQuotas } from "./internal/batch/quotas.js"
import { type FaultPlan, type FaultRates, makeRandomFaults } from "./internal/faults.js"
import { loadRecordings, makeReplayBook, type Recording, type ReplayBook } from "./internal/replay.js"
import { listenS3, type RunningS3Server } from "./internal/s3/server.js"
import { type ObjectStore, openStore } from "./internal/s3/store.js"
import { loadScenario, makeScript, type ScenarioJson, type Script } from "./internal/scenario.js"
import { makeCore, type RequestLog } from "./internal/server.js"
import type { Stats } from "./internal/stats.js"
import { listen } from "./internal/transport.js"

export type {
  BatchQuotas,
  Credentials,
  FaultPlan,
  FaultRates,
  JobFault,
  Recording,
  RequestLog,
  ScenarioJson,
  Stats,
  Timeline
}

/**
 * Options of the emulator's batch inference (the control-plane job operations and an S3-compatible server).
 *
 * @since 0.1.0
 * @category models
 */
export interface BatchOptions {
  /** How jobs move through their states: `{ stepMs }` per state (default `{ stepMs: 0 }`), or `"manual"`. */
  readonly timeline?: Timeline | undefined
  /** The quotas jobs are checked against; Bedrock's default quotas unless set. */
  readonly quotas?: Partial<BatchQuotas> | undefined
  /** TCP port of the S3 server; `0` (the default) picks a free one. */
  readonly s3Port?: number | undefined
}

/**
 * The batch side of a running emulator.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunningBatch {
  /** Endpoint of the S3-compatible server for `@aws-sdk/client-s3` (path-style: `forcePathStyle: true`). */
  readonly s3Url: string
  /** Moves every unfinished job one state on (the `"manual"` timeline); resolves when done. */
  readonly advance: () => Promise<void>
  /** Gives the next created job a fault: it fails, expires or completes partially. */
  readonly injectFault: (fault: JobFault) => void
  /** Resolves when no job is in the middle of a step. */
  readonly idle: () => Promise<void>
}

/**
 * Options of the emulator; every field is optional.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Interface to bind; `127.0.0.1` unless another one is asked for explicitly. */
  readonly host?: string | undefined
  /** TCP port; `0` (the default) picks a free ephemeral port. */
  readonly port?: number | undefined
  /** When set, SigV4 signatures are verified against these credentials (otherwise only their form is checked). */
  readonly credentials?: Credentials | undefined
  /** Accept Bedrock API keys (`authorization: Bearer ...`) as the service does; default `true`. */
  readonly allowBearerToken?: boolean | undefined
  /** Delay before the first event of a stream, in milliseconds; default 0. */
  readonly timeToFirstTokenMs?: number | undefined
  /** Pace of delta events in streams (one delta per token); 0 (the default) sends as fast as possible. */
  readonly tokensPerSecond?: number | undefined
  /** Seeded random fault rates applied to every model request. */
  readonly faults?: FaultRates | undefined
  /** Scripted mode: a scenario object, or the path of a scenario JSON file. */
  readonly scenario?: ScenarioJson | string | undefined
  /** Replay mode: a recordings directory or file, or the recordings themselves. */
  readonly replay?: string | ReadonlyArray<Recording> | undefined
  /** Adds the service's random `"p"` padding to ConverseStream payloads; default `true`. */
  readonly padding?: boolean | undefined
  /** Largest request body accepted, in bytes; default 32 MiB. */
  readonly maxBodyBytes?: number | undefined
  /** Called once per model request (never with credentials or signatures). */
  readonly onRequest?: ((entry: RequestLog) => void) | undefined
  /** Serves batch inference jobs (Bedrock's control-plane paths) and starts an S3-compatible server beside them. */
  readonly batch?: BatchOptions | boolean | undefined
}

/**
 * A started emulator.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunningEmulator {
  /** Endpoint for the SDK, e.g. `http://127.0.0.1:40123`. */
  readonly url: string
  readonly host: string
  readonly port: number
  /** Counters: requests by operation, statuses, faults injected, streams aborted by the client, active streams. */
  readonly stats: () => Stats
  /** Sets every counter back to zero. */
  readonly resetStats: () => void
  /** Resets counters, the fault plan, and the scenario and replay cursors. */
  readonly reset: () => void
  /** The fault plan: `faults.enqueue("throttle", "throttle")` fails the next two requests. */
  readonly faults: FaultPlan
  /** Batch inference, when started with `batch`. */
  readonly batch: RunningBatch | undefined
  /** Stops listening and destroys open connections and streams. */
  readonly close: () => Promise<void>
}

/**
 * The emulator failed to start (port in use, unreadable scenario or recordings).
 *
 * @since 0.1.0
 * @category errors
 */
export class EmulatorStartError extends Data.TaggedError("EmulatorStartError")<{
  readonly message: string
  readonly cause?: unknown
}> {}

const resolveScript = async (scenario: ScenarioJson | string | undefined): Promise<Script | undefined> => {
  if (scenario === undefined) return undefined
  const json = typeof scenario === "string" ? await loadScenario(scenario) : scenario
  const script = makeScript(json)
  if (typeof script === "string") throw new EmulatorStartError({ message: `Invalid scenario: ${script}` })
  return script
}

const resolveReplay = async (replay: string | ReadonlyArray<Recording> | undefined): Promise<ReplayBook | undefined> =>
  replay === undefined ? undefined : makeReplayBook(typeof replay === "string" ? await loadRecordings(replay) : replay)

interface BatchSide {
  readonly jobs: JobTable
  readonly s3: RunningS3Server
  readonly store: ObjectStore
  readonly close: () => Promise<void>
}

const startBatch = async (option: BatchOptions | boolean | undefined, host: string): Promise<BatchSide | undefined> => {
  if (option === undefined || option === false) return undefined
  const batch = option === true ? {} : option
  const store = await openStore()
  const s3 = await listenS3(store, host, batch.s3Port ?? 0).catch(async (cause: unknown) => {
    await store.close()
    throw new EmulatorStartError({ message: `Cannot start the S3 server: ${String(cause)}`, cause })
  })
  const jobs = makeJobTable({
    store,
    engine: Engine,
    quotas: { ...defaultQuotas, ...batch.quotas },
    timeline: batch.timeline ?? { stepMs: 0 }
  })
  return {
    jobs,
    s3,
    store,
    close: async () => {
      jobs.shutdown()
      await jobs.idle()
      await s3.close()
      await store.close()
    }
  }
}

/**
 * Starts an emulator (loopback, ephemeral port unless told otherwise); rejects with `EmulatorStartError`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const start = async (options: Options = {}): Promise<RunningEmulator> => {
  const host = options.host ?? "127.0.0.1"
  const [script, replay] = await Promise.all([resolveScript(options.scenario), resolveReplay(options.replay)]).catch(
    (cause: unknown) => {
      throw cause instanceof EmulatorStartError
        ? cause
        : new EmulatorStartError({ message: `Cannot read emulator input: ${String(cause)}`, cause })
    }
  )
  const batch = await startBatch(options.batch, host)
  const core = makeCore({
    engine: Engine,
    credentials: options.credentials,
    allowBearerToken: options.allowBearerToken ?? true,
    timeToFirstTokenMs: options.timeToFirstTokenMs ?? 0,
    tokensPerSecond: options.tokensPerSecond ?? 0,
    padding: options.padding ?? true,
    maxBodyBytes: options.maxBodyBytes ?? 32 * 1024 * 1024,
    randomFaults: options.faults !== undefined ? makeRandomFaults(options.faults) : undefined,
    script,
    replay,
    onRequest: options.onRequest,
    batch: batch === undefined
      ? undefined
      : { jobs: batch.jobs, knownModel: (modelId) => Engine.resolveModel(modelId) !== undefined }
  })
  const transport = await listen({ host, port: options.port ?? 0 }, core.handle).catch(async (cause: unknown) => {
    await batch?.close()
    throw new EmulatorStartError({ message: `Cannot listen on ${host}:${options.port ?? 0}: ${String(cause)}`, cause })
  })
  const port = transport.address.port
  const urlHost = host.includes(":") ? `[${host}]` : host
  let closing: Promise<void> | undefined
  return {
    url: `http://${urlHost}:${port}`,
    host,
    port,
    stats: core.stats.snapshot,
    resetStats: core.stats.reset,
    reset: core.reset,
    faults: { enqueue: core.faults.enqueue, clear: core.faults.clear, pending: core.faults.pending },
    batch: batch === undefined ? undefined : {
      s3Url: batch.s3.url,
      advance: batch.jobs.advance,
      injectFault: batch.jobs.injectFault,
      idle: batch.jobs.idle
    },
    close: () => {
      if (closing === undefined) {
        core.shutdown()
        closing = transport.close().then(() => batch?.close())
      }
      return closing
    }
  }
}

/**
 * Starts an emulator whose `close` is tied to the current scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: Options): Effect.Effect<RunningEmulator, EmulatorStartError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: () => start(options),
      catch: (cause) =>
        cause instanceof EmulatorStartError ? cause : new EmulatorStartError({ message: String(cause), cause })
    }),
    (emulator) => Effect.promise(() => emulator.close())
  )

/**
 * The running emulator as a service; `Emulator.layer()` starts one on an ephemeral loopback port for the layer's
 * lifetime.
 *
 * @since 0.1.0
 * @category services
 */
export class Emulator extends Context.Tag("bedrock-llm/Emulator")<Emulator, RunningEmulator>() {
  /**
   * A scoped layer: the emulator starts when the layer is built and closes with its scope.
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layer = (options?: Options): Layer.Layer<Emulator, EmulatorStartError> =>
    Layer.scoped(Emulator, make(options))
}
