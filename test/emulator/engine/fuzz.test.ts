import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { models } from "../../../src/emulator/engine/catalog.js"
import { applyGuardrail, converse, countTokens, type EngineResult, invoke } from "../../../src/emulator/engine/index.js"

const ids = [...models.map((m) => m.id), "us.anthropic.claude-3-7-sonnet-20250219-v1:0", "unknown.model", ""]

const wellFormed = (r: EngineResult<unknown>): boolean =>
  r.ok || (r.error.status >= 400 && r.error.status < 500 && r.error.type.length > 0 && r.error.message.length > 0)

const text = fc.string({ maxLength: 40 })
const block = fc.oneof(
  fc.record({ text }),
  fc.record({ toolUse: fc.record({ toolUseId: text, name: text, input: fc.jsonValue() }) }),
  fc.record({ toolResult: fc.record({ toolUseId: text, content: fc.array(fc.record({ text }), { maxLength: 2 }) }) }),
  fc.record({ cachePoint: fc.record({ type: fc.constantFrom("default", "other") }) }),
  fc.record({
    document: fc.record({ format: fc.constantFrom("txt", "pdf"), name: text, source: fc.record({ text }) })
  }),
  fc.jsonValue()
)
const converseBody = fc.record({
  messages: fc.array(
    fc.record({ role: fc.constantFrom("user", "assistant", "x"), content: fc.array(block, { maxLength: 3 }) }),
    { maxLength: 4 }
  ),
  inferenceConfig: fc.option(
    fc.record({ maxTokens: fc.integer({ min: -5, max: 70_000 }), stopSequences: fc.array(text, { maxLength: 2 }) }),
    { nil: undefined }
  ),
  toolConfig: fc.option(
    fc.record({
      tools: fc.array(
        fc.record({
          toolSpec: fc.record({
            name: fc.stringMatching(/^[a-z_]{1,8}$/),
            inputSchema: fc.record({ json: fc.jsonValue() })
          })
        }),
        { maxLength: 2 }
      ),
      toolChoice: fc.constantFrom<Record<string, unknown>>({ auto: {} }, { any: {} }, { tool: { name: "a" } })
    }),
    { nil: undefined }
  )
}, { requiredKeys: ["messages"] })

describe("fuzz: arbitrary bodies never throw", () => {
  it("converse, invoke, countTokens and applyGuardrail return ok or a well-formed error for any JSON", () => {
    fc.assert(
      fc.property(fc.constantFrom(...ids), fc.jsonValue(), (id, body) => {
        for (
          const r of [converse(id, body), invoke(id, body), countTokens(id, body), applyGuardrail(id, "DRAFT", body)]
        ) {
          expect(wellFormed(r as EngineResult<unknown>)).toBe(true)
        }
      }),
      { seed: 42, numRuns: 400 }
    )
  })

  it("Converse-shaped bodies exercise validation and the model without throwing", () => {
    fc.assert(
      fc.property(fc.constantFrom(...ids), converseBody, (id, body) => {
        const r = converse(id, body)
        expect(wellFormed(r)).toBe(true)
        const c = countTokens(id, { input: { converse: body } })
        expect(wellFormed(c)).toBe(true)
      }),
      { seed: 7, numRuns: 600 }
    )
  })

  it("native-shaped bodies too", () => {
    const native = fc.record({
      anthropic_version: fc.constantFrom("bedrock-2023-05-31", "x"),
      max_tokens: fc.integer({ min: 0, max: 5000 }),
      messages: fc.array(
        fc.record({
          role: fc.constantFrom("user", "assistant", "system", "tool"),
          content: fc.oneof(text, fc.array(fc.jsonValue(), { maxLength: 2 }))
        }),
        { maxLength: 3 }
      ),
      prompt: text,
      inputText: text,
      texts: fc.array(text, { maxLength: 3 }),
      input_type: fc.constantFrom("search_query", "x"),
      message: text
    }, { requiredKeys: [] })
    fc.assert(
      fc.property(fc.constantFrom(...ids), native, (id, body) => {
        expect(wellFormed(invoke(id, body))).toBe(true)
      }),
      { seed: 3, numRuns: 600 }
    )
  })
})
