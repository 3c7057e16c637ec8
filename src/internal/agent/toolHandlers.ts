/**
 * How handler functions become `Tool.HandlerService`s that never throw, and what a Layer provides when the Effect
 * that builds its handlers dies: a service for each tool that answers every call with a defect, so that the model
 * learns the tool is unavailable and the run goes on. The defect itself is logged once, at build time, for the
 * operator; it is not sent to the model (it is about the deployment, not about the call).
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type { CallContext, HandlerService } from "../../Tool.js"

type AnyHandler = (parameters: any, context: CallContext) => Effect.Effect<unknown, unknown, any>

/** A handler over `fn` and the services it runs with; a throw anywhere in `fn` becomes a defect of its Effect. */
export const service = (fn: AnyHandler, context: Context.Context<never>): HandlerService => ({
  handle: (parameters, call) =>
    Effect.provide(Effect.suspend(() => fn(parameters, call)), context) as Effect.Effect<unknown, unknown>
})

/** The handler of a tool that has none: each call dies with why, which the tool's outcome reports as a `Defect`. */
export const unavailable = (reason: string): HandlerService => ({
  handle: () => Effect.dieMessage(`the tool is unavailable: ${reason}`)
})

/** Why a tool is unavailable when the Effect that builds its handler died. */
export const notBuilt = "its handler could not be built"

/**
 * The handlers `build` makes, or `undefined` when it dies (a throw in the Effect or in a service it reads), after
 * logging the defect at Error with the names of the tools it leaves without a handler. Typed failures and
 * interruption are the Layer's, as any Layer's.
 */
export const buildOrLog = <A, E, R>(
  build: Effect.Effect<A, E, R>,
  tools: ReadonlyArray<string>
): Effect.Effect<A | undefined, E, R> =>
  Effect.catchAllDefect(build, (defect) =>
    Effect.as(
      Effect.logError(
        `bedrock-llm: the handlers of ${tools.join(", ")} could not be built; every call of ${
          tools.length === 1 ? "it" : "them"
        } is answered with a Defect result ("the tool is unavailable")`,
        Cause.die(defect)
      ),
      undefined
    ))
