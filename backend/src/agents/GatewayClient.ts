/**
 * A `BedrockClient` whose every call goes through the `Gateway` on behalf of one key (API `agents`), so that an agent
 * run is admitted and settled step by step like any other call: each step's model call reserves its own worst case
 * (its input bound plus the step's max tokens), takes one request and its tokens from the key's RPM/TPM windows, and
 * is settled with the usage Bedrock reported, before the next step is admitted. A run that reaches the key's budget
 * or rate limit mid-way stops at that step (the agent's `AgentModelError` carries the gateway's refusal).
 *
 * The agent loop uses `streamPull` (streamed steps), `generate` (unary steps) and `cost`; `stream`, `batch` and
 * `usage` behave as the library's client does. `generateObject` is not offered (agents produce structured output
 * with their own `respond` tool).
 *
 * @since 0.1.0
 */
import { type BedrockClient, Config as LibraryConfig, Message, ModelCatalog, Models, type Response } from "bedrock-llm"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Ref from "effect/Ref"
import * as Stream from "effect/Stream"
import type { Gateway } from "../Gateway.js"
import { CurrentKey } from "../keys/Authentication.js"
import type { KeyRecord } from "../keys/KeyStore.js"

type ClientError = BedrockClient.ClientError

/**
 * The gateway's refusals (rate limit, budget, forbidden model) travel through the agent as its model error; callers
 * tell them apart by their tag (`AgentModelError.error._tag`).
 */
const asClientError = <E>(error: E): ClientError => error as unknown as ClientError

const toRequest = (input: BedrockClient.BedrockClient.Input): BedrockClient.BedrockClient.Request =>
  typeof input === "string"
    ? { messages: [Message.user(input)] }
    : Array.isArray(input)
    ? { messages: input as ReadonlyArray<Message.Message> }
    : input as BedrockClient.BedrockClient.Request

/**
 * What the client is made for.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly gateway: Gateway["Type"]
  readonly key: KeyRecord
  /** The gateway model of every call (alias or catalog id). */
  readonly model: string
  /** The catalog entry of the model's first target (prices for `cost`). */
  readonly info: ModelCatalog.ModelInfo
  readonly modelId: string
  readonly maxTokens?: number | undefined
}

/**
 * The client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<BedrockClient.BedrockClient.Service> =>
  Effect.gen(function*() {
    const totals = yield* Ref.make<BedrockClient.BedrockClient.UsageTotals>({
      calls: 0,
      failures: 0,
      retries: 0,
      usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
      cost: 0
    })
    const { gateway, key } = options
    const callOptions = (request: BedrockClient.BedrockClient.Request) => ({
      api: "agents" as const,
      model: options.model,
      maxTokens: options.maxTokens ?? request.model?.maxTokens
    })
    const costOf = (usage: Response.Usage) => ModelCatalog.costOf(options.info, usage, options.modelId)
    const record = (outcome: Either.Either<Response.Usage, unknown>) =>
      Ref.update(totals, (current) =>
        Either.match(outcome, {
          onLeft: () => ({ ...current, calls: current.calls + 1, failures: current.failures + 1 }),
          onRight: (usage) => ({
            ...current,
            calls: current.calls + 1,
            usage: {
              inputTokens: current.usage.inputTokens + usage.inputTokens,
              outputTokens: current.usage.outputTokens + usage.outputTokens,
              totalTokens: current.usage.totalTokens + usage.totalTokens
            },
            cost: current.cost + costOf(usage).total
          })
        }))

    const generate = (input: BedrockClient.BedrockClient.Input) =>
      Effect.suspend(() => {
        const request = toRequest(input)
        return gateway.generate(request, callOptions(request)).pipe(
          Effect.provideService(CurrentKey, key),
          Effect.map(({ response }) => response),
          Effect.tapBoth({
            onFailure: () => record(Either.left(undefined)),
            onSuccess: (response) => record(Either.right(response.usage))
          }),
          Effect.mapError(asClientError)
        )
      })

    const events = (input: BedrockClient.BedrockClient.Input) =>
      Stream.unwrapScoped(Effect.suspend(() => {
        const request = toRequest(input)
        return gateway.stream(request, callOptions(request)).pipe(
          Effect.provideService(CurrentKey, key),
          Effect.map((stream) =>
            Stream.tap(stream, (event) => event._tag === "Metadata" ? record(Either.right(event.usage)) : Effect.void)
          )
        )
      })).pipe(Stream.mapError(asClientError))

    const streamPull = (input: BedrockClient.BedrockClient.Input) => Stream.toPull(events(input))

    const batch = (
      items: Iterable<BedrockClient.BedrockClient.Input | BedrockClient.BedrockClient.BatchItem>,
      batchOptions?: { readonly concurrency?: number | undefined }
    ) =>
      Effect.forEach(
        [...items].map((item, index) => ({
          index,
          input: typeof item === "object" && item !== null && "input" in item ? item.input : item,
          priority: typeof item === "object" && item !== null && "input" in item ? item.priority ?? 0 : 0
        })).sort((a, b) => b.priority - a.priority || a.index - b.index),
        (item) => Effect.map(Effect.either(generate(item.input)), (result) => ({ index: item.index, result })),
        { concurrency: batchOptions?.concurrency ?? 4 }
      ).pipe(Effect.map((done) => done.sort((a, b) => a.index - b.index).map(({ result }) => result)))

    return {
      model: new LibraryConfig.ModelConfig({ modelId: options.modelId }),
      generate,
      stream: events,
      streamPull,
      generateObject: () =>
        Effect.fail(
          new Models.UnsupportedFeature({
            message: "generateObject is not offered to agents served by the gateway; give the run an output schema",
            family: options.info.family,
            feature: "generateObject",
            modelId: options.modelId
          })
        ),
      batch,
      cost: (response: Response.Response) => Effect.succeed(costOf(response.usage)),
      usage: Ref.get(totals)
    } satisfies BedrockClient.BedrockClient.Service
  })

/**
 * The model's first target and its catalog entry, for `make`.
 *
 * @since 0.1.0
 * @category utils
 */
export const targetOf = (gateway: Gateway["Type"], model: string) =>
  Effect.map(gateway.resolve(model), (targets) => ({ modelId: targets[0]!.modelId, info: targets[0]!.info }))
