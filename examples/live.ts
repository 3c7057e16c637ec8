/**
 * The wiring every example shares: a `BedrockClient` over real Amazon Bedrock when AWS credentials and a region are
 * configured, or over the embedded emulator otherwise (see `LocalBedrock`). `BEDROCK_MODEL_ID` picks the model.
 */
// The AWS SDK warns once per process that its 2027 releases will need Node 22; the examples run on Node 20 as well.
process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true"

import { NodeRuntime } from "@effect/platform-node"
import { BedrockClient, LocalBedrock } from "bedrock-llm"
import { Effect, Layer } from "effect"

/** The model used when `BEDROCK_MODEL_ID` is not set (on-demand in most regions). */
export const defaultModelId = "anthropic.claude-3-haiku-20240307-v1:0"

const describe = (backend: LocalBedrock.Backend): string =>
  backend._tag === "Bedrock"
    ? `Amazon Bedrock in ${backend.region}${backend.endpoint === undefined ? "" : ` at ${backend.endpoint}`}`
    : `the embedded Bedrock emulator at ${backend.url} (${backend.reason})`

/** `BedrockRuntime` (real or emulated) and a `BedrockClient` configured from the environment. */
export const RuntimeLive = LocalBedrock.layer({
  onBackend: (backend) => console.error(`[bedrock-llm] using ${describe(backend)}`)
})

/** `BedrockClient` over `RuntimeLive`; the runtime stays available to programs that need it too. */
export const ClientLive = BedrockClient.layerConfig({ defaultModelId }).pipe(Layer.provideMerge(RuntimeLive))

/** Runs an example: errors are reported, Ctrl-C interrupts (and so aborts in-flight requests). */
export const run = <A, E>(program: Effect.Effect<A, E, BedrockClient.BedrockClient>): void =>
  NodeRuntime.runMain(program.pipe(Effect.provide(ClientLive)))
