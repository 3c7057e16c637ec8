import { describe, expect, it } from "vitest"
import { clearCache } from "../../../src/emulator/engine/cache.js"
import { countTokens, invoke } from "../../../src/emulator/engine/index.js"
import { error, ok, recording, shape, value } from "./helpers.js"

const chunksOf = (name: string) => recording(name).frames!.map((f) => f.bytesDecoded)

describe("InvokeModel: native bodies per family match the recordings' shapes", () => {
  const bodies: ReadonlyArray<[string, ReadonlyArray<string>]> = [
    ["dd-trace-py__invoke-claude3-messages", []],
    ["dd-trace-py__invoke-titan-text", []],
    ["dd-trace-py__invoke-titan-text-foundation-model-arn", []],
    ["dd-trace-py__invoke-llama2-chat", []],
    ["dd-trace-py__invoke-cohere-command-two-generations", []],
    ["dd-trace-py__invoke-titan-embed-text-v1", []],
    ["pydantic-ai__invoke-titan-embed-text-v2-256d", []],
    ["dd-trace-py__invoke-cohere-embed-english-v3", []],
    ["pydantic-ai__invoke-cohere-embed-v4-512d", []],
    ["pydantic-ai__invoke-claude-opus-messages-recent", [
      "stop_details",
      "usage.cache_creation",
      "usage.output_tokens_details",
      "usage.service_tier"
    ]]
  ]

  it.each(bodies)("%s", (name, ignore) => {
    const rec = recording(name)
    const out = ok(invoke(rec.modelId, rec.request.body))
    expect(shape(out.body, ignore)).toEqual(shape(rec.response.body, ignore))
  })

  const streams: ReadonlyArray<string> = [
    "dd-trace-py__invoke-stream-claude3-messages",
    "dd-trace-py__invoke-stream-llama2-chat",
    "dd-trace-py__invoke-stream-cohere-command",
    "dd-trace-py__invoke-stream-titan-text"
  ]

  it.each(streams)("stream chunks of %s", (name) => {
    const rec = recording(name)
    const recorded = chunksOf(name)
    const out = ok(invoke(rec.modelId, rec.request.body))
    const chunks: Array<any> = out.chunks
    expect(shape(chunks[0])).toEqual(shape(recorded[0]))
    expect(shape(chunks.at(-1))).toEqual(shape(recorded.at(-1)))
    const metrics = chunks.at(-1)["amazon-bedrock-invocationMetrics"]
    expect(Object.keys(metrics)).toEqual([
      "inputTokenCount",
      "outputTokenCount",
      "invocationLatency",
      "firstByteLatency"
    ])
    expect(metrics.outputTokenCount).toBe(out.usage.outputTokens * (rec.request.body.num_generations ?? 1))
    const kinds = (cs: ReadonlyArray<any>) => [...new Set(cs.map((c) => c.type ?? "chunk"))]
    expect(kinds(chunks)).toEqual(kinds(recorded))
  })
})

