/**
 * A set of tools offered together, e.g. `Toolkit.make(GetWeather, Calculator)`, whose handlers are provided by one
 * Layer: `toolkit.toLayer({ get_weather: (params) => ..., calculator: (params) => ... })`.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { type Pipeable, pipeArguments } from "effect/Pipeable"
import type * as Scope from "effect/Scope"
import * as Conversation from "./Conversation.js"
import * as Handlers from "./internal/agent/toolHandlers.js"
import * as Tool from "./Tool.js"

/**
 * @since 0.1.0
 * @category models
 */
export const TypeId: unique symbol = Symbol.for("bedrock-llm/Toolkit")

/**
 * @since 0.1.0
 * @category models
 */
export type TypeId = typeof TypeId

/**
 * Tools keyed by name.
 *
 * @since 0.1.0
 * @category models
 */
export type ToolsByName<Tools extends ReadonlyArray<Tool.Any>> = { readonly [T in Tools[number] as T["name"]]: T }

/**
 * A handler for every tool of the record; each may require its own services.
 *
 * @since 0.1.0
 * @category models
 */
export type HandlersFrom<Tools extends Record<string, Tool.Any>> = {
  readonly [K in keyof Tools]: Tool.HandlerFn<Tools[K], any>
}

/**
 * The services the handlers of a record require.
 *
 * @since 0.1.0
 * @category models
 */
export type HandlersContext<Handlers> = {
  [K in keyof Handlers]: Handlers[K] extends (...args: ReadonlyArray<any>) => Effect.Effect<any, any, infer R> ? R
    : never
}[keyof Handlers]

/**
 * The handler services a toolkit's tools require (what `toLayer` provides).
 *
 * @since 0.1.0
 * @category models
 */
export type Requirements<Tools extends Record<string, Tool.Any>> = Tool.HandlerOf<Tools[keyof Tools]>

/**
 * A set of tools.
 *
 * @since 0.1.0
 * @category models
 */
export interface Toolkit<in out Tools extends Record<string, Tool.Any>> extends Pipeable {
  readonly [TypeId]: TypeId
  readonly tools: Tools
  /** The tool specs, in the order the tools were given. */
  readonly specs: ReadonlyArray<Conversation.ToolSpec>
  /**
   * A Layer with the handlers of every tool; give them directly or build them with an Effect. A throw in a handler
   * becomes a `Defect` outcome of that call; if the building Effect dies, the defect is logged at Error and every
   * call is a `Defect` ("the tool is unavailable"). Typed failures of the Effect stay the Layer's.
   */
  readonly toLayer: <Handlers extends HandlersFrom<Tools>, E = never, R = never>(
    handlers: Handlers | Effect.Effect<Handlers, E, R>
  ) => Layer.Layer<Requirements<Tools>, E, Exclude<R | HandlersContext<Handlers>, Scope.Scope>>
  /** Types a handlers record without building a Layer. */
  readonly of: <Handlers extends HandlersFrom<Tools>>(handlers: Handlers) => Handlers
}

/**
 * Any toolkit.
 *
 * @since 0.1.0
 * @category models
 */
export interface Any {
  readonly [TypeId]: TypeId
  readonly tools: Record<string, Tool.Any>
  readonly specs: ReadonlyArray<Conversation.ToolSpec>
}

/**
 * The tools of a toolkit.
 *
 * @since 0.1.0
 * @category models
 */
export type Tools<T> = T extends Toolkit<infer Tools> ? Tools : never

const Proto = {
  [TypeId]: TypeId,
  pipe() {
    return pipeArguments(this, arguments)
  }
}

const fromRecord = <Tools extends Record<string, Tool.Any>>(tools: Tools): Toolkit<Tools> => {
  const all = Object.values(tools) as ReadonlyArray<Tool.Any>
  const names = all.map((tool) => tool.name)
  const toLayer = (handlers: unknown) =>
    Layer.scopedContext(Effect.gen(function*() {
      const record = (Effect.isEffect(handlers) ? yield* Handlers.buildOrLog(handlers, names) : handlers) as
        | Record<string, Tool.HandlerFn<Tool.Any, unknown> | undefined>
        | undefined
      const context = yield* Effect.context<never>()
      let out = Context.empty() as Context.Context<unknown>
      for (const tool of all) {
        const fn = record?.[tool.name]
        const service = typeof fn === "function"
          ? Handlers.service(fn, context)
          : Handlers.unavailable(record === undefined ? Handlers.notBuilt : "no handler was given for it")
        out = Context.add(out, Tool.handlerTag(tool) as Context.Tag<unknown, Tool.HandlerService>, service)
      }
      return out
    }))
  return Object.assign(Object.create(Proto), {
    tools,
    specs: all.map((tool) => tool.spec),
    toLayer,
    of: (handlers: unknown) => handlers
  })
}

/**
 * A toolkit of the given tools (names must be distinct).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <const Tools extends ReadonlyArray<Tool.Any>>(...tools: Tools): Toolkit<ToolsByName<Tools>> =>
  fromRecord(Object.fromEntries(tools.map((tool) => [tool.name, tool])) as ToolsByName<Tools>)

/**
 * The toolkit without tools.
 *
 * @since 0.1.0
 * @category constructors
 */
export const empty: Toolkit<{}> = fromRecord({})

/**
 * One toolkit with the tools of both (the second wins on a name clash).
 *
 * @since 0.1.0
 * @category combinators
 */
export const merge = <A extends Record<string, Tool.Any>, B extends Record<string, Tool.Any>>(
  self: Toolkit<A>,
  that: Toolkit<B>
): Toolkit<Omit<A, keyof B> & B> => fromRecord({ ...self.tools, ...that.tools } as Omit<A, keyof B> & B)

/**
 * Whether a value is a toolkit.
 *
 * @since 0.1.0
 * @category utils
 */
export const isToolkit = (u: unknown): u is Any => typeof u === "object" && u !== null && TypeId in u

/**
 * The handler of every tool, read from the context (by tool name).
 *
 * @since 0.1.0
 * @category utils
 */
export const handlers = <Tools extends Record<string, Tool.Any>>(
  toolkit: Toolkit<Tools>
): Effect.Effect<ReadonlyMap<string, Tool.HandlerService>, never, Requirements<Tools>> =>
  Effect.map(Effect.context<never>(), (context) => {
    const out = new Map<string, Tool.HandlerService>()
    for (const tool of Object.values(toolkit.tools) as ReadonlyArray<Tool.Any>) {
      out.set(tool.name, Context.unsafeGet(context, Tool.handlerTag(tool)))
    }
    return out
  }) as Effect.Effect<ReadonlyMap<string, Tool.HandlerService>, never, Requirements<Tools>>

/**
 * The tool configuration of a request offering these tools (plus any extra specs).
 *
 * @since 0.1.0
 * @category utils
 */
export const toolConfig = (
  toolkit: Any,
  options?: {
    readonly extra?: ReadonlyArray<Conversation.ToolSpec> | undefined
    readonly toolChoice?: Conversation.ToolChoice | undefined
  }
): Conversation.ToolConfiguration | undefined => {
  const tools = [...toolkit.specs, ...(options?.extra ?? [])]
  return tools.length === 0 ? undefined : Conversation.toolConfig(tools, options?.toolChoice)
}
