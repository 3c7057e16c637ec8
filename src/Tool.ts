/**
 * Tools as Schema-typed values: a name, a description, Schemas for the parameters, the success and the failure, and
 * a handler provided through a Layer. The JSON Schema sent to Bedrock is derived from the parameter Schema; the
 * model's input is decoded before the handler runs and every outcome becomes a `toolResult`.
 *
 * @example
 * ```ts
 * import { Agent, Tool, Toolkit } from "bedrock-llm"
 * import { Effect, Schema } from "effect"
 *
 * const Weather = Tool.make("get_weather", {
 *   description: "Current weather for a city",
 *   parameters: { city: Schema.String },
 *   success: Schema.Struct({ celsius: Schema.Number })
 * })
 * const toolkit = Toolkit.make(Weather)
 * const WeatherLive = toolkit.toLayer({ get_weather: ({ city }) => Effect.succeed({ celsius: city.length }) })
 * const run = Agent.make({ toolkit }).run("Weather in Paris?").pipe(Effect.provide(WeatherLive))
 * ```
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as JSONSchema from "effect/JSONSchema"
import * as Layer from "effect/Layer"
import * as ParseResult from "effect/ParseResult"
import { type Pipeable, pipeArguments } from "effect/Pipeable"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Conversation from "./Conversation.js"
import * as Handlers from "./internal/agent/toolHandlers.js"
import * as Message from "./Message.js"

/**
 * @since 0.1.0
 * @category models
 */
export const TypeId: unique symbol = Symbol.for("bedrock-llm/Tool")

/**
 * @since 0.1.0
 * @category models
 */
export type TypeId = typeof TypeId

/**
 * A Schema without requirements, `Schema.Never` included.
 *
 * @since 0.1.0
 * @category models
 */
export type AnySchema =
  | Schema.Schema<any, any, never>
  | Schema.Schema<never, never, never>
  | Schema.Schema<any, never, never>
  | Schema.Schema<never, any, never>

/**
 * A tool: what the model sees (name, description, JSON Schema) and the Schemas its calls are checked with.
 *
 * @since 0.1.0
 * @category models
 */
export interface Tool<
  out Name extends string,
  out Parameters extends Schema.Schema.Any,
  out Success extends AnySchema,
  out Failure extends AnySchema
> extends Pipeable {
  readonly [TypeId]: TypeId
  readonly name: Name
  readonly description: string | undefined
  readonly parameters: Parameters
  readonly success: Success
  readonly failure: Failure
  /** Longest a call may run; the agent's default applies when unset. */
  readonly timeout: Duration.Duration | undefined
  /** When true the agent asks for approval before each call. */
  readonly requiresApproval: boolean
  /** The self-contained JSON Schema of the parameters (no `$ref`, no `$schema`). */
  readonly jsonSchema: Message.JsonObject
  /** The spec sent to Bedrock in `toolConfig.tools`. */
  readonly spec: Conversation.ToolSpec
}

/**
 * Any tool.
 *
 * @since 0.1.0
 * @category models
 */
export interface Any extends Tool<string, Schema.Schema.Any, AnySchema, AnySchema> {}

/**
 * The name of a tool.
 *
 * @since 0.1.0
 * @category models
 */
export type Name<T> = T extends Tool<infer N, any, any, any> ? N : never

/**
 * The decoded parameters a tool's handler receives.
 *
 * @since 0.1.0
 * @category models
 */
export type Parameters<T> = T extends Tool<any, infer P, any, any> ? Schema.Schema.Type<P> : never

/**
 * What a tool's handler succeeds with.
 *
 * @since 0.1.0
 * @category models
 */
export type Success<T> = T extends Tool<any, any, infer S, any> ? Schema.Schema.Type<S> : never

/**
 * What a tool's handler fails with.
 *
 * @since 0.1.0
 * @category models
 */
export type Failure<T> = T extends Tool<any, any, any, infer F> ? Schema.Schema.Type<F> : never

/**
 * What a handler learns about the call besides its parameters.
 *
 * @since 0.1.0
 * @category models
 */
export interface CallContext {
  readonly toolUseId: string
  readonly toolName: string
}

/**
 * A tool's implementation: decoded parameters in, a typed success or failure out, any services required.
 *
 * @since 0.1.0
 * @category models
 */
export type HandlerFn<T, R> = (
  parameters: Parameters<T>,
  context: CallContext
) => Effect.Effect<Success<T>, Failure<T>, R>

const HandlerTypeId: unique symbol = Symbol.for("bedrock-llm/Tool/Handler")

