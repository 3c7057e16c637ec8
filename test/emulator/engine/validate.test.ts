import { describe, expect, it } from "vitest"
import { converse } from "../../../src/emulator/engine/index.js"
import { assistant, error, recording, user } from "./helpers.js"

const HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
const tools = { tools: [{ toolSpec: { name: "lookup", inputSchema: { json: { type: "object", properties: {} } } } }] }
const message = (body: unknown) => error(converse(HAIKU, body)).message

describe("Converse validation", () => {
  it("answers an unknown model as the recording does", () => {
    const rec = recording("pydantic-ai__error-converse-invalid-model-400")
    const e = error(converse(rec.modelId, rec.request.body))
    expect(e).toEqual({ type: "ValidationException", status: 400, message: rec.response.body.message })
  })

  it("checks roles and order", () => {
    expect(message({ messages: [assistant("hi")] })).toBe(
      "A conversation must start with a user message. Try again with a conversation that starts with a user message."
    )
    expect(message({ messages: [user("a"), user("b")] })).toBe(
      "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again."
    )
    expect(message({ messages: [{ role: "robot", content: [{ text: "x" }] }] })).toContain("messages.0.member.role")
    expect(message({ messages: [] })).toContain("must start with a user message")
  })

  it("rejects blank text and empty content", () => {
    expect(message({ messages: [user("  ")] })).toBe(
      "The text field in the ContentBlock object at messages.0.content.0 is blank. Add text to the text field, and try again."
    )
    expect(message({ messages: [{ role: "user", content: [] }] })).toContain(
      "The content field in the Message object at messages.0 is empty"
    )
  })

  it("requires toolConfig for tool blocks and pairs toolResults with toolUses", () => {
    const use = { role: "assistant", content: [{ toolUse: { toolUseId: "t1", name: "lookup", input: {} } }] }
    const result = (id: string) => ({ toolResult: { toolUseId: id, content: [{ text: "ok" }] } })
    expect(message({ messages: [user("x"), use, { role: "user", content: [result("t1")] }] })).toBe(
      "The toolConfig field must be defined when using toolUse and toolResult content blocks."
    )
    expect(
      message({ messages: [user("x"), assistant("y"), { role: "user", content: [result("t1")] }], toolConfig: tools })
    ).toBe(
      "The number of toolResult blocks at messages.2.content exceeds the number of toolUse blocks of previous turn."
    )
    expect(message({ messages: [user("x"), use, { role: "user", content: [result("t9")] }], toolConfig: tools }))
      .toContain(
        "unexpected `tool_use_id` found in `tool_result` blocks: t9"
      )
    expect(message({ messages: [user("x"), use, user("and?")], toolConfig: tools })).toContain(
      "`tool_use` ids were found without `tool_result` blocks immediately after: t1"
    )
    expect(
      message({
        messages: [user("x"), use, {
          role: "user",
          content: [{ toolResult: { toolUseId: "t1", content: [], status: "error" } }]
        }],
        toolConfig: tools
      })
    ).toBe("The content field at messages.2.content.0.toolResult cannot be empty when status value is error.")
  })

  it("checks maxTokens and sampling ranges", () => {
    expect(message({ messages: [user("x")], inferenceConfig: { maxTokens: 5000 } })).toBe(
      "The maximum tokens you requested exceeds the model limit of 4096. Try again with a maximum tokens value that is lower than 4096."
    )
    expect(message({ messages: [user("x")], inferenceConfig: { maxTokens: 0 } })).toContain(
      "at 'inferenceConfig.maxTokens' failed to satisfy constraint: Member must have value greater than or equal to 1"
    )
    expect(message({ messages: [user("x")], inferenceConfig: { temperature: 3 } })).toContain(
      "inferenceConfig.temperature"
    )
    expect(message({ messages: [user("x")], inferenceConfig: { maxTokens: "ten" } })).toContain(
      "inferenceConfig.maxTokens"
    )
  })

  it("names the field of a wrong type", () => {
    expect(message({ messages: "hello" })).toContain("'messages'")
    expect(message({ messages: [{ role: "user", content: "hello" }] })).toContain("messages.0.content")
    expect(message({ messages: [{ role: "user", content: [{ text: 42 }] }] })).toContain("messages.0.content.0.text")
    expect(message(null)).toContain("failed to satisfy constraint")
  })

  it("checks tools, toolChoice, thinking and model support", () => {
    expect(message({ messages: [user("x")], toolConfig: { tools: [] } })).toContain("toolConfig.tools")
    expect(message({ messages: [user("x")], toolConfig: { ...tools, toolChoice: { tool: { name: "nope" } } } }))
      .toContain("nope")
    expect(error(converse("meta.llama3-8b-instruct-v1:0", { messages: [user("x")], toolConfig: tools })).message).toBe(
      "This model doesn't support tool use."
    )
    expect(error(converse("amazon.titan-embed-text-v2:0", { messages: [user("x")] })).message).toContain(
      "This action doesn't support the model that you provided"
    )
    const sonnet4 = "anthropic.claude-sonnet-4-20250514-v1:0"
    const thinking = (fields: object, inference: object = {}) =>
      error(
        converse(sonnet4, {
          messages: [user("x")],
          inferenceConfig: inference,
          additionalModelRequestFields: { thinking: fields }
        })
      ).message
    expect(thinking({ type: "enabled", budget_tokens: 100 })).toContain("greater than or equal to 1024")
    expect(thinking({ type: "enabled", budget_tokens: 2000 }, { maxTokens: 1500 })).toContain(
      "`max_tokens` must be greater than `thinking.budget_tokens`"
    )
    expect(thinking({ type: "enabled", budget_tokens: 2000 }, { temperature: 0.5 })).toContain(
      "`temperature` may only be set to 1"
    )
    expect(
      message({
        messages: [user("x")],
        additionalModelRequestFields: { thinking: { type: "enabled", budget_tokens: 2000 } }
      })
    ).toContain(
      "Extra inputs are not permitted"
    )
  })

  it("limits cache points and checks guardrail ids", () => {
    const cache = { cachePoint: { type: "default" } }
    const sonnet = "anthropic.claude-3-7-sonnet-20250219-v1:0"
    const many = {
      messages: [{
        role: "user",
        content: [
          { text: "a" },
          cache,
          { text: "b" },
          cache,
          { text: "c" },
          cache,
          { text: "d" },
          cache,
          { text: "e" },
          cache
        ]
      }]
    }
    expect(error(converse(sonnet, many)).message).toContain(
      "A maximum of 4 blocks with cache_control may be provided. Found 5."
    )
    expect(
      error(converse("meta.llama3-8b-instruct-v1:0", { messages: [{ role: "user", content: [{ text: "a" }, cache] }] }))
        .message
    ).toContain(
      "prompt caching"
    )
    expect(
      message({ messages: [user("x")], guardrailConfig: { guardrailIdentifier: "Bad Id!", guardrailVersion: "DRAFT" } })
    ).toContain(
      "guardrailConfig.guardrailIdentifier"
    )
  })
})
