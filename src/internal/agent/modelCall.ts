/**
 * The model call of one agent step. Streamed (the default), the step's events are folded one chunk at a time from the
 * client's pull, text deltas are emitted as they come, and each client tool is started as soon as its input is
 * complete; a stream that fails mid-way is replayed up to `maxReplays` times. Unary, the step is one Converse call
 * and its tools start once the whole answer is in.
 *
 * @internal
 */
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { identity } from "effect/Function"
import * as Option from "effect/Option"
import type * as BedrockClient from "../../BedrockClient.js"
import * as Message from "../../Message.js"
import * as Response from "../../Response.js"
import { parseToolInput } from "../json.js"
import type { Emitter } from "./events.js"

/** What a model call needs from its run. @internal */
export interface ModelCallContext {
  readonly client: BedrockClient.BedrockClient["Type"]
  readonly events: Emitter<never>
  readonly streaming: boolean
  readonly maxReplays: number
  /** Whether the loop runs this tool use (a client tool, not the output tool). */
  readonly isClientTool: (use: { readonly name: string; readonly type?: string | undefined }) => boolean
  /** Starts a client tool call of the step. */
  readonly startTool: (step: number, attempt: number, use: Message.ToolUse) => Effect.Effect<unknown>
}

/** The step's response and the model calls it took. @internal */
export interface ModelAnswer {
  readonly response: Response.Response
  readonly attempts: number
}

/** A step as one Converse call: its text, then every client tool it asks for, started in order. */
const unaryCall = (context: ModelCallContext, step: number, request: BedrockClient.BedrockClient.Request) =>
  Effect.gen(function*() {
    const { events } = context
    yield* events.emit({ _tag: "StepStart", step, attempt: 1 })
    const response = yield* context.client.generate(request)
    const text = Response.text(response)
    if (events.listening && text !== "") yield* events.emit({ _tag: "TextDelta", step, text })
    for (const use of Response.toolUses(response)) {
      if (context.isClientTool(use)) yield* context.startTool(step, 1, use)
    }
    return response
  })

/** One attempt of a streamed step. */
const streamedAttempt = (
  context: ModelCallContext,
  step: number,
  attempt: number,
  request: BedrockClient.BedrockClient.Request
) =>
  Effect.gen(function*() {
    const { events } = context
    yield* events.emit({ _tag: "StepStart", step, attempt })
    let accumulator = Response.Accumulator.empty
    const pending = new Map<number, { toolUseId: string; name: string; input: string }>()
    /** Folds an event; what it sets off (a text delta to emit, a tool whose input is complete), if anything. */
    const handle = (event: Response.StreamEvent): Effect.Effect<unknown> | undefined => {
      accumulator = accumulator.add(event)
      switch (event._tag) {
        case "ContentBlockStart":
          if (event.start._tag === "ToolUseStart" && context.isClientTool(event.start)) {
            pending.set(event.index, { toolUseId: event.start.toolUseId, name: event.start.name, input: "" })
          }
          return undefined
        case "ContentBlockDelta": {
          if (event.delta._tag === "TextDelta") {
            return events.listening ? events.emit({ _tag: "TextDelta", step, text: event.delta.text }) : undefined
          }
          const block = pending.get(event.index)
          if (event.delta._tag === "ToolUseInputDelta" && block !== undefined) block.input += event.delta.input
          return undefined
        }
        case "ContentBlockStop": {
          const block = pending.get(event.index)
          if (block === undefined) return undefined
          pending.delete(event.index)
          return Either.match(parseToolInput(block.input), {
            onLeft: () => undefined,
            onRight: (input) => context.startTool(step, attempt, Message.toolUse(block.toolUseId, block.name, input))
          })
        }
        default:
          return undefined
      }
    }
    /** A chunk's events, folded in one synchronous pass; then what they set off, in order. */
    const handleChunk = (chunk: Chunk.Chunk<Response.StreamEvent>): Effect.Effect<void> => {
      const effects: Array<Effect.Effect<unknown>> = []
      for (const event of Chunk.toReadonlyArray(chunk)) {
        const effect = handle(event)
        if (effect !== undefined) effects.push(effect)
      }
      return effects.length === 0 ? Effect.void : Effect.forEach(effects, identity, { discard: true })
    }
    // The client's pull, driven here: one chunk of events at a time, without a `Stream` pipeline.
    yield* Effect.scoped(Effect.flatMap(context.client.streamPull(request), (pull) => {
      const loop: Effect.Effect<void, BedrockClient.ClientError> = Effect.suspend(() =>
        Effect.matchEffect(pull, {
          onFailure: Option.match({ onNone: () => Effect.void, onSome: Effect.fail }),
          onSuccess: (chunk) => Effect.zipRight(handleChunk(chunk), loop)
        })
      )
      return loop
    }))
    return yield* Effect.suspend(() => accumulator.toResponse())
  })

/**
 * The step's model call: streamed, replayed (with a `StepRetry` event) while its stream fails mid-way and replays
 * are left; unary, once. Fails with the client's error once no replay is left. @internal
 */
export const call = (
  context: ModelCallContext,
  step: number,
  request: BedrockClient.BedrockClient.Request
): Effect.Effect<ModelAnswer, BedrockClient.ClientError> => {
  if (!context.streaming) {
    return Effect.map(unaryCall(context, step, request), (response) => ({ response, attempts: 1 }))
  }
  const attempt = (n: number): Effect.Effect<ModelAnswer, BedrockClient.ClientError> =>
    streamedAttempt(context, step, n, request).pipe(
      Effect.map((response) => ({ response, attempts: n })),
      Effect.catchAll((error) =>
        error._tag === "StreamInterruptedError" && n <= context.maxReplays
          ? Effect.zipRight(
            context.events.emit({ _tag: "StepRetry", step, attempt: n, error }),
            attempt(n + 1)
          )
          : Effect.fail(error)
      )
    )
  return attempt(1)
}
