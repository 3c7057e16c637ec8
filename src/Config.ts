/**
 * The former name of `BedrockConfig`, renamed because it shadowed `effect/Config` (callers had to alias one of
 * them).
 *
 * @deprecated Import `BedrockConfig` (`bedrock-llm/BedrockConfig`); this module goes in the next release.
 * @since 0.1.0
 */
export * from "./BedrockConfig.js"
