/**
 * The stream call of the client: one streaming request as a pull, opened on the first pull. Each attempt runs the
 * `before` hooks and goes through the breaker; the retry policy is `Resilience.retryPull` (a retryable failure before
 * the first event opens the call again, each attempt in a scope of its own; one after it ends the stream with
 * `StreamInterruptedError`); the first chunk records the time to first chunk; the end of the stream accounts the
 * usage (the `Metadata` event's, or, with `after` hooks or content capture, the folded response). The deadlines are the runtime's. One pull instead of a pipeline of `Stream` stages: a
 * stream's setup is a visible share of a short answer's cost.
 *
 * @internal
 */
import type * as Sdk from "@aws-sdk/client-bedrock-runtime"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FiberRef from "effect/FiberRef"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type * as BedrockClient from "../../BedrockClient.js"
import type * as BedrockRuntime from "../../BedrockRuntime.js"
import * as Resilience from "../../Resilience.js"
import * as Response from "../../Response.js"
import * as SdkShapes from "../sdkShapes.js"
import * as Content from "../telemetry/content.js"
import type { Attempts, CallPolicy } from "./callPolicy.js"
import type { Prepared, Target } from "./prepareRequest.js"

type ClientError = BedrockClient.ClientError
type Pull = Resilience.Pull<Response.StreamEvent, ClientError>

/** The request id of the call, on its `MessageStart` event. */
const withRequestId = (
  event: Response.StreamEvent,
  requestId: string | undefined
): Response.StreamEvent => event._tag === "MessageStart" && requestId !== undefined ? { ...event, requestId } : event

/** Converse stream members as client events (exception members already failed the runtime's pull). */
const clientEvents = (
  members: Chunk.Chunk<Sdk.ConverseStreamOutput>,
  requestId: string | undefined
): Chunk.Chunk<Response.StreamEvent> => {
  const events: Array<Response.StreamEvent> = []
  for (const member of Chunk.toReadonlyArray(members)) {
    const event = SdkShapes.streamEventFromSdk(member)
    if (!SdkShapes.isStreamException(event)) {
      events.push(event._tag === "MessageStart" ? withRequestId(event, requestId) : event)
    }
  }
  return Chunk.unsafeFromArray(events)
}

/** Opens one attempt of the call, in the scope of the attempt: the runtime's stream, as client events. */
const openAttempt = (
  runtime: BedrockRuntime.BedrockRuntime.Service,
  policy: CallPolicy,
  target: Target
): Effect.Effect<Pull, ClientError, Scope.Scope> =>
  target.api === "converse"
    ? Effect.map(
      policy.protect(runtime.converseStream(target.input)),
      (opened) => Effect.map(opened.pull, (members) => clientEvents(members, opened.requestId))
    )
    : Effect.flatMap(
      policy.protect(runtime.invokeModelWithResponseStream(target.input)),
      (opened) =>
        Stream.toPull(
          Stream.map(
            target.implementation.decodeStream(opened.events, opened.requestId),
            (event) => withRequestId(event, opened.requestId)
          )
        )
    )

/**
 * The answer of a stream, accounted at its end: with `after` hooks (they get it) or content capture (the span gets
 * it) the whole folded response, otherwise only what the events say of it (usage, stop reason, request id).
 */
const answerOfStream = (policy: CallPolicy, prepared: Prepared, attempts: Attempts, whole: boolean) => {
  let usage: Response.Usage | undefined
  let stopReason: Response.StopReason | undefined
  let requestId: string | undefined
  let accumulator = Response.Accumulator.empty
  let accounted = false
  const observe = (chunk: Chunk.Chunk<Response.StreamEvent>) => {
    const events = Chunk.toReadonlyArray(chunk)
    if (whole) {
      for (const event of events) accumulator = accumulator.add(event)
      return
    }
    for (const event of events) {
      if (event._tag === "Metadata") usage = event.usage
      else if (event._tag === "MessageStop") stopReason = event.stopReason
      else if (event._tag === "MessageStart") requestId = event.requestId
    }
  }
  const end = Effect.suspend(() => {
    if (accounted) return Effect.void
    accounted = true
    return !whole
      ? usage === undefined ? Effect.void : policy.record(prepared, attempts, { usage, stopReason, requestId })
      : Either.match(accumulator.toResponse(), {
        onLeft: () => Effect.void,
        onRight: (response) => policy.account(prepared, attempts, response)
      })
  })
  return { observe, end }
}

/** One streaming call as a pull, in the scope of the stream. */
export const streamCall = (
  runtime: BedrockRuntime.BedrockRuntime.Service,
  policy: CallPolicy,
  prepared: Prepared
): Effect.Effect<Pull, never, Scope.Scope> => {
  const target = prepared.target
  const attempts = policy.attempts(
    target.api === "converse" ? "ConverseStream" : "InvokeModelWithResponseStream",
    prepared
  )
  const failed = policy.failed(prepared, attempts)
  const fail = (error: ClientError) =>
    Effect.catchAll(
      attempts.failFinal(error),
      (final) => Effect.zipRight(failed(final), Effect.fail(Option.some(final)))
    )
  const open = Effect.zipRight(attempts.begin, openAttempt(runtime, policy, target))
  return Effect.zipWith(
    FiberRef.get(Content.captureContent),
    Resilience.retryPull(open, attempts.schedule),
    (capturing, retried): Pull => {
      const answer = answerOfStream(policy, prepared, attempts, capturing || policy.hooks.length > 0)
      let firstSeen = false
      return Effect.matchEffect(retried, {
        onSuccess: (chunk) => {
          answer.observe(chunk)
          if (firstSeen || Chunk.isEmpty(chunk)) return Effect.succeed(chunk)
          firstSeen = true
          return Effect.as(policy.firstChunk(prepared, attempts), chunk)
        },
        onFailure: (error) =>
          Option.isSome(error) ? fail(error.value) : Effect.zipRight(answer.end, Effect.fail(Option.none()))
      })
    }
  )
}
