import { describe, expect, it } from "vitest"
import { clearCache } from "../../../src/emulator/engine/cache.js"
import { converse, converseEvents, countTokens } from "../../../src/emulator/engine/index.js"
import { conforms } from "../../../src/emulator/engine/schema.js"
import { countText } from "../../../src/emulator/engine/tokens.js"
import { assistant, fold, ok, recording, shape, user, value } from "./helpers.js"

const SONNET4 = "anthropic.claude-sonnet-4-20250514-v1:0"
const NOVA = "us.amazon.nova-micro-v1:0"
const weather = {
  tools: [{
    toolSpec: {
      name: "get_weather",
      description: "Get the weather for a location.",
      inputSchema: { json: { type: "object", properties: { location: { type: "string" } }, required: ["location"] } }
    }
  }]
}

const content = (body: Record<string, any>): Array<any> => body.output.message.content

describe("Converse: the deterministic model", () => {
  it("answers about the last user text, the same way every time", () => {
    const a = ok(converse(NOVA, { messages: [user("What is the capital of France?")] }))
    const b = ok(converse(NOVA, { messages: [user("What is the capital of France?")] }))
    expect(a).toEqual(b)
    const text: string = content(a.body)[0].text
    expect(text).toContain("What is the capital of France?")
    expect(text).toContain("emulator")
    expect(a.body.stopReason).toBe("end_turn")
  })

  it("replies exactly when asked to", () => {
    const out = ok(converse(NOVA, { messages: [user("Reply with exactly: pong")] }))
    expect(content(out.body)).toEqual([{ text: "pong" }])
  })

  it("writes as many words as asked, and stops at maxTokens", () => {
    const long = ok(converse(NOVA, { messages: [user("Write 300 words about tracing")] }))
    expect((content(long.body)[0].text as string).split(/\s+/).length).toBeGreaterThan(300)
    const cut = value(
      converse(NOVA, { messages: [user("Write 300 words about tracing")], inferenceConfig: { maxTokens: 7 } })
    )
    expect(cut.body.stopReason).toBe("max_tokens")
    expect(cut.body.usage).toMatchObject({ outputTokens: 7 })
    expect(countText(content(cut.body)[0].text)).toBe(7)
  })

  it("stops at the first stop sequence", () => {
    const out = value(
      converse(SONNET4, { messages: [user("alpha beta gamma")], inferenceConfig: { stopSequences: ["gamma", "beta"] } })
    )
    expect(out.body.stopReason).toBe("stop_sequence")
    expect(content(out.body)[0].text).not.toContain("beta")
    expect(out.body.additionalModelResponseFields).toEqual({ stop_sequence: "beta" })
  })

  it("calls a tool the user names, with an input valid against its schema", () => {
    const out = value(
      converse(SONNET4, { messages: [user("What is the weather in San Francisco, CA?")], toolConfig: weather })
    )
    expect(out.body.stopReason).toBe("tool_use")
    const use = content(out.body).find((b) => b.toolUse).toolUse
    expect(use.name).toBe("get_weather")
    expect(use.toolUseId).toMatch(/^tooluse_[A-Za-z0-9]{22}$/)
    expect(use.input).toEqual({ location: "San Francisco, CA" })
  })

  it("fills a query-like string property with the user's first sentence", () => {
    const search = {
      tools: [{
        toolSpec: {
          name: "search_docs",
          inputSchema: {
            json: { type: "object", properties: { question: { type: "string" } }, required: ["question"] }
          }
        }
      }]
    }
    const out = value(
      converse(SONNET4, { messages: [user("How many days off? Use search_docs.")], toolConfig: search })
    )
    expect(content(out.body).find((b) => b.toolUse).toolUse.input).toEqual({ question: "How many days off?" })
  })

  it("does not call a tool the conversation does not ask for, unless toolChoice forces one", () => {
    const free = ok(converse(SONNET4, { messages: [user("Tell me a joke")], toolConfig: weather }))
    expect(free.body.stopReason).toBe("end_turn")
    const forced = value(
      converse(NOVA, { messages: [user("Tell me a joke")], toolConfig: { ...weather, toolChoice: { any: {} } } })
    )
    expect(forced.body.stopReason).toBe("tool_use")
    expect(content(forced.body)).toHaveLength(1)
  })

  it("generates inputs valid against richer schemas", () => {
    const schema = {
      type: "object",
      properties: {
        city: { type: "string", minLength: 2 },
        days: { type: "integer", minimum: 1, maximum: 10 },
        unit: { enum: ["celsius", "fahrenheit"] },
        tags: { type: "array", items: { type: "string" }, minItems: 2 },
        when: { type: "string", format: "date" },
        nested: {
          type: "object",
          properties: { ok: { type: "boolean" }, n: { type: "number", exclusiveMinimum: 0 } },
          required: ["ok", "n"]
        },
        ref: { $ref: "#/$defs/point" },
        either: { anyOf: [{ type: "null" }, { type: "integer", multipleOf: 5, minimum: 7 }] }
      },
      required: ["city", "days", "unit", "tags", "when", "nested", "ref", "either"],
      $defs: { point: { type: "object", properties: { x: { type: "number" } }, required: ["x"] } }
    }
    const toolConfig = {
      tools: [{ toolSpec: { name: "forecast", inputSchema: { json: schema } } }],
      toolChoice: { tool: { name: "forecast" } }
    }
    const out = ok(converse(SONNET4, { messages: [user("forecast for 3 days in Paris in fahrenheit")], toolConfig }))
    const input = content(out.body)[0].toolUse.input
    expect(conforms(schema, input)).toBe(true)
    expect(input).toMatchObject({ city: "Paris", days: 3, unit: "fahrenheit" })
    expect(input.either % 5).toBe(0)
  })

  it("answers with the tool results after they come back", () => {
    const out = ok(converse(SONNET4, {
      messages: [
        user("What is the weather in Paris?"),
        {
          role: "assistant",
          content: [{ toolUse: { toolUseId: "tooluse_1", name: "get_weather", input: { location: "Paris" } } }]
        },
        {
          role: "user",
          content: [{ toolResult: { toolUseId: "tooluse_1", content: [{ json: { temperature: 21 } }] } }]
        }
      ],
      toolConfig: weather
    }))
    expect(out.body.stopReason).toBe("end_turn")
    expect(content(out.body)[0].text).toContain("get_weather returned")
    expect(content(out.body)[0].text).toContain("\"temperature\":21")
  })

  it("reasons first, with a signature, when thinking is requested", () => {
    const out = ok(converse(SONNET4, {
      messages: [user("How do I cross the street?")],
      additionalModelRequestFields: { thinking: { type: "enabled", budget_tokens: 1024 } }
    }))
    const [reasoning, text] = content(out.body)
    expect(reasoning.reasoningContent.reasoningText.text).toContain("cross the street")
    expect(reasoning.reasoningContent.reasoningText.signature.length).toBeGreaterThan(100)
    expect(text.text).toBeDefined()
    const rec = recording("pydantic-ai__converse-reasoning-signature-claude-sonnet4")
    expect(shape(out.body, ["metrics"])).toEqual(shape(rec.response.body, ["metrics"]))
  })

  it("reasons without a signature on Nova 2 with reasoningConfig", () => {
    const out = ok(converse("us.amazon.nova-2-lite-v1:0", {
      messages: [user("Hi")],
      additionalModelRequestFields: { reasoningConfig: { type: "enabled", maxReasoningEffort: "low" } }
    }))
    expect(content(out.body)[0].reasoningContent.reasoningText.signature).toBeUndefined()
  })

  it("cites a document that asks for citations, like the recording", () => {
    const rec = recording("langchain-aws__converse-stream-citations-claude-sonnet5")
    const out = ok(converse(rec.modelId, rec.request.body))
    const cited = content(out.body).find((b) => b.citationsContent).citationsContent
    expect(cited.citations[0].location.documentChar).toEqual({ documentIndex: 0, start: 0, end: 58 })
    expect(cited.citations[0].sourceContent[0].text).toBe("Company leave policy: Employees get 20 days annual leave. ")
    const recorded = recording("langchain-aws__converse-citations-claude-sonnet5").response.body
    expect(shape(cited)).toEqual(shape(recorded.output.message.content[1].citationsContent))
  })

  it("writes the cache on first sight of a prefix and reads it after", () => {
    clearCache()
    const write = recording("dd-trace-py__converse-prompt-cache-write-claude37")
    const read = recording("dd-trace-py__converse-prompt-cache-read-claude37")
    const first = ok(converse(write.modelId, write.request.body)).body.usage
    const second = ok(converse(read.modelId, read.request.body)).body.usage
    expect(first.cacheWriteInputTokens).toBeGreaterThan(1000)
    expect(first.cacheReadInputTokens).toBe(0)
    expect(second.cacheReadInputTokens).toBe(first.cacheWriteInputTokens)
    expect(second.cacheWriteInputTokens).toBe(0)
    expect(second.totalTokens).toBe(second.inputTokens + second.outputTokens + second.cacheReadInputTokens)
    expect(Object.keys(first).sort()).toEqual(Object.keys(write.response.body.usage).sort())
  })

  it("counts input tokens the same way in Converse usage and CountTokens", () => {
    clearCache()
    const rec = recording("pydantic-ai__count-tokens-converse-input-with-tools")
    const counted = value(countTokens(rec.modelId, rec.request.body)).inputTokens
    const answered = ok(converse(rec.modelId, rec.request.body.input.converse)).body.usage
    expect(answered.inputTokens + answered.cacheReadInputTokens + answered.cacheWriteInputTokens).toBe(counted)
    const cached = {
      ...rec.request.body.input.converse,
      system: [{ text: "You are terse." }, { cachePoint: { type: "default" } }]
    }
    const withCache = ok(converse(rec.modelId, cached)).body.usage
    const countCached = value(countTokens(rec.modelId, { input: { converse: cached } })).inputTokens
    expect(withCache.inputTokens + withCache.cacheWriteInputTokens + withCache.cacheReadInputTokens).toBe(countCached)
  })

  it("refuses CountTokens on profiles and models that cannot count, as the service does", () => {
    const rec = recording("pydantic-ai__error-count-tokens-unsupported-model-400")
    const r = countTokens(rec.modelId, rec.request.body)
    expect(r.ok ? "" : r.error.message).toBe(rec.response.body.message)
  })

  it("blocks with the guardrail and reports its trace", () => {
    const rec = recording("pydantic-ai__converse-guardrail-trace-nova-micro")
    const passed = ok(converse(rec.modelId, rec.request.body))
    expect(passed.body.stopReason).toBe("end_turn")
    expect(shape(passed.body.trace, ["guardrail.modelOutput"])).toEqual(
      shape(rec.response.body.trace, ["guardrail.modelOutput"])
    )
    const blocked = ok(converse(rec.modelId, { ...rec.request.body, messages: [user("Please BLOCKME now")] }))
    expect(blocked.body.stopReason).toBe("guardrail_intervened")
    expect(content(blocked.body)).toEqual([{ text: "Sorry, the model cannot answer this question." }])
    expect(blocked.body.trace.guardrail.inputAssessment.xbgw7g293v7o.wordPolicy.customWords[0].match).toBe("BLOCKME")
  })

  it("matches the recorded response shapes", () => {
    const nova = recording("pydantic-ai__converse-text-nova-micro")
    expect(shape(ok(converse(nova.modelId, nova.request.body)).body)).toEqual(shape(nova.response.body))
    const claude3 = recording("dd-trace-py__converse-text-and-tool-use-claude3-sonnet")
    expect(shape(ok(converse(claude3.modelId, claude3.request.body)).body)).toEqual(shape(claude3.response.body))
    const profile = recording("dd-trace-py__converse-application-inference-profile-arn")
    expect(shape(ok(converse(profile.modelId, profile.request.body)).body, ["usage.serverToolUsage"])).toEqual(
      shape(profile.response.body, ["usage.serverToolUsage"])
    )
  })
})

