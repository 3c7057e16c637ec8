/**
 * The AWS SDK's Bedrock Runtime client against the gateway's passthrough, with a gateway key as its bearer token:
 * Converse, ConverseStream and CountTokens, in Bedrock's own shapes (the gateway signs for Bedrock with its own AWS
 * credentials).
 *
 *   npm run serve                        # prints a user key
 *   BACKEND_KEY=sk-bllm-... npm run example backend/examples/bedrock-sdk.ts
 *
 * Instead of `token`, the SDK also reads the key from AWS_BEARER_TOKEN_BEDROCK.
 */
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  CountTokensCommand
} from "@aws-sdk/client-bedrock-runtime"
import { NodeHttpHandler } from "@smithy/node-http-handler"

const url = process.env["BACKEND_URL"] ?? "http://127.0.0.1:8080"
const token = process.env["BACKEND_KEY"]
if (token === undefined) throw new Error("Set BACKEND_KEY to a gateway key (npm run serve prints one).")

const client = new BedrockRuntimeClient({
  endpoint: `${url}/bedrock`,
  region: "us-east-1", // Bedrock's region is the gateway's; the SDK only needs one to build requests
  token: { token },
  authSchemePreference: ["httpBearerAuth"],
  // over plain http the gateway speaks HTTP/1.1 (the SDK's default handler speaks HTTP/2 with prior knowledge)
  ...(url.startsWith("http://") ? { requestHandler: new NodeHttpHandler() } : {})
})
const modelId = "anthropic.claude-3-haiku-20240307-v1:0"
const messages = [{ role: "user" as const, content: [{ text: "Write 20 words about lighthouses" }] }]

const answer = await client.send(new ConverseCommand({ modelId, messages, inferenceConfig: { maxTokens: 200 } }))
console.log("converse:", answer.output?.message?.content?.[0]?.text, answer.usage)

const streamed = await client.send(new ConverseStreamCommand({ modelId, messages }))
for await (const event of streamed.stream ?? []) {
  if (event.contentBlockDelta?.delta?.text !== undefined) process.stdout.write(event.contentBlockDelta.delta.text)
  if (event.metadata !== undefined) console.log("\nusage:", event.metadata.usage)
}

const counted = await client.send(
  new CountTokensCommand({ modelId: "anthropic.claude-sonnet-4-20250514-v1:0", input: { converse: { messages } } })
)
console.log("input tokens:", counted.inputTokens)
client.destroy()