/**
 * The service identifier of the handler of the tool named `Name` (what `toLayer` provides and agents require).
 *
 * @since 0.1.0
 * @category models
 */
export interface Handler<Name extends string> {
  readonly [HandlerTypeId]: Name
}

/**
 * The handler services a union of tools requires.
 *
 * @since 0.1.0
 * @category models
 */
export type HandlerOf<T> = T extends Tool<infer N, any, any, any> ? Handler<N> : never

/**
 * A handler with its services already provided.
 *
 * @since 0.1.0
 * @category models
 */
export interface HandlerService {
  readonly handle: (parameters: unknown, context: CallContext) => Effect.Effect<unknown, unknown>
}

/** Tags by tool name: a tag is its key, and making one captures a stack trace (an agent looks them up every run). */
const handlerTags = new Map<string, Context.Tag<any, HandlerService>>()

/**
 * The context tag of a tool's handler (keyed by the tool's name).
 *
 * @since 0.1.0
 * @category utils
 */
export const handlerTag = <N extends string>(tool: Tool<N, any, any, any>): Context.Tag<Handler<N>, HandlerService> => {
  const known = handlerTags.get(tool.name)
  if (known !== undefined) return known as Context.Tag<Handler<N>, HandlerService>
  const tag = Context.GenericTag<Handler<N>, HandlerService>(`bedrock-llm/Tool/${tool.name}`)
  handlerTags.set(tool.name, tag)
  return tag
}

// ---------------------------------------------------------------------------
// JSON Schema
// ---------------------------------------------------------------------------

const refName = (ref: string): string | undefined =>
  ref.startsWith("#/$defs/") ? ref.slice("#/$defs/".length).replace(/~1/g, "/").replace(/~0/g, "~") : undefined

/**
 * A self-contained JSON Schema for a Schema's encoded side: `$ref`s into `$defs` are inlined (recursive ones are
 * kept, with only the definitions they need), `$schema` is dropped.
 *
 * @since 0.1.0
 * @category utils
 */
export const jsonSchema = <A, I>(schema: Schema.Schema<A, I, never>): Message.JsonObject => {
  const ast = schema.ast
  if (ast._tag === "TypeLiteral" && ast.propertySignatures.length === 0 && ast.indexSignatures.length === 0) {
    return { type: "object", properties: {} }
  }
  const root = JSONSchema.make(schema) as unknown as Record<string, unknown>
  const defs = Predicate.isRecord(root["$defs"]) ? root["$defs"] : {}
  const kept = new Set<string>()
  const inline = (node: unknown, stack: ReadonlyArray<string>): unknown => {
    if (Array.isArray(node)) return node.map((item) => inline(item, stack))
    if (!Predicate.isRecord(node)) return node
    const ref = typeof node["$ref"] === "string" ? refName(node["$ref"]) : undefined
    if (ref !== undefined && Predicate.isRecord(defs[ref])) {
      const { $ref: _, ...siblings } = node
      if (stack.includes(ref)) {
        kept.add(ref)
        return node
      }
      const target = inline(defs[ref], [...stack, ref]) as Record<string, unknown>
      return { ...target, ...(inline(siblings, stack) as Record<string, unknown>) }
    }
    const out: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(node)) {
      if (key === "$schema" || key === "$defs") continue
      out[key] = inline(value, stack)
    }
    return out
  }
  const body = inline(root, []) as Record<string, unknown>
  if (kept.size === 0) return body
  const keptDefs: Record<string, unknown> = {}
  for (const name of kept) keptDefs[name] = inline(defs[name], [name])
  return { ...body, $defs: keptDefs }
}

// ---------------------------------------------------------------------------
// constructors
// ---------------------------------------------------------------------------

const Proto = {
  [TypeId]: TypeId,
  pipe() {
    return pipeArguments(this, arguments)
  }
}

type ParametersInput = Schema.Struct.Fields | Schema.Schema.AnyNoContext

type ParametersSchema<P> = P extends Schema.Schema.Any ? P
  : P extends Schema.Struct.Fields ? Schema.Struct<P>
  : never

type ObjectEncoded<P> = Schema.Schema.Encoded<ParametersSchema<P>> extends Record<string, any> ? P
  : "the parameters of a tool must encode to a JSON object"

