import type { EngineError, EngineResult } from "./types.js"

/** A validation failure raised inside the engine and turned into an EngineResult at its boundary. @internal */
export class Reject {
  constructor(readonly error: EngineError) {}
}

/** @internal */
export const reject = (message: string, type = "ValidationException", status = 400): never => {
  throw new Reject({ type, status, message })
}

/** @internal */
export const rejectMalformed = (problems: ReadonlyArray<string>): never =>
  reject(
    problems.length === 1
      ? `Malformed input request: ${problems[0]}, please reformat your input and try again.`
      : `Malformed input request: ${problems.length} schema violations found, ${
        problems.join(", ")
      }, please reformat your input and try again.`
  )

/** Coral-style constraint failure naming the field. @internal */
export const rejectField = (path: string, value: unknown, constraint: string): never =>
  reject(
    `1 validation error detected: Value ${describe(value)} at '${path}' failed to satisfy constraint: ${constraint}`
  )

/** The model's own complaint, as Bedrock relays it. @internal */
export const rejectModel = (message: string): never => reject(`The model returned the following errors: ${message}`)

const describe = (value: unknown): string => {
  if (value === null || value === undefined) return "null"
  if (typeof value === "string") return `'${value.length > 64 ? value.slice(0, 64) + "..." : value}'`
  if (typeof value === "number" || typeof value === "boolean") return `'${String(value)}'`
  return Array.isArray(value) ? "'[...]'" : "'{...}'"
}

/**
 * Runs engine code at a public boundary: a Reject becomes its error; anything unexpected becomes a 500
 * InternalServerException (a bug in the engine, never a crash of the server).
 *
 * @internal
 */
export const guard = <A>(f: () => A): EngineResult<A> => {
  try {
    return { ok: true, value: f() }
  } catch (e) {
    if (e instanceof Reject) return { ok: false, error: e.error }
    return {
      ok: false,
      error: {
        type: "InternalServerException",
        status: 500,
        message: `The emulator engine failed: ${e instanceof Error ? e.message : String(e)}`
      }
    }
  }
}

/** @internal */
export const rejectInvalidModel = (): never => reject("The provided model identifier is invalid.")
