/**
 * The handlers of the agents group. A run: the key (401), the agent (404), the body (400), the key's right to the
 * agents API and the agent's model (403), the conversation (404 when the key has none of that id), then the agent's
 * loop with a `BedrockClient` that sends every step through the gateway for this key (each step admitted, metered and
 * settled; see `agents/GatewayClient.ts`), its tools from the agents module, and the conversation as its memory
 * (appended to when the run succeeds). A client that leaves a streamed run interrupts it: the model request of the
 * current step is aborted (and settled with what it used) and running tools are interrupted.
 *
 * @since 0.1.0
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { type Agent, BedrockClient, type Message } from "bedrock-llm"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { randomBytes } from "node:crypto"
import * as AgentModule from "../../agents/AgentModule.js"
import { Agents } from "../../agents/AgentModule.js"
import { Conversations } from "../../agents/Conversations.js"
import * as ConversationsModule from "../../agents/Conversations.js"
import examples from "../../agents/examples.js"
import * as GatewayClient from "../../agents/GatewayClient.js"
import { Api } from "../../Api.js"
import { Gateway } from "../../Gateway.js"
import * as Authentication from "../../keys/Authentication.js"
import { CurrentKey } from "../../keys/Authentication.js"
import type { KeyRecord } from "../../keys/KeyStore.js"
import { authorize } from "../../limits/Admission.js"
import * as RequestBody from "../../RequestBody.js"
import * as RequestLog from "../../RequestLog.js"
import { ServiceConfig } from "../../ServiceConfig.js"
import * as Sse from "../../Sse.js"
import * as AgentRun from "./AgentRun.js"
import { AgentsAuth } from "./AgentsApi.js"
import * as AgentsError from "./AgentsError.js"
import { AgentsRefusal } from "./AgentsError.js"

/**
 * The security middleware's layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const AgentsAuthLive = Layer.effect(
  AgentsAuth,
  Effect.map(Authentication.securityHandler(AgentsError.fromAuthentication), (bearer) => AgentsAuth.of({ bearer }))
)

/**
 * The agents of the configured module (`BACKEND_AGENTS_MODULE`), else the example agents.
 *
 * @since 0.1.0
 * @category layers
 */
export const AgentsLive: Layer.Layer<Agents, AgentModule.AgentModuleError, ServiceConfig> = Layer.unwrapEffect(
  Effect.map(ServiceConfig, (settings) =>
    Option.match(settings.agentsModule, {
      onNone: () => AgentModule.layer(Effect.succeed(examples), "agents/examples.ts"),
      onSome: (path) => AgentModule.layer(AgentModule.load(path), path)
    }))
)

/**
 * The conversations store of the configuration.
 *
 * @since 0.1.0
 * @category layers
 */
export const ConversationsLive: Layer.Layer<Conversations, never, ServiceConfig> = Layer.unwrapEffect(
  Effect.map(ServiceConfig, ConversationsModule.layer)
)

const fromEither = <A, E>(either: Either.Either<A, E>) =>
  Either.isRight(either) ? Effect.succeed(either.right) : Effect.fail(either.left)

const decodeRun = RequestBody.strictDecoder(AgentRun.RunRequest)

const agentsApi = (key: KeyRecord) =>
  key.allowedApis.includes("agents")
    ? Effect.void
    : Effect.fail(new AgentsRefusal({ status: 403, message: "This key may not use the agents API." }))

const hasToolBlocks = (messages: ReadonlyArray<Message.Message>) =>
  messages.some((message) => message.content.some((block) => block._tag === "ToolUse" || block._tag === "ToolResult"))

/** Runs a handler; every failure becomes the API's error response. */
const answer = <R>(handler: Effect.Effect<HttpServerResponse.HttpServerResponse, AgentsError.AgentsFailure, R>) =>
  Effect.catchAll(handler, (error) => {
    const failure = AgentsError.toFailure(error)
    return Effect.as(
      RequestLog.annotate({ error: `${failure.type}: ${failure.message}`.slice(0, 300) }),
      AgentsError.response(failure)
    )
  })

