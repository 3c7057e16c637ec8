/**
 * A scripted `BedrockRuntime` for unit tests of code built on this library: each Converse or ConverseStream call
 * takes the next turn of a script (an answer, a tool call, a raw event sequence or a typed service error), waits the
 * turn's delays on Effect's `Clock` (so `TestClock` drives them and a test of retries or timeouts runs in
 * microseconds), and answers in the SDK's shapes, exactly as the real service would. Nothing is sent anywhere: the
 * SDK client it carries (for code that adds SDK middleware) is never used for a request. Every call's input is
 * recorded, for assertions on what your code sent.
 *
 * For wire-level behaviour (HTTP/2, event-stream frames, SigV4, faults in the bytes), use the emulator
 * (`LocalBedrock`, `bedrock-llm/emulator`) instead.
 *
 * @example
 * ```ts
 * import { BedrockClient, BedrockError, ScriptedBedrock } from "bedrock-llm"
 * import { Effect, Layer } from "effect"
 *
 * const script = ScriptedBedrock.layer([
 *   ScriptedBedrock.fail(new BedrockError.ThrottlingError({ message: "slow down" })),
 *   ScriptedBedrock.text("Paris.", { delay: "200 millis" })
 * ])
 * const client = BedrockClient.layer({ model: { modelId: "amazon.nova-micro-v1:0" } }).pipe(Layer.provide(script))
 *
 * const program = Effect.gen(function*() {
 *   const bedrock = yield* BedrockClient.BedrockClient
 *   return yield* bedrock.generate("The capital of France?") // retried once, then "Paris."
 * }).pipe(Effect.provide(client))
 * ```
 *
 * @since 0.1.0
 */
import * as Sdk from "@aws-sdk/client-bedrock-runtime"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { ClientConfig } from "./BedrockConfig.js"
import type * as BedrockError from "./BedrockError.js"
import { BedrockRuntime } from "./BedrockRuntime.js"
import { estimateTokens } from "./ModelCatalog.js"

// ---------------------------------------------------------------------------
// models
// ---------------------------------------------------------------------------

/**
 * One tool call of a scripted answer: the tool's `name`, its `input` (any JSON value; a string is sent as it is,
 * so a test can send input that is not JSON) and an optional `toolUseId` (default `tooluse_<call>_<index>`).
 *
 * @since 0.1.0
 * @category models
 */
export interface ToolCall {
  readonly name: string
  readonly input: unknown
  readonly toolUseId?: string | undefined
}

/**
 * Timing of a turn on Effect's `Clock`: `delay` before the answer (or before a stream's first event), `eventDelay`
 * before each further event of a stream. Both default to none.
 *
 * @since 0.1.0
 * @category models
 */
export interface Timing {
  readonly delay?: Duration.DurationInput | undefined
  readonly eventDelay?: Duration.DurationInput | undefined
}

/**
 * What an answer reports as its usage (default: input tokens estimated from the request's messages, output tokens
 * from the answer's text and tool inputs).
 *
 * @since 0.1.0
 * @category models
 */
export interface Usage {
  readonly inputTokens?: number | undefined
  readonly outputTokens?: number | undefined
}

/**
 * One turn of a script: what one call answers.
 *
 * - `Answer`: an assistant message of text and tool calls, its stop reason and usage, as a Converse output or, for
 *   a stream, as the ConverseStream events of the same answer;
 * - `Events`: exactly these ConverseStream events (for streams), then, when `error` is set, that failure (a stream
 *   cut after its events); a Converse call fails on it;
 * - `Fail`: the call fails with this error before any event.
 *
 * @since 0.1.0
 * @category models
 */
