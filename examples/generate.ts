/**
 * A single call: one prompt, one answer, with its usage and cost.
 *
 *   npx tsx examples/generate.ts "Why is the sky blue?"
 */
import { BedrockClient, Response } from "bedrock-llm"
import { Effect } from "effect"
import { run } from "./live.js"
import { plural } from "./plural.js"

const prompt = process.argv[2] ?? "In two sentences: why is the sky blue?"

const program = Effect.gen(function*() {
  const client = yield* BedrockClient.BedrockClient
  const response = yield* client.generate(prompt)
  const cost = yield* client.cost(response)
  console.log(Response.text(response))
  console.log(
    `\n[${response.stopReason}; ${
      plural(response.usage.inputTokens, "token")
    } in, ${response.usage.outputTokens} out; $${cost.total.toFixed(6)}; request ${response.requestId}]`
  )
})

run(program)