/**
 * Options of `make`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options<
  Parameters extends ParametersInput,
  Success extends AnySchema,
  Failure extends AnySchema
> {
  readonly description?: string | undefined
  /** Struct fields or a Schema whose encoded side is a JSON object; default: no parameters. */
  readonly parameters?: ObjectEncoded<Parameters> | undefined
  /** Default `Schema.Unknown`: whatever the handler returns is sent as JSON. */
  readonly success?: Success | undefined
  /** Default `Schema.Never`: the handler cannot fail with a typed error. */
  readonly failure?: Failure | undefined
  readonly timeout?: Duration.DurationInput | undefined
  readonly requiresApproval?: boolean | undefined
}

/**
 * A tool, e.g. `Tool.make("get_weather", { parameters: { city: Schema.String }, success: Weather })`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <
  const Name extends string,
  Parameters extends ParametersInput = {},
  Success extends AnySchema = typeof Schema.Unknown,
  Failure extends AnySchema = typeof Schema.Never
>(
  name: Name,
  options: Options<Parameters, Success, Failure> = {}
): Tool<Name, ParametersSchema<Parameters>, Success, Failure> => {
  const input = options.parameters as ParametersInput | undefined
  const parameters = (input === undefined
    ? Schema.Struct({})
    : Schema.isSchema(input)
    ? input
    : Schema.Struct(input)) as Schema.Schema.AnyNoContext
  const inputSchema = jsonSchema(parameters)
  const self = Object.create(Proto)
  return Object.assign(self, {
    name,
    description: options.description,
    parameters,
    success: options.success ?? Schema.Unknown,
    failure: options.failure ?? Schema.Never,
    timeout: options.timeout === undefined ? undefined : Duration.decode(options.timeout),
    requiresApproval: options.requiresApproval ?? false,
    jsonSchema: inputSchema,
    spec: Conversation.toolSpec({ name, description: options.description, inputSchema })
  })
}

/**
 * Whether a value is a tool.
 *
 * @since 0.1.0
 * @category utils
 */
export const isTool = (u: unknown): u is Any => typeof u === "object" && u !== null && TypeId in u

/**
 * A Layer with the handler of one tool; the handler may be built by an Effect (to read services once). A throw in
 * the handler becomes a `Defect` outcome of that call. If the building Effect dies, the Layer still builds: the
 * defect is logged at Error and every call is a `Defect` ("the tool is unavailable"); its typed failures stay the
 * Layer's.
 *
 * @since 0.1.0
 * @category layers
 */
export const toLayer = <T extends Any, R = never, E = never, RB = never>(
  tool: T,
  handler: HandlerFn<T, R> | Effect.Effect<HandlerFn<T, R>, E, RB>
): Layer.Layer<HandlerOf<T>, E, Exclude<R | RB, Scope.Scope>> =>
  Layer.scoped(
    handlerTag(tool) as unknown as Context.Tag<HandlerOf<T>, HandlerService>,
    Effect.gen(function*() {
      const fn = Effect.isEffect(handler) ? yield* Handlers.buildOrLog(handler, [tool.name]) : handler
      const context = yield* Effect.context<never>()
      return fn === undefined ? Handlers.unavailable(Handlers.notBuilt) : Handlers.service(fn, context)
    })
  ) as never

// ---------------------------------------------------------------------------
// calls
// ---------------------------------------------------------------------------

/**
 * What became of one tool call.
 *
 * @since 0.1.0
 * @category models
 */
export type Outcome = Data.TaggedEnum<{
  /** The handler succeeded; `value` is the encoded success. */
  Success: { readonly value: unknown }
  /** The handler failed with its typed failure; `error` is the encoded failure. */
  Failure: { readonly error: unknown }
  /** The model's input did not decode with the parameter Schema. */
  InvalidInput: { readonly message: string }
  /** The handler died, was interrupted on its own, or returned a value its success Schema rejects. */
  Defect: { readonly message: string }
  /** The call ran longer than its timeout and was interrupted. */
  TimedOut: { readonly timeout: Duration.Duration }
  /** A human refused the call. */
  Denied: { readonly reason: string }
  /** The model called a tool the toolkit does not have. */
  UnknownTool: { readonly available: ReadonlyArray<string> }
}>

/**
 * Constructors and matchers of `Outcome`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const Outcome = Data.taggedEnum<Outcome>()

/**
 * Decodes the model's input with the tool's parameter Schema; the error is a message for the model.
 *
 * @since 0.1.0
 * @category utils
 */
export const decodeInput = <T extends Any>(tool: T, input: unknown): Either.Either<Parameters<T>, string> =>
  Either.mapLeft(
    ParseResult.decodeUnknownEither(tool.parameters as Schema.Schema.AnyNoContext)(input, {
      errors: "all",
      onExcessProperty: "ignore"
    }),
    (issue) => ParseResult.TreeFormatter.formatIssueSync(issue)
  )

