/**
 * Fault injection: the `x-emulator-fault` request header, a queued plan (next N requests), and seeded random
 * rates from configuration.
 */
import type { DisconnectMode } from "./transport.js"
import { bedrockError, streamExceptionName, type WireError } from "./wire.js"

export type Fault =
  | { readonly _tag: "Error"; readonly kind: string; readonly error: WireError }
  | { readonly _tag: "Latency"; readonly ms: number }
  | { readonly _tag: "Reset" }
  | { readonly _tag: "StreamException"; readonly after: number; readonly exceptionType: string }
  | { readonly _tag: "Truncate"; readonly after: number }
  | { readonly _tag: "BadCrc"; readonly after: number }
  | { readonly _tag: "Stall"; readonly after: number }
  /** After `after` events, the response ends as a complete one would (HTTP/1.1's last chunk, HTTP/2's END_STREAM). */
  | { readonly _tag: "End"; readonly after: number }
  /** After `after` events, at a frame boundary, the TCP connection is closed (FIN) or reset (RST). */
  | { readonly _tag: "Disconnect"; readonly after: number; readonly mode: DisconnectMode }

/** The stats key of a fault. */
export const faultKind = (fault: Fault): string => {
  switch (fault._tag) {
    case "Error":
      return fault.kind
    case "Latency":
      return "latency"
    case "Reset":
      return "reset"
    case "StreamException":
      return "stream-exception"
    case "Truncate":
      return "truncate"
    case "BadCrc":
      return "bad-crc"
    case "Stall":
      return "stall"
    case "End":
      return "end"
    case "Disconnect":
      return fault.mode
  }
}

export const errorFaults: Record<string, string> = {
  "throttle": "ThrottlingException",
  "model-not-ready": "ModelNotReadyException",
  "internal": "InternalServerException",
  "unavailable": "ServiceUnavailableException",
  "timeout": "ModelTimeoutException",
  "model-error": "ModelErrorException",
  "quota": "ServiceQuotaExceededException",
  "access-denied": "AccessDeniedException",
  "validation": "ValidationException",
  "not-found": "ResourceNotFoundException"
}

const errorFault = (kind: string, type: string): Fault => ({
  _tag: "Error",
  kind,
  error: bedrockError(
    type,
    undefined,
    type === "ModelErrorException" ? { originalStatusCode: 500, resourceName: "emulator" } : undefined
  )
})

const count = (value: string | undefined): number | undefined =>
  value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined

export type ParseResult = { readonly ok: true; readonly faults: ReadonlyArray<Fault> } | {
  readonly ok: false
  readonly message: string
}

/**
 * Parses one fault spec such as `throttle`, `latency=200`, `stream-exception=3:throttlingException` or `close=3`.
 * `reset` alone resets the exchange before any response; `reset=<n>` resets the connection after `n` events.
 */
export const parseFault = (spec: string): Fault | string => {
  const trimmed = spec.trim()
  const eq = trimmed.indexOf("=")
  const name = eq === -1 ? trimmed : trimmed.slice(0, eq)
  const arg = eq === -1 ? undefined : trimmed.slice(eq + 1)
  const errorType = errorFaults[name]
  if (errorType !== undefined && arg === undefined) return errorFault(name, errorType)
  if (name === "reset" && arg === undefined) return { _tag: "Reset" }
  if (name === "latency") {
    const ms = count(arg)
    return ms !== undefined ? { _tag: "Latency", ms } : `latency needs milliseconds: "${trimmed}"`
  }
  if (name === "stream-exception") {
    const [after, exception] = (arg ?? "").split(":")
    const n = count(after)
    if (n === undefined) return `stream-exception needs an event count: "${trimmed}"`
    return {
      _tag: "StreamException",
      after: n,
      exceptionType: exception !== undefined && exception !== ""
        ? streamExceptionName(exception)
        : "modelStreamErrorException"
    }
  }
  if (name === "close" || name === "reset") {
    const n = count(arg)
    if (n === undefined) return `${name} needs an event count: "${trimmed}"`
    return { _tag: "Disconnect", after: n, mode: name }
  }
  if (name === "truncate" || name === "bad-crc" || name === "stall" || name === "end") {
    const n = count(arg)
    if (n === undefined) return `${name} needs an event count: "${trimmed}"`
    return {
      _tag: name === "truncate" ? "Truncate" : name === "bad-crc" ? "BadCrc" : name === "stall" ? "Stall" : "End",
      after: n
    }
  }
  return `unknown emulator fault "${trimmed}"`
}

