/**
 * The stream call of the client: one streaming request as a pull, opened on the first pull. Each attempt runs the
 * `before` hooks and goes through the breaker; the retry policy is `Resilience.retryPull` (a retryable failure before
 * the first event opens the call again, each attempt in a scope of its own; one after it ends the stream with
 * `StreamInterruptedError`); the end of the stream accounts the usage (the `Metadata` event's, or, with `after` hooks,
 * the folded response). The deadlines are the runtime's. One pull instead of a pipeline of `Stream` stages: a
 * stream's setup is a visible share of a short answer's cost.
 *
 * @internal
 */
import type * as Sdk from "@aws-sdk/client-bedrock-runtime"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type * as BedrockClient from "../../BedrockClient.js"
import type * as BedrockRuntime from "../../BedrockRuntime.js"
import * as Resilience from "../../Resilience.js"
import * as Response from "../../Response.js"
import * as SdkShapes from "../sdkShapes.js"
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
 * The usage of a stream, accounted at its end: with `after` hooks the whole response (they get it), without them
 * only the `Metadata` event's usage.
 */
const usageOfStream = (policy: CallPolicy, prepared: Prepared, attempts: Attempts) => {
  let usage: Response.Usage | undefined
  let accumulator = Response.Accumulator.empty
  let accounted = false
  const observe = (chunk: Chunk.Chunk<Response.StreamEvent>) => {
    const events = Chunk.toReadonlyArray(chunk)
    if (policy.hooks.length === 0) {
      for (const event of events) if (event._tag === "Metadata") usage = event.usage
    } else {
      for (const event of events) accumulator = accumulator.add(event)
    }
  }
  const end = Effect.suspend(() => {
    if (accounted) return Effect.void
    accounted = true
    return policy.hooks.length === 0
      ? usage === undefined ? Effect.void : policy.record(prepared, usage)
      : Either.match(accumulator.toResponse(), {
        onLeft: () => Effect.void,
        onRight: (response) => policy.account(prepared, attempts.info(), response)
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
  const usage = usageOfStream(policy, prepared, attempts)
  const failed = policy.failed(attempts.info)
  const fail = (error: ClientError) =>
    Effect.catchAll(
      attempts.failFinal(error),
      (final) => Effect.zipRight(failed(final), Effect.fail(Option.some(final)))
    )
  const open = Effect.zipRight(attempts.begin, openAttempt(runtime, policy, target))
  return Effect.map(Resilience.retryPull(open, attempts.schedule), (retried): Pull =>
    Effect.matchEffect(retried, {
      onSuccess: (chunk) => {
        usage.observe(chunk)
        return Effect.succeed(chunk)
      },
      onFailure: (error) =>
        Option.isSome(error) ? fail(error.value) : Effect.zipRight(usage.end, Effect.fail(Option.none()))
    }))
}