const causeMessage = (cause: Cause.Cause<unknown>): string => {
  if (Cause.isInterruptedOnly(cause)) return "the call was interrupted"
  const squashed = Cause.squash(cause)
  return squashed instanceof Error ? squashed.message : String(squashed)
}

/**
 * Runs a handler on decoded parameters and encodes what it returns. Never fails: every failure is an `Outcome`, and a
 * handler that throws (before returning its Effect, or inside it) is a `Defect`.
 *
 * @since 0.1.0
 * @category utils
 */
export const run = <T extends Any>(
  tool: T,
  handler: HandlerService,
  parameters: Parameters<T>,
  context: CallContext
): Effect.Effect<Outcome> =>
  Effect.suspend(() => handler.handle(parameters, context)).pipe(
    Effect.matchCauseEffect({
      onSuccess: (value) =>
        Either.match(ParseResult.encodeEither(tool.success as Schema.Schema.AnyNoContext)(value), {
          onLeft: (issue) =>
            Effect.succeed<Outcome>(Outcome.Defect({
              message: `the tool returned a value its success schema rejects: ${
                ParseResult.TreeFormatter.formatIssueSync(issue)
              }`
            })),
          onRight: (encoded) => Effect.succeed<Outcome>(Outcome.Success({ value: encoded }))
        }),
      onFailure: (cause) =>
        Either.match(Cause.failureOrCause(cause), {
          onLeft: (error) =>
            Effect.succeed(Either.match(ParseResult.encodeEither(tool.failure as Schema.Schema.AnyNoContext)(error), {
              onLeft: (): Outcome =>
                Outcome.Defect({ message: `the tool failed with an unexpected error: ${String(error)}` }),
              onRight: (encoded): Outcome => Outcome.Failure({ error: encoded })
            })),
          onRight: (other) => Effect.succeed<Outcome>(Outcome.Defect({ message: causeMessage(other) }))
        })
    })
  )

/**
 * Decodes the input, then runs the handler: a decode failure is an `InvalidInput` outcome, never a crash.
 *
 * @since 0.1.0
 * @category utils
 */
export const execute = <T extends Any>(
  tool: T,
  handler: HandlerService,
  toolUse: { readonly toolUseId: string; readonly input: unknown }
): Effect.Effect<Outcome> =>
  Either.match(decodeInput(tool, toolUse.input), {
    onLeft: (message) => Effect.succeed(Outcome.InvalidInput({ message })),
    onRight: (parameters) => run(tool, handler, parameters, { toolUseId: toolUse.toolUseId, toolName: tool.name })
  })

const asJsonObject = (value: unknown, key: string): unknown =>
  value === undefined ? {} : Predicate.isRecord(value) ? value : { [key]: value }

/**
 * Whether an outcome is sent with status `"error"`.
 *
 * @since 0.1.0
 * @category utils
 */
export const isError = (outcome: Outcome): boolean => outcome._tag !== "Success"

/**
 * The `toolResult` block answering a call: JSON for a success (status `"success"`) or a typed failure (status
 * `"error"`), text saying what went wrong otherwise. Non-object JSON is wrapped (`{ "result": ... }`).
 *
 * @since 0.1.0
 * @category utils
 */
export const toToolResult = (toolUseId: string, name: string, outcome: Outcome): Message.ToolResult => {
  const error = (text: string) => Message.toolResult(toolUseId, text, { status: "error" })
  switch (outcome._tag) {
    case "Success":
      return Message.toolResult(toolUseId, Message.json(asJsonObject(outcome.value, "result")), { status: "success" })
    case "Failure":
      return Message.toolResult(toolUseId, Message.json(asJsonObject(outcome.error, "error")), { status: "error" })
    case "InvalidInput":
      return error(
        `Invalid input for tool "${name}": ${outcome.message}\nCall the tool again with input that matches its schema.`
      )
    case "Defect":
      return error(`Tool "${name}" failed unexpectedly: ${outcome.message}`)
    case "TimedOut":
      return error(`Tool "${name}" did not finish within ${Duration.format(outcome.timeout)} and was cancelled.`)
    case "Denied":
      return error(`The call of tool "${name}" was not approved: ${outcome.reason}`)
    case "UnknownTool":
      return error(
        `There is no tool named "${name}". Available tools: ${
          outcome.available.length === 0 ? "none" : outcome.available.join(", ")
        }.`
      )
  }
}