describe("InvokeModel: behaviour", () => {
  it("Claude: stream chunks carry the body's text, tool input and usage", () => {
    const out = ok(invoke("anthropic.claude-3-5-haiku-20241022-v1:0", {
      anthropic_version: "bedrock-2023-05-31",
      max_tokens: 300,
      messages: [{ role: "user", content: "What is the weather in Paris?" }],
      tools: [{
        name: "get_weather",
        input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
      }]
    }))
    expect(out.body.stop_reason).toBe("tool_use")
    const use = out.body.content.find((c: any) => c.type === "tool_use")
    expect(use.input).toEqual({ city: "Paris" })
    expect(use.id).toMatch(/^toolu_bdrk_01/)
    const partial = out.chunks.filter((c: any) => c.delta?.type === "input_json_delta").map((c: any) =>
      c.delta.partial_json
    ).join("")
    expect(JSON.parse(partial)).toEqual(use.input)
    const text = out.chunks.filter((c: any) => c.delta?.type === "text_delta").map((c: any) => c.delta.text).join("")
    expect(text).toBe(out.body.content[0].text)
    expect(out.chunks.find((c: any) => c.type === "message_delta").usage.output_tokens).toBe(
      out.body.usage.output_tokens
    )
  })

  it("Claude: thinking blocks with a signature delta, cache_control counted like cache points", () => {
    clearCache()
    const body = {
      anthropic_version: "bedrock-2023-05-31",
      max_tokens: 4000,
      thinking: { type: "enabled", budget_tokens: 1024 },
      system: [{ type: "text", text: "Guidelines. ".repeat(300), cache_control: { type: "ephemeral" } }],
      messages: [{ role: "user", content: [{ type: "text", text: "Hi" }] }]
    }
    const first = ok(invoke("us.anthropic.claude-sonnet-4-20250514-v1:0", body))
    expect(first.body.content[0].type).toBe("thinking")
    expect(first.chunks.some((c: any) => c.delta?.type === "signature_delta")).toBe(true)
    expect(first.body.usage.cache_creation_input_tokens).toBeGreaterThan(500)
    const second = ok(invoke("us.anthropic.claude-sonnet-4-20250514-v1:0", body))
    expect(second.body.usage.cache_read_input_tokens).toBe(first.body.usage.cache_creation_input_tokens)
    expect(second.usage.cacheReadInputTokens).toBe(first.body.usage.cache_creation_input_tokens)
  })

  it("counts the same input tokens for InvokeModel and CountTokens' invokeModel input", () => {
    const rec = recording("pydantic-ai__count-tokens-invoke-model-input")
    const native = JSON.parse(Buffer.from(rec.request.body.input.invokeModel.body, "base64").toString("utf8"))
    const counted = value(countTokens(rec.modelId, rec.request.body)).inputTokens
    expect(ok(invoke(rec.modelId, native)).body.usage.input_tokens).toBe(counted)
    const asConverse = value(countTokens(rec.modelId, {
      input: {
        converse: {
          system: [{ text: "You are helpful." }],
          messages: [{ role: "user", content: [{ text: "How many tokens is this sentence?" }] }]
        }
      }
    })).inputTokens
    expect(asConverse).toBe(counted)
  })

  it("Nova: messages-v1 body and Converse-like chunks", () => {
    const out = ok(invoke("us.amazon.nova-lite-v1:0", {
      schemaVersion: "messages-v1",
      messages: [{ role: "user", content: [{ text: "Hello there" }] }],
      inferenceConfig: { max_new_tokens: 6 }
    }))
    expect(out.body.stopReason).toBe("max_tokens")
    expect(out.body.usage.outputTokens).toBe(6)
    expect(Object.keys(out.chunks[0])).toEqual(["messageStart"])
    expect(out.chunks.at(-1).metadata.usage).toEqual({ inputTokens: out.body.usage.inputTokens, outputTokens: 6 })
  })

  it("Mistral, Jamba, Command R, gpt-oss: chat bodies with tools", () => {
    const tools = [{
      type: "function",
      function: {
        name: "get_weather",
        parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
      }
    }]
    const messages = [{ role: "user", content: "What is the weather in Rome?" }]
    const mistral = ok(invoke("mistral.mistral-large-2407-v1:0", { messages, tools }))
    expect(mistral.body.choices[0].stop_reason).toBe("tool_calls")
    expect(JSON.parse(mistral.body.choices[0].message.tool_calls[0].function.arguments)).toEqual({ city: "Rome" })
    const jamba = ok(invoke("ai21.jamba-1-5-large-v1:0", { messages, tools }))
    expect(jamba.body.choices[0].finish_reason).toBe("tool_calls")
    expect(Object.keys(jamba.body.usage)).toEqual(["prompt_tokens", "completion_tokens", "total_tokens"])
    const gpt = ok(
      invoke("openai.gpt-oss-120b-1:0", { messages: [{ role: "user", content: "Hi" }], max_completion_tokens: 50 })
    )
    expect(gpt.body.object).toBe("chat.completion")
    expect(gpt.chunks.at(-1).choices[0].finish_reason).toBe("stop")
    const completion = ok(
      invoke("mistral.mistral-7b-instruct-v0:2", { prompt: "<s>[INST] Say hi [/INST]", max_tokens: 4 })
    )
    expect(completion.body.outputs[0].stop_reason).toBe("length")
    const commandR = ok(invoke("cohere.command-r-plus-v1:0", {
      message: "What is the weather in Oslo?",
      tools: [{ name: "get_weather", parameter_definitions: { city: { type: "str", required: true } } }]
    }))
    expect(commandR.body.tool_calls).toEqual([{ name: "get_weather", parameters: { city: "Oslo" } }])
    expect(commandR.chunks.at(-1).event_type).toBe("stream-end")
  })

  it("Llama and Titan read the question out of chat templates and stop at their limits", () => {
    const llama = ok(invoke("meta.llama3-1-70b-instruct-v1:0", {
      prompt:
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhat is tracing?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
      max_gen_len: 512
    }))
    expect(llama.body.generation).toContain("What is tracing?")
    expect(llama.body.stop_reason).toBe("stop")
    expect(llama.chunks.map((c: any) => c.generation).join("")).toBe(llama.body.generation)
    const titan = ok(
      invoke("amazon.titan-text-express-v1", {
        inputText: "User: alpha beta gamma\nBot:",
        textGenerationConfig: { stopSequences: ["beta"] }
      })
    )
    expect(titan.body.results[0].completionReason).toBe("STOP_CRITERIA_MET")
  })

  it("rejects malformed native bodies in the service's style", () => {
    expect(error(invoke("meta.llama3-8b-instruct-v1:0", { prompt: "x", foo: 1 })).message).toBe(
      "Malformed input request: #: extraneous key [foo] is not permitted, please reformat your input and try again."
    )
    expect(error(invoke("amazon.titan-text-lite-v1", { textGenerationConfig: {} })).message).toContain(
      "required key [inputText] not found"
    )
    expect(error(invoke("anthropic.claude-3-haiku-20240307-v1:0", { max_tokens: 10, messages: [] })).message).toContain(
      "required key [anthropic_version] not found"
    )
    expect(
      error(invoke("anthropic.claude-3-haiku-20240307-v1:0", {
        anthropic_version: "bedrock-2023-05-31",
        max_tokens: 10,
        messages: [{ role: "user", content: "a" }, { role: "user", content: "b" }]
      })).message
    ).toContain("roles must alternate")
    expect(error(invoke("meta.llama2-13b-chat-v1", { prompt: "x", max_gen_len: 9999 })).message).toContain(
      "#/max_gen_len: 9999 is not less or equal to 2048"
    )
    expect(error(invoke("nope.model", { prompt: "x" })).message).toBe("The provided model identifier is invalid.")
    expect(error(invoke("meta.llama2-13b-chat-v1", [1, 2])).message).toContain("expected type: JSONObject")
  })
})