export type Turn =
  | {
    readonly _tag: "Answer"
    readonly text: string
    readonly toolCalls: ReadonlyArray<ToolCall>
    readonly stopReason: Sdk.StopReason | undefined
    readonly usage: Usage | undefined
    readonly timing: Timing
  }
  | {
    readonly _tag: "Events"
    readonly events: ReadonlyArray<Sdk.ConverseStreamOutput>
    readonly error: BedrockError.BedrockError | undefined
    readonly timing: Timing
  }
  | { readonly _tag: "Fail"; readonly error: BedrockError.BedrockError; readonly timing: Timing }

/**
 * A call the scripted runtime received: the operation and the SDK input, in order of arrival.
 *
 * @since 0.1.0
 * @category models
 */
export type Recorded =
  | { readonly operation: "converse"; readonly input: Sdk.ConverseCommandInput }
  | { readonly operation: "converseStream"; readonly input: Sdk.ConverseStreamCommandInput }

/**
 * @since 0.1.0
 */
export declare namespace ScriptedBedrock {
  /**
   * What a test can ask the scripted runtime: the calls received so far and the turns not yet taken.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    readonly requests: Effect.Effect<ReadonlyArray<Recorded>>
    readonly remaining: Effect.Effect<number>
  }
}

/**
 * The scripted runtime's own service, beside the `BedrockRuntime` it provides.
 *
 * @since 0.1.0
 * @category services
 */
export class ScriptedBedrock
  extends Context.Tag("bedrock-llm/ScriptedBedrock")<ScriptedBedrock, ScriptedBedrock.Service>()
{}

// ---------------------------------------------------------------------------
// turns
// ---------------------------------------------------------------------------

/**
 * An answer of text (stop reason `end_turn`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const text = (
  answer: string,
  options: Timing & { readonly usage?: Usage | undefined; readonly stopReason?: Sdk.StopReason | undefined } = {}
): Turn => ({
  _tag: "Answer",
  text: answer,
  toolCalls: [],
  stopReason: options.stopReason,
  usage: options.usage,
  timing: options
})

/**
 * An answer that calls tools (stop reason `tool_use`), after an optional text.
 *
 * @since 0.1.0
 * @category constructors
 */
export const toolCalls = (
  calls: ReadonlyArray<ToolCall>,
  options: Timing & { readonly text?: string | undefined; readonly usage?: Usage | undefined } = {}
): Turn => ({
  _tag: "Answer",
  text: options.text ?? "",
  toolCalls: calls,
  stopReason: "tool_use",
  usage: options.usage,
  timing: options
})

/**
 * A stream of exactly these ConverseStream events (SDK shapes), optionally failing with `error` after them.
 *
 * @since 0.1.0
 * @category constructors
 */
export const events = (
  sequence: ReadonlyArray<Sdk.ConverseStreamOutput>,
  options: Timing & { readonly error?: BedrockError.BedrockError | undefined } = {}
): Turn => ({ _tag: "Events", events: sequence, error: options.error, timing: options })

/**
 * A call that fails with a typed error (e.g. `new BedrockError.ThrottlingError({ message: "slow down" })`), after the
 * turn's `delay`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fail = (error: BedrockError.BedrockError, timing: Timing = {}): Turn => ({ _tag: "Fail", error, timing })

// ---------------------------------------------------------------------------
// answers in the SDK's shapes
// ---------------------------------------------------------------------------

type Answer = Extract<Turn, { readonly _tag: "Answer" }>

const toolUseIdOf = (call: ToolCall, callNumber: number, index: number): string =>
  call.toolUseId ?? `tooluse_${callNumber}_${index}`

const inputText = (input: unknown): string => typeof input === "string" ? input : JSON.stringify(input) ?? "null"

const usageOf = (answer: Answer, messages: unknown): Sdk.TokenUsage => {
  const inputTokens = answer.usage?.inputTokens ?? estimateTokens(JSON.stringify(messages ?? []))
  const outputTokens = answer.usage?.outputTokens ??
    estimateTokens(answer.text + answer.toolCalls.map((call) => inputText(call.input)).join(""))
  return { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens }
}

const stopReasonOf = (answer: Answer): Sdk.StopReason =>
  answer.stopReason ?? (answer.toolCalls.length > 0 ? "tool_use" : "end_turn")

const converseOutput = (
  answer: Answer,
  callNumber: number,
  input: Sdk.ConverseCommandInput
): Sdk.ConverseCommandOutput => {
  const content: Array<Sdk.ContentBlock> = answer.text === "" ? [] : [{ text: answer.text }]
  answer.toolCalls.forEach((call, index) => {
    content.push({
      toolUse: {
        toolUseId: toolUseIdOf(call, callNumber, index),
        name: call.name,
        input: call.input as Sdk.ToolUseBlock["input"]
      }
    })
  })
  return {
    $metadata: { httpStatusCode: 200, requestId: requestIdOf(callNumber) },
    output: { message: { role: "assistant", content } },
    stopReason: stopReasonOf(answer),
    usage: usageOf(answer, input.messages),
    metrics: { latencyMs: 0 }
  }
}

const streamEvents = (
  answer: Answer,
  callNumber: number,
  input: Sdk.ConverseStreamCommandInput
): ReadonlyArray<Sdk.ConverseStreamOutput> => {
  const out: Array<Sdk.ConverseStreamOutput> = [{ messageStart: { role: "assistant" } }]
  let block = 0
  if (answer.text !== "") {
    out.push({ contentBlockDelta: { contentBlockIndex: block, delta: { text: answer.text } } })
    out.push({ contentBlockStop: { contentBlockIndex: block } })
    block++
  }
  answer.toolCalls.forEach((call, index) => {
    const toolUseId = toolUseIdOf(call, callNumber, index)
    out.push({ contentBlockStart: { contentBlockIndex: block, start: { toolUse: { toolUseId, name: call.name } } } })
    out.push({ contentBlockDelta: { contentBlockIndex: block, delta: { toolUse: { input: inputText(call.input) } } } })
    out.push({ contentBlockStop: { contentBlockIndex: block } })
    block++
  })
  out.push({ messageStop: { stopReason: stopReasonOf(answer) } })
  out.push({ metadata: { usage: usageOf(answer, input.messages), metrics: { latencyMs: 0 } } })
  return out
}

const requestIdOf = (callNumber: number): string => `scripted-${callNumber}`

// ---------------------------------------------------------------------------
// the runtime
// ---------------------------------------------------------------------------

const sleepFor = (duration: Duration.DurationInput | undefined): Effect.Effect<void> =>
  duration === undefined ? Effect.void : Effect.sleep(duration)

const notScripted = (operation: string): Effect.Effect<never> =>
  Effect.dieMessage(
    `ScriptedBedrock scripts Converse and ConverseStream; ${operation} is not scripted (use the emulator)`
  )

/** A stream's pull over scripted events: the turn's delays on the Clock, then `error` (if any) after the events. */
const scriptedPull = (
  sequence: ReadonlyArray<Sdk.ConverseStreamOutput>,
  timing: Timing,
  error: BedrockError.BedrockError | undefined
): Effect.Effect<Effect.Effect<Chunk.Chunk<Sdk.ConverseStreamOutput>, Option.Option<BedrockError.BedrockError>>> =>
  Effect.map(Ref.make(0), (position) =>
    Effect.flatMap(Ref.getAndUpdate(position, (n) => n + 1), (n) => {
      if (n < sequence.length) {
        return Effect.as(sleepFor(n === 0 ? timing.delay : timing.eventDelay), Chunk.of(sequence[n]!))
      }
      return n === sequence.length && error !== undefined ? Effect.fail(Option.some(error)) : Effect.fail(Option.none())
    }))

/**
 * The scripted runtime over `script`, and its own service; the SDK client it carries is destroyed with the scope.
 * A call beyond the script dies with a message naming the call, so that a test that makes one call too many fails.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  script: Iterable<Turn>
): Effect.Effect<readonly [BedrockRuntime.Service, ScriptedBedrock.Service], never, Scope.Scope> =>
  Effect.gen(function*() {
    const turns = Array.from(script)
    const next = yield* Ref.make(0)
    const recorded = yield* Ref.make<ReadonlyArray<Recorded>>([])
    const sdk = yield* Effect.acquireRelease(
      Effect.sync(() =>
        new Sdk.BedrockRuntimeClient({
          region: "us-east-1",
          endpoint: "http://127.0.0.1:9",
          credentials: { accessKeyId: "scripted", secretAccessKey: "scripted" }
        })
      ),
      (client) => Effect.sync(() => client.destroy())
    )

    const take = (call: Recorded): Effect.Effect<readonly [Turn, number]> =>
      Effect.zipRight(
        Ref.update(recorded, (calls) => [...calls, call]),
        Effect.flatMap(Ref.getAndUpdate(next, (n) => n + 1), (n) =>
          n < turns.length
            ? Effect.succeed([turns[n]!, n + 1] as const)
            : Effect.dieMessage(
              `ScriptedBedrock: call ${n + 1} (${call.operation}) has no turn left; the script has ${turns.length}`
            ))
      )

    const converse: BedrockRuntime.Service["converse"] = (input) =>
      Effect.flatMap(take({ operation: "converse", input }), ([turn, callNumber]) =>
        Effect.zipRight(
          sleepFor(turn.timing.delay),
          turn._tag === "Answer"
            ? Effect.succeed(converseOutput(turn, callNumber, input))
            : turn._tag === "Fail"
            ? Effect.fail(turn.error)
            : Effect.dieMessage(
              `ScriptedBedrock: call ${callNumber} is a Converse call, but its turn is a stream's events`
            )
        ))

    const converseStream: BedrockRuntime.Service["converseStream"] = (input) =>
      Effect.flatMap(take({ operation: "converseStream", input }), ([turn, callNumber]) => {
        if (turn._tag === "Fail") return Effect.zipRight(sleepFor(turn.timing.delay), Effect.fail(turn.error))
        const sequence = turn._tag === "Answer" ? streamEvents(turn, callNumber, input) : turn.events
        const error = turn._tag === "Events" ? turn.error : undefined
        return Effect.map(scriptedPull(sequence, turn.timing, error), (pull) => ({
          requestId: requestIdOf(callNumber),
          pull,
          events: Stream.repeatEffectChunkOption(pull)
        }))
      })

    const runtime: BedrockRuntime.Service = {
      sdk,
      config: new ClientConfig({ region: "us-east-1" }),
      converse,
      converseStream,
      invokeModel: () => notScripted("InvokeModel"),
      invokeModelWithResponseStream: () => notScripted("InvokeModelWithResponseStream"),
      countTokens: () => notScripted("CountTokens"),
      applyGuardrail: () => notScripted("ApplyGuardrail")
    }
    const service: ScriptedBedrock.Service = {
      requests: Ref.get(recorded),
      remaining: Effect.map(Ref.get(next), (n) => Math.max(0, turns.length - n))
    }
    return [runtime, service] as const
  })

/**
 * A Layer providing `BedrockRuntime` over `script`, and `ScriptedBedrock` to read what it received.
 *
 * @example
 * ```ts
 * import { ScriptedBedrock } from "bedrock-llm"
 *
 * const runtime = ScriptedBedrock.layer([
 *   ScriptedBedrock.toolCalls([{ name: "weather", input: { city: "Paris" } }]),
 *   ScriptedBedrock.text("It is sunny in Paris.", { eventDelay: "50 millis" })
 * ])
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (script: Iterable<Turn>): Layer.Layer<BedrockRuntime | ScriptedBedrock> =>
  Layer.scopedContext(
    Effect.map(make(script), ([runtime, service]) =>
      Context.make(BedrockRuntime, runtime).pipe(Context.add(ScriptedBedrock, service)))
  )
