/**
 * Streaming to the terminal: text deltas are printed as they arrive; the folded response gives the usage at the end.
 * Ctrl-C interrupts the stream, which aborts the HTTP request.
 *
 *   npx tsx examples/stream.ts "Write 120 words about the sea"
 */
import { BedrockClient, Response } from "bedrock-llm"
import { Effect } from "effect"
import { run } from "./live.js"
import { plural } from "./plural.js"

const prompt = process.argv[2] ?? "Write 120 words about the sea."

const program = Effect.gen(function*() {
  const client = yield* BedrockClient.BedrockClient
  const response = yield* client.stream(prompt).pipe(
    BedrockClient.tapText((text) => Effect.sync(() => process.stdout.write(text))),
    BedrockClient.collect
  )
  console.log(`\n\n[${response.stopReason}; ${plural(response.usage.outputTokens, "token")} streamed]`)
  return Response.text(response)
})

run(program)
