import { describe, expect, it } from "vitest"
import { defaultModelId, models, resolveModel } from "../../../src/emulator/engine/catalog.js"

describe("catalog", () => {
  it("knows every family the brief lists", () => {
    const families = new Set(models.map((m) => m.family))
    for (
      const f of [
        "anthropic",
        "nova",
        "llama",
        "titan-text",
        "mistral",
        "cohere-command-r",
        "jamba",
        "titan-embed",
        "cohere-embed"
      ]
    ) {
      expect(families.has(f as never)).toBe(true)
    }
  })

  it("resolves foundation ids, cross-region profiles and ARNs", () => {
    expect(resolveModel("anthropic.claude-3-haiku-20240307-v1:0")?.family).toBe("anthropic")
    expect(resolveModel("us.anthropic.claude-3-7-sonnet-20250219-v1:0")?.id).toBe(
      "anthropic.claude-3-7-sonnet-20250219-v1:0"
    )
    expect(resolveModel("global.anthropic.claude-sonnet-4-5-20250929-v1:0")?.id).toBe(
      "anthropic.claude-sonnet-4-5-20250929-v1:0"
    )
    expect(resolveModel("apac.amazon.nova-pro-v1:0")?.family).toBe("nova")
    expect(resolveModel("arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-tg1-large")?.family).toBe(
      "titan-text"
    )
    expect(
      resolveModel("arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.meta.llama3-2-3b-instruct-v1:0")?.family
    ).toBe("llama")
    const app = resolveModel("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/1arbu5hu2sjr")
    expect(app?.id).toBe(defaultModelId)
    expect(app?.requestedId).toContain("application-inference-profile")
  })

  it("rejects unknown ids, and profiles of models without cross-region profiles", () => {
    expect(resolveModel("us.does-not-exist-model-v1:0")).toBeUndefined()
    expect(resolveModel("us.amazon.titan-text-express-v1")).toBeUndefined()
    expect(resolveModel("arn:aws:bedrock:us-east-1:123456789012:foundation-model/amazon.titan-tg1-large"))
      .toBeUndefined()
    expect(resolveModel("")).toBeUndefined()
  })

  it("has sane limits", () => {
    for (const m of models) {
      expect(m.contextWindow).toBeGreaterThan(0)
      if (m.capabilities.converse) expect(m.maxOutputTokens).toBeGreaterThan(0)
      else expect(m.dimensions?.allowed).toContain(m.dimensions?.default)
    }
  })
})
