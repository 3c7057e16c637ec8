/**
 * The wiring every example shares: a `BedrockClient` over real Amazon Bedrock when an AWS region is configured, or
 * over the embedded emulator otherwise or with `BEDROCK_EMULATOR=1` (see `LocalBedrock`, which logs which one at
 * Info). `BEDROCK_MODEL_ID` picks the model.
 */
// The AWS SDK warns once per process that its 2027 releases will need Node 22; the examples run on Node 20 as well.
process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true"

import { NodeRuntime } from "@effect/platform-node"
import { BedrockClient, LocalBedrock } from "bedrock-llm"
import { Effect, Layer } from "effect"

/** The model used when `BEDROCK_MODEL_ID` is not set (on-demand in most regions). */
export const defaultModelId = "anthropic.claude-3-haiku-20240307-v1:0"

/** `BedrockRuntime` (real or emulated) and a `BedrockClient` configured from the environment. */
export const RuntimeLive = LocalBedrock.layer()

/** `BedrockClient` over `RuntimeLive`; the runtime stays available to programs that need it too. */
export const ClientLive = BedrockClient.layerConfig({ defaultModelId }).pipe(Layer.provideMerge(RuntimeLive))

/** Runs an example: errors are reported, Ctrl-C interrupts (and so aborts in-flight requests). */
export const run = <A, E>(program: Effect.Effect<A, E, BedrockClient.BedrockClient>): void =>
  NodeRuntime.runMain(program.pipe(Effect.provide(ClientLive)))
