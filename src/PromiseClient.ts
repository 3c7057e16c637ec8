/**
 * A Promise facade for code that does not use Effect: `createClient(config)` returns a plain object whose methods
 * return Promises and AsyncIterables, on a `ManagedRuntime` built from the library's Layers. The root exports it as
 * `PromiseClient` (formerly `BedrockLlm`); `bedrock-llm/Promise` remains its former subpath.
 *
 * @example
 * ```ts
 * import { PromiseClient } from "bedrock-llm"
 *
 * const client = PromiseClient.createClient({ modelId: "amazon.nova-micro-v1:0" })
 * const response = await client.generate("Hello!")
 * console.log(response.text)
 * await client.close()
 * ```
 *
 * @since 0.1.0
 */
export * from "./Promise.js"
