/**
 * The deployer's agents: a TypeScript (or JavaScript) module whose default export is `defineAgents({ ... })`, each
 * agent built with the library's `Agent` / `Tool` / `Toolkit` and given the layer of its tool handlers and the
 * gateway model its steps use. The service loads the module named by `BACKEND_AGENTS_MODULE` (a path) at start-up,
 * or the two example agents (`agents/examples.ts`) when none is named; every agent's tool layer is built once then,
 * and lives as long as the service.
 *
 * ```ts
 * import { Agent, Tool, Toolkit } from "bedrock-llm"
 * import { defineAgent, defineAgents } from "../backend/src/agents/AgentModule.js" // this module, by its path
 *
 * const Lookup = Tool.make("lookup_order", { parameters: { id: Schema.String }, success: Order })
 * const toolkit = Toolkit.make(Lookup)
 * export default defineAgents({
 *   orders: defineAgent({
 *     description: "Answers questions about orders",
 *     model: "claude", // an alias of the gateway or a catalog model id; the key must be allowed to use it
 *     agent: Agent.make({ toolkit, instructions: "...", limits: { maxSteps: 6, maxCost: 0.05 } }),
 *     tools: toolkit.toLayer({ lookup_order: ({ id }) => ... })
 *   })
 * })
 * ```
 *
 * @since 0.1.0
 */
import type { Agent, Tool, Toolkit } from "bedrock-llm"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { resolve } from "node:path"
import { pathToFileURL } from "node:url"

/**
 * One agent of the module.
 *
 * @since 0.1.0
 * @category models
 */
export interface AgentDefinition {
  /** The agent (instructions, toolkit, limits, model settings); its `model.modelId` is replaced by `model`. */
  readonly agent: Agent.Agent<any>
  /** The layer of the agent's tool handlers, built once at start-up. */
  readonly tools: Layer.Layer<any, unknown>
  /** The model of every step: an alias of the gateway or a model id of its catalog. */
  readonly model: string
  /** What the agent does (listed by `GET /v1/agents`). */
  readonly description?: string | undefined
  /** The most output tokens of each step; default the agent's `model.maxTokens`, else the gateway's default. */
  readonly maxTokens?: number | undefined
}

/**
 * The module's default export.
 *
 * @since 0.1.0
 * @category models
 */
export interface AgentModule {
  readonly agents: Readonly<Record<string, AgentDefinition>>
}

/**
 * One agent, its tool layer checked against its toolkit (a missing handler is a type error).
 *
 * @since 0.1.0
 * @category constructors
 */
export const defineAgent = <Tools extends Record<string, Tool.Any>, E>(definition: {
  readonly agent: Agent.Agent<Tools>
  readonly tools: Layer.Layer<Toolkit.Requirements<Tools>, E>
  readonly model: string
  readonly description?: string | undefined
  readonly maxTokens?: number | undefined
}): AgentDefinition => definition

/**
 * The module's default export: the agents by name (lowercase letters, digits, `-` and `_`; the path of their runs).
 *
 * @since 0.1.0
 * @category constructors
 */
export const defineAgents = (agents: Readonly<Record<string, AgentDefinition>>): AgentModule => ({ agents })

/**
 * The agents module could not be loaded, or is not of the shape above.
 *
 * @since 0.1.0
 * @category errors
 */
export class AgentModuleError extends Schema.TaggedError<AgentModuleError>()("AgentModuleError", {
  module: Schema.String,
  message: Schema.String
}) {}

const namePattern = /^[a-z0-9][a-z0-9_-]{0,63}$/

/**
 * Checks a loaded module's default export (the shape above), naming what is wrong.
 *
 * @since 0.1.0
 * @category utils
 */
export const validate = (module: string, value: unknown): Effect.Effect<AgentModule, AgentModuleError> => {
  const fail = (message: string) => Effect.fail(new AgentModuleError({ module, message }))
  const agents = (value as { readonly agents?: unknown } | undefined)?.agents
  if (typeof agents !== "object" || agents === null) {
    return fail("the default export must be defineAgents({ ... }) (an object with `agents`)")
  }
  for (const [name, definition] of Object.entries(agents as Record<string, unknown>)) {
    const entry = definition as Partial<AgentDefinition> | undefined
    if (!namePattern.test(name)) return fail(`the agent name ${JSON.stringify(name)} is not [a-z0-9][a-z0-9_-]*`)
    if (typeof entry?.agent?.run !== "function" || typeof entry.agent.stream !== "function") {
      return fail(`agents.${name}.agent must be made with Agent.make`)
    }
    if (!Layer.isLayer(entry.tools)) return fail(`agents.${name}.tools must be a Layer (toolkit.toLayer(...))`)
    if (typeof entry.model !== "string" || entry.model.trim() === "") {
      return fail(`agents.${name}.model must name a model`)
    }
    if (entry.maxTokens !== undefined && (!Number.isInteger(entry.maxTokens) || entry.maxTokens < 1)) {
      return fail(`agents.${name}.maxTokens must be a positive integer`)
    }
  }
  return Effect.succeed(value as AgentModule)
}

/**
 * Imports a module by path (relative to the working directory) and checks its default export.
 *
 * @since 0.1.0
 * @category constructors
 */
export const load = (path: string): Effect.Effect<AgentModule, AgentModuleError> =>
  Effect.tryPromise({
    try: () => import(pathToFileURL(resolve(path)).href) as Promise<{ readonly default?: unknown }>,
    catch: (cause) =>
      new AgentModuleError({
        module: path,
        message: `cannot import it: ${cause instanceof Error ? cause.message : String(cause)}`
      })
  }).pipe(Effect.flatMap((imported) => validate(path, imported.default)))

/**
 * An agent ready to run: its definition and the built context of its tool handlers.
 *
 * @since 0.1.0
 * @category models
 */
export interface LoadedAgent {
  readonly name: string
  readonly definition: AgentDefinition
  readonly tools: Context.Context<never>
}

/**
 * The agents the service serves.
 *
 * @since 0.1.0
 * @category services
 */
export class Agents extends Context.Tag("bedrock-llm-backend/Agents")<Agents, ReadonlyMap<string, LoadedAgent>>() {}

/**
 * Builds every agent's tool layer in the scope (a layer that fails to build stops the service, naming the agent).
 *
 * @since 0.1.0
 * @category constructors
 */
export const build = (
  module: AgentModule,
  name: string
): Effect.Effect<ReadonlyMap<string, LoadedAgent>, AgentModuleError, Scope.Scope> =>
  Effect.gen(function*() {
    const loaded = new Map<string, LoadedAgent>()
    for (const [agentName, definition] of Object.entries(module.agents)) {
      const tools = yield* Layer.build(definition.tools).pipe(
        Effect.mapError((cause) =>
          new AgentModuleError({
            module: name,
            message: `the tools of ${agentName} failed to build: ${
              cause instanceof Error ? cause.message : String(cause)
            }`
          })
        )
      )
      loaded.set(agentName, { name: agentName, definition, tools: tools as Context.Context<never> })
    }
    return loaded
  })

/**
 * The agents of a module as a layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  module: Effect.Effect<AgentModule, AgentModuleError>,
  name: string
): Layer.Layer<Agents, AgentModuleError> =>
  Layer.scoped(Agents, Effect.flatMap(module, (loaded) => build(loaded, name)))