describe("ConverseStream events", () => {
  const cases: ReadonlyArray<[string, string, Record<string, unknown>]> = [
    ["text", NOVA, { messages: [user("Hello!")] }],
    ["tool use", SONNET4, { messages: [user("What is the weather in Paris?")], toolConfig: weather }],
    ["reasoning", SONNET4, {
      messages: [user("Hi")],
      additionalModelRequestFields: { thinking: { type: "enabled", budget_tokens: 1024 } }
    }],
    [
      "citations",
      "us.anthropic.claude-sonnet-5",
      recording("langchain-aws__converse-stream-citations-claude-sonnet5").request.body
    ],
    ["max tokens", NOVA, { messages: [user("Write 50 words")], inferenceConfig: { maxTokens: 5 } }]
  ]

  it.each(cases)("fold to the same content as the body (%s)", (_, model, body) => {
    const out = ok(converse(model, body))
    expect(fold(out.events)).toEqual(content(out.body))
    const types = out.events.map((e: { type: string }) => e.type)
    expect(types[0]).toBe("messageStart")
    expect(types.slice(-2)).toEqual(["messageStop", "metadata"])
    expect(out.events.at(-2)!.payload.stopReason).toBe(out.body.stopReason)
    expect(out.events.at(-1)!.payload.usage).toEqual(out.body.usage)
  })

  it("start toolUse blocks only, in the recorded order and shapes", () => {
    const rec = recording("dd-trace-py__converse-stream-text-then-tool-use-claude3-sonnet")
    const out = value(
      converse(rec.modelId, {
        ...rec.request.body,
        messages: [user("Use fetch_concept for the concept of distributed tracing")]
      })
    )
    const squash = (types: ReadonlyArray<string>) => types.filter((t, i) => t !== types[i - 1])
    const recorded = rec.frames!.map((f) => f[":event-type"]!)
    expect(squash(out.events.map((e) => e.type))).toEqual(squash(recorded))
    const byType = (events: ReadonlyArray<{ type: string; payload: unknown }>, type: string) =>
      events.filter((e) => e.type === type).map((e) => shape(e.payload))
    for (const type of ["messageStart", "contentBlockStart", "contentBlockStop", "messageStop", "metadata"]) {
      expect(byType(out.events, type)[0]).toEqual(
        byType(rec.frames!.map((f) => ({ type: f[":event-type"]!, payload: f.payload })), type)[0]
      )
    }
    const inputs = out.events.filter((e) => (e.payload.delta as any)?.toolUse).map((e) =>
      (e.payload.delta as any).toolUse.input
    )
    expect(inputs[0]).toBe("")
    expect(inputs.length).toBeGreaterThan(2)
  })

  it("sends reasoning deltas then one signature delta", () => {
    const out = value(
      converse(SONNET4, {
        messages: [user("Hi")],
        additionalModelRequestFields: { thinking: { type: "enabled", budget_tokens: 1024 } }
      })
    )
    const block0 = out.events.filter((e) => e.payload.contentBlockIndex === 0 && e.type === "contentBlockDelta").map((
      e
    ) => (e.payload.delta as any).reasoningContent)
    expect(block0.slice(0, -1).every((d) => typeof d.text === "string")).toBe(true)
    expect(typeof block0.at(-1).signature).toBe("string")
  })

  it("derive events from any scripted response, never throwing", () => {
    const scripted = {
      output: {
        message: {
          role: "assistant",
          content: [{ text: "scripted" }, { toolUse: { toolUseId: "t", name: "n", input: { a: 1 } } }]
        }
      },
      stopReason: "tool_use"
    }
    const events = converseEvents(scripted)
    expect(fold(events)).toEqual(scripted.output.message.content)
    expect(events.at(-1)).toEqual({
      type: "metadata",
      payload: { metrics: { latencyMs: 0 }, usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 } }
    })
    expect(converseEvents({ output: 5 } as never).map((e) => e.type)).toEqual([
      "messageStart",
      "messageStop",
      "metadata"
    ])
    expect(converseEvents(assistant("x") as never).length).toBe(3)
  })
})