/** Parses a comma-separated list of fault specs (the `x-emulator-fault` header). */
export const parseFaults = (header: string): ParseResult => {
  const faults: Array<Fault> = []
  for (const spec of header.split(",")) {
    if (spec.trim() === "") continue
    const fault = parseFault(spec)
    if (typeof fault === "string") return { ok: false, message: fault }
    faults.push(fault)
  }
  return { ok: true, faults }
}

/** A small deterministic PRNG (xorshift32) returning floats in [0, 1). */
export const seededRandom = (seed: number): () => number => {
  let state = (Math.floor(seed) >>> 0) || 0x2545f491
  return () => {
    state ^= state << 13
    state >>>= 0
    state ^= state >>> 17
    state ^= state << 5
    state >>>= 0
    return state / 4294967296
  }
}

/** Fault rates (0..1 per request) drawn from a seeded PRNG, so a run is reproducible. */
export interface FaultRates {
  readonly seed?: number | undefined
  readonly throttle?: number | undefined
  readonly modelNotReady?: number | undefined
  readonly internal?: number | undefined
  readonly unavailable?: number | undefined
  readonly timeout?: number | undefined
  readonly modelError?: number | undefined
  readonly reset?: number | undefined
  readonly latency?: number | undefined
  readonly latencyMs?: number | undefined
  readonly streamException?: number | undefined
  readonly truncate?: number | undefined
  readonly badCrc?: number | undefined
  readonly stall?: number | undefined
}

const rateKinds: ReadonlyArray<readonly [keyof FaultRates, string]> = [
  ["throttle", "throttle"],
  ["modelNotReady", "model-not-ready"],
  ["internal", "internal"],
  ["unavailable", "unavailable"],
  ["timeout", "timeout"],
  ["modelError", "model-error"],
  ["reset", "reset"],
  ["streamException", "stream-exception"],
  ["truncate", "truncate"],
  ["badCrc", "bad-crc"],
  ["stall", "stall"]
]

/** Draws the faults of one request from the configured rates: at most one failure, plus latency. */
export const makeRandomFaults = (rates: FaultRates): () => ReadonlyArray<Fault> => {
  const random = seededRandom(rates.seed ?? 1)
  return () => {
    const faults: Array<Fault> = []
    const latencyRate = rates.latency ?? 0
    if (latencyRate > 0 && random() < latencyRate) faults.push({ _tag: "Latency", ms: rates.latencyMs ?? 100 })
    for (const [key, kind] of rateKinds) {
      const rate = rates[key] ?? 0
      if (typeof rate !== "number" || rate <= 0 || random() >= rate) continue
      const after = Math.floor(random() * 4)
      const fault = parseFault(
        kind === "stream-exception" || kind === "truncate" || kind === "bad-crc" || kind === "stall"
          ? `${kind}=${after}`
          : kind
      )
      if (typeof fault !== "string") faults.push(fault)
      break
    }
    return faults
  }
}

/** A queue of per-request fault sets: each entry applies to one upcoming request. */
export interface FaultPlan {
  /** Queues one entry per argument, e.g. `enqueue("throttle", "throttle")` fails the next two requests. */
  readonly enqueue: (...specs: ReadonlyArray<string>) => void
  /** Drops every queued entry. */
  readonly clear: () => void
  /** How many entries are still queued. */
  readonly pending: () => number
}

export interface FaultQueue extends FaultPlan {
  readonly take: () => ReadonlyArray<Fault> | undefined
}

/** A fault plan; `enqueue` throws on a spec it cannot parse, since that is a bug in the calling test. */
export const makeFaultQueue = (): FaultQueue => {
  const queue: Array<ReadonlyArray<Fault>> = []
  return {
    enqueue: (...specs) => {
      const parsed = specs.map((spec) => {
        const result = parseFaults(spec)
        if (!result.ok) throw new TypeError(result.message)
        return result.faults
      })
      queue.push(...parsed)
    },
    clear: () => {
      queue.length = 0
    },
    pending: () => queue.length,
    take: () => queue.shift()
  }
}
