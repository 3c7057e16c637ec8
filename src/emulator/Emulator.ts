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
import { type FaultPlan, type FaultRates, makeRandomFaults } from "./internal/faults.js"
import { loadRecordings, makeReplayBook, type Recording, type ReplayBook } from "./internal/replay.js"
import { loadScenario, makeScript, type ScenarioJson, type Script } from "./internal/scenario.js"
import { makeCore, type RequestLog } from "./internal/server.js"
import type { Stats } from "./internal/stats.js"
import { listen } from "./internal/transport.js"

export type { Credentials, FaultPlan, FaultRates, Recording, RequestLog, ScenarioJson, Stats }

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
    onRequest: options.onRequest
  })
  const transport = await listen({ host, port: options.port ?? 0 }, core.handle).catch((cause: unknown) => {
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
    close: () => {
      if (closing === undefined) {
        core.shutdown()
        closing = transport.close()
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
