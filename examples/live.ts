/**
 * The wiring every example shares: a `BedrockClient` over real Amazon Bedrock when an AWS region is configured, or
 * over the embedded emulator otherwise or with `BEDROCK_EMULATOR=1` (see `LocalBedrock`, which logs which one at
 * Info). `BEDROCK_MODEL_ID` picks the model.
 */
// The AWS SDK warns once per process that its 2027 releases will need Node 22; the examples run on Node 20 as well.
process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true"

import { NodeRuntime } from "@effect/platform-node"
import { BedrockClient, LocalBedrock } from "bedrock-llm"
import { Cause, Effect, Exit, Layer } from "effect"

/** The model used when `BEDROCK_MODEL_ID` is not set (on-demand in most regions). */
export const defaultModelId = "anthropic.claude-3-haiku-20240307-v1:0"

/** `BedrockRuntime` (real or emulated) and a `BedrockClient` configured from the environment. */
export const RuntimeLive = LocalBedrock.layer()

/** `BedrockClient` over `RuntimeLive`; the runtime stays available to programs that need it too. */
export const ClientLive = BedrockClient.layerConfig({ defaultModelId }).pipe(Layer.provideMerge(RuntimeLive))

/** The exit code of a process ended by a signal, as a shell reports it: 128 + the signal's number. */
const signalExitCodes: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143 }

/**
 * The options of `NodeRuntime.runMain` that make an interrupted program exit as an interrupted process does: Ctrl-C
 * (SIGINT) or SIGTERM interrupts the program, which aborts its in-flight requests, and the process then exits with
 * 130 or 143 instead of 0. A failure exits with 1, a success with 0. Call it just before `runMain`: the signal is
 * recorded from then on.
 */
export const exitCodes = (): {
  readonly teardown: (exit: Exit.Exit<unknown, unknown>, onExit: (code: number) => void) => void
} => {
  let signal: NodeJS.Signals | undefined
  const record = (received: NodeJS.Signals) => {
    signal ??= received
  }
  process.once("SIGINT", record)
  process.once("SIGTERM", record)
  return {
    teardown: (exit, onExit) => {
      process.off("SIGINT", record)
      process.off("SIGTERM", record)
      if (Exit.isSuccess(exit)) return onExit(0)
      if (!Cause.isInterruptedOnly(exit.cause)) return onExit(1)
      onExit(signal === undefined ? 0 : signalExitCodes[signal] ?? 1)
    }
  }
}

/** Runs a program as an example's main: errors are reported, Ctrl-C interrupts it and it exits with 130. */
export const runMain = <A, E>(program: Effect.Effect<A, E>): void => NodeRuntime.runMain(program, exitCodes())

/** Runs an example over `ClientLive` (see `runMain`). */
export const run = <A, E>(program: Effect.Effect<A, E, BedrockClient.BedrockClient>): void =>
  runMain(program.pipe(Effect.provide(ClientLive)))
