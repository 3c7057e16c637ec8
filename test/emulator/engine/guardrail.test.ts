import { describe, expect, it } from "vitest"
import { applyGuardrail } from "../../../src/emulator/engine/index.js"
import { error, ok } from "./helpers.js"

const apply = (text: string, extra: object = {}) =>
  ok(applyGuardrail("gr1", "DRAFT", { source: "INPUT", content: [{ text: { text } }], ...extra }))

describe("applyGuardrail", () => {
  it("lets clean text through", () => {
    const out = apply("What is the capital of France?")
    expect(out.action).toBe("NONE")
    expect(out.outputs).toEqual([])
    expect(out.guardrailCoverage.textCharacters).toEqual({ guarded: 30, total: 30 })
    expect(apply("clean", { outputScope: "FULL" }).outputs).toEqual([{ text: "clean" }])
  })

  it("blocks denied words with the blocked message", () => {
    const out = apply("please BLOCKME now")
    expect(out.action).toBe("GUARDRAIL_INTERVENED")
    expect(out.outputs).toEqual([{ text: "Sorry, the model cannot answer this question." }])
    expect(out.assessments[0].wordPolicy.customWords).toEqual([{ action: "BLOCKED", detected: true, match: "BLOCKME" }])
    expect(apply("unblockmeplease").action).toBe("NONE")
  })

  it("anonymizes e-mail addresses and blocks social security numbers", () => {
    const out = apply("write to jane.doe@example.org today")
    expect(out.action).toBe("GUARDRAIL_INTERVENED")
    expect(out.outputs).toEqual([{ text: "write to {EMAIL} today" }])
    expect(out.assessments[0].sensitiveInformationPolicy.piiEntities[0]).toEqual({
      action: "ANONYMIZED",
      detected: true,
      match: "jane.doe@example.org",
      type: "EMAIL"
    })
    expect(apply("my ssn is 123-45-6789").outputs[0].text).toBe("Sorry, the model cannot answer this question.")
    expect(apply("call 1234-56-7890").action).toBe("NONE")
  })

  it("validates ids, version and body", () => {
    expect(error(applyGuardrail("Bad Id", "DRAFT", { source: "INPUT", content: [] })).message).toContain(
      "guardrailIdentifier"
    )
    expect(error(applyGuardrail("gr1", "v1", { source: "INPUT", content: [] })).message).toContain("guardrailVersion")
    expect(error(applyGuardrail("gr1", "1", { source: "SIDEWAYS", content: [] })).message).toContain("'source'")
    expect(error(applyGuardrail("gr1", "1", { source: "INPUT" })).message).toContain("'content'")
  })
})