const run = (name: string) =>
  Effect.gen(function*() {
    const key = yield* CurrentKey
    const loaded = (yield* Agents).get(name)
    if (loaded === undefined) {
      return yield* new AgentsRefusal({ status: 404, message: `There is no agent named ${name}.`, param: "name" })
    }
    const definition = loaded.definition
    yield* RequestLog.annotate({ keyId: key.id, api: "agents", model: definition.model })
    const body = yield* Effect.flatMap(RequestBody.json, (value) => fromEither(decodeRun(value)))
    yield* authorize(key, "agents", definition.model)
    const conversations = yield* Conversations
    const conversationId = body.conversation_id ?? (yield* conversations.newId)
    if (body.conversation_id !== undefined) {
      const found = yield* conversations.get(key, body.conversation_id)
      if (Option.isNone(found)) {
        return yield* new AgentsRefusal({
          status: 404,
          message: `There is no conversation ${body.conversation_id}.`,
          param: "conversation_id"
        })
      }
      if (Object.keys(definition.agent.toolkit.tools).length === 0 && hasToolBlocks(found.value)) {
        return yield* new AgentsRefusal({
          status: 400,
          message: `The conversation holds tool calls and the agent ${name} has no tools to continue it.`,
          param: "conversation_id"
        })
      }
    }
    const gateway = yield* Gateway
    const target = yield* GatewayClient.targetOf(gateway, definition.model)
    const client = yield* GatewayClient.make({
      gateway,
      key,
      model: definition.model,
      info: target.info,
      modelId: target.modelId,
      maxTokens: definition.maxTokens
    })
    const info: AgentRun.RunInfo = {
      id: `run_${randomBytes(12).toString("hex")}`,
      agent: name,
      model: definition.model,
      conversationId
    }
    const options = { memory: conversations.memory(key, conversationId) }
    const release = conversations.release(key, conversationId)
    const totals = (done: { readonly usage: AgentRun.RunResult["usage"]; readonly cost_usd: number }) =>
      RequestLog.annotate({
        inputTokens: done.usage.input_tokens,
        outputTokens: done.usage.output_tokens,
        cacheReadTokens: done.usage.cache_read_tokens,
        cacheWriteTokens: done.usage.cache_write_tokens,
        costMicroUsd: Math.round(done.cost_usd * 1_000_000)
      })
    // The agent's tool handlers come from the built layer of the agents module (its type is erased there).
    const provided = <A, E>(effect: Effect.Effect<A, E, any>) =>
      effect.pipe(
        Effect.provideService(BedrockClient.BedrockClient, client),
        Effect.provide(loaded.tools)
      ) as Effect.Effect<A, E>

    if (body.stream !== true) {
      const done = yield* provided(definition.agent.run(body.input, options)).pipe(Effect.ensuring(release))
      const result = AgentRun.result(info, done)
      yield* totals(result)
      return HttpServerResponse.unsafeJson(result)
    }
    const runEvents = definition.agent.stream(body.input, options).pipe(
      Stream.provideService(BedrockClient.BedrockClient, client),
      Stream.provideSomeContext(loaded.tools)
    ) as Stream.Stream<Agent.Event<string>, Agent.AgentError>
    const events = Stream.concat(
      Stream.make(AgentRun.started(info)),
      Stream.filterMap(runEvents, (event) => Option.fromNullable(AgentRun.event(info, event)))
    ).pipe(
      Stream.tap((event) => event.event === "run.completed" ? totals(event.data as AgentRun.RunResult) : Effect.void),
      Stream.catchAll((error) => Stream.make({ event: "error", data: AgentsError.body(AgentsError.toFailure(error)) })),
      Stream.ensuring(release)
    )
    const config = yield* ServiceConfig
    return yield* Sse.response(events, { keepAlive: config.sseKeepAlive })
  })

const listAgents = Effect.gen(function*() {
  yield* agentsApi(yield* CurrentKey)
  const agents = yield* Agents
  return HttpServerResponse.unsafeJson({
    agents: [...agents.values()].map((agent) => ({
      name: agent.name,
      description: agent.definition.description ?? null,
      model: agent.definition.model
    }))
  })
})

const conversationOf = (id: string) =>
  Effect.gen(function*() {
    const key = yield* CurrentKey
    yield* agentsApi(key)
    const found = yield* (yield* Conversations).get(key, id)
    return Option.isNone(found)
      ? yield* new AgentsRefusal({ status: 404, message: `There is no conversation ${id}.`, param: "id" })
      : HttpServerResponse.unsafeJson(AgentRun.conversation(id, found.value))
  })

const listConversations = Effect.gen(function*() {
  const key = yield* CurrentKey
  yield* agentsApi(key)
  const ids = yield* (yield* Conversations).list(key)
  return HttpServerResponse.unsafeJson({ conversations: ids.map((id) => ({ id })) })
})

const deleteConversation = (id: string) =>
  Effect.gen(function*() {
    const key = yield* CurrentKey
    yield* agentsApi(key)
    const deleted = yield* (yield* Conversations).remove(key, id)
    return deleted
      ? HttpServerResponse.unsafeJson({ id, deleted: true })
      : yield* new AgentsRefusal({ status: 404, message: `There is no conversation ${id}.`, param: "id" })
  })

/**
 * The agents group's handlers, with its security middleware, the agents and the conversations. An agents module
 * that cannot be loaded stops the service at start-up with its `AgentModuleError` (naming the module and why).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = HttpApiBuilder.group(
  Api,
  "agents",
  (handlers) =>
    handlers
      .handleRaw("list", () => answer(listAgents))
      .handleRaw("run", ({ path }) => answer(run(path.name)))
      .handleRaw("conversations", () => answer(listConversations))
      .handleRaw("conversation", ({ path }) => answer(conversationOf(path.id)))
      .handleRaw("deleteConversation", ({ path }) => answer(deleteConversation(path.id)))
).pipe(Layer.provide(Layer.mergeAll(AgentsAuthLive, Layer.orDie(AgentsLive), ConversationsLive)))
