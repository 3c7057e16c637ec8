import * as Layer from "effect/Layer"
import * as BedrockClient from "../../src/BedrockClient.js"
import * as ScriptedBedrock from "../../src/ScriptedBedrock.js"

/**
 * A `BedrockClient` (no circuit breaker, Nova Micro unless `options.model` says otherwise) over `ScriptedBedrock`
 * answering from `script`, with the scripted service too, to read the requests it received.
 */
export const scriptedClient = (
  script: ReadonlyArray<ScriptedBedrock.Turn>,
  options: Partial<BedrockClient.BedrockClient.Options> = {}
) => {
  const runtime = ScriptedBedrock.layer(script)
  return Layer.merge(
    BedrockClient.layer({ model: { modelId: "amazon.nova-micro-v1:0" }, circuitBreaker: false, ...options }).pipe(
      Layer.provide(runtime)
    ),
    runtime
  )
}
