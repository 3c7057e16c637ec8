import type { EngineError, EngineResult } from "./index.js"

/** @internal */
export const ok = <A>(value: A): EngineResult<A> => ({ ok: true, value })

/** @internal */
export const fail = (type: string, status: number, message: string): EngineResult<never> => ({
  ok: false,
  error: { type, status, message }
})

/** @internal */
export const validation = (message: string): EngineResult<never> => fail("ValidationException", 400, message)

/** @internal */
export const invalidModel: EngineResult<never> = validation("The provided model identifier is invalid.")

/** @internal */
export const malformed = (problems: ReadonlyArray<string>): EngineResult<never> =>
  validation(
    problems.length === 1
      ? `Malformed input request: ${problems[0]}, please reformat your input and try again.`
      : `Malformed input request: ${problems.length} schema violations found, ${
        problems.join(", ")
      }, please reformat your input and try again.`
  )

/** @internal */
export const fieldError = (path: string, value: unknown, constraint: string): EngineResult<never> =>
  validation(`1 validation error detected: Value ${describe(value)} at '${path}' failed to satisfy constraint: ${constraint}`)

const describe = (value: unknown): string => {
  if (value === null || value === undefined) return "null"
  if (typeof value === "string") return `'${value.length > 64 ? value.slice(0, 64) + "..." : value}'`
  if (typeof value === "number" || typeof value === "boolean") return `'${String(value)}'`
  return Array.isArray(value) ? "'[...]'" : "'{...}'"
}

/** @internal */
export const isErr = <A>(r: EngineResult<A>): r is { readonly ok: false; readonly error: EngineError } => !r.ok
