import { assert, describe, it, layer } from "@effect/vitest"
import { Effect, Option } from "effect"
import * as Conversation from "../../src/Conversation.js"
import { Anthropic } from "../../src/families/Anthropic.js"
import { Cohere } from "../../src/families/Cohere.js"
import { Jamba } from "../../src/families/Jamba.js"
import { Llama, parseToolCalls } from "../../src/families/Llama.js"
import { Mistral } from "../../src/families/Mistral.js"
import * as NativeBody from "../../src/families/NativeBody.js"
import { Nova } from "../../src/families/Nova.js"
import { Titan } from "../../src/families/Titan.js"
import * as Message from "../../src/Message.js"
import * as Models from "../../src/Models.js"
import * as Response from "../../src/Response.js"
import { emulatorLayer, headerMetrics, invoke, invokeStream, recordedChunks, recording, request } from "./helpers.js"

const weather = Conversation.toolSpec({
  name: "get_weather",
  description: "Current weather for a city",
  inputSchema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
})
const tools = Conversation.toolConfig([weather])
const tricky = "Say <b>&\"' now"

/** user → assistant tool call → user tool result → assistant answer → user question */
const toolRound: ReadonlyArray<Message.Message> = [
  Message.user("Weather in Paris?"),
  Message.assistant([Message.toolUse("call_1", "get_weather", { city: "Paris" })]),
  Message.user([Message.toolResult("call_1", [Message.json({ temp: 21 })])])
]

describe("Models lookup", () => {
  it("forModel finds each family from catalog ids, profiles, ARNs and older ids", () => {
    const familyOf = (id: string) => Option.map(Models.forModel(id), (m) => m.family).pipe(Option.getOrUndefined)
    assert.strictEqual(familyOf("us.anthropic.claude-3-7-sonnet-20250219-v1:0"), "anthropic")
    assert.strictEqual(familyOf("amazon.nova-micro-v1:0"), "amazon-nova")
    assert.strictEqual(familyOf("meta.llama2-13b-chat-v1"), "meta-llama")
    assert.strictEqual(
      familyOf("arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-tg1-large"),
      "amazon-titan-text"
    )
    assert.strictEqual(familyOf("mistral.mistral-large-2407-v1:0"), "mistral")
    assert.strictEqual(familyOf("cohere.command-light-text-v14"), "cohere-command")
    assert.strictEqual(familyOf("ai21.jamba-1-5-mini-v1:0"), "ai21-jamba")
    assert.isTrue(Option.isNone(Models.forModel("amazon.titan-embed-text-v2:0")))
    assert.isTrue(Option.isNone(Models.forModel("stability.sd3-large-v1:0")))
  })
})

describe("Nova", () => {
  it.effect("encodes messages-v1 exactly", () =>
    Effect.gen(function*() {
      const body = yield* Nova.encodeRequest(request("amazon.nova-lite-v1:0", [
        Message.user([Message.image(new Uint8Array([1, 2, 3]), "png"), tricky, Message.cachePoint()]),
        ...toolRound.slice(1)
      ], {
        maxTokens: 300,
        temperature: 0.2,
        topK: 20,
        stopSequences: ["END"],
        system: Message.system("Be terse."),
        toolConfig: Conversation.toolConfig([weather], Conversation.toolChoiceTool("get_weather"))
      }))
      assert.deepStrictEqual(body, {
        schemaVersion: "messages-v1",
        system: [{ text: "Be terse." }],
        messages: [
          {
            role: "user",
            content: [{ image: { format: "png", source: { bytes: "AQID" } } }, { text: tricky }, {
              cachePoint: { type: "default" }
            }]
          },
          {
            role: "assistant",
            content: [{ toolUse: { toolUseId: "call_1", name: "get_weather", input: { city: "Paris" } } }]
          },
          { role: "user", content: [{ toolResult: { toolUseId: "call_1", content: [{ json: { temp: 21 } }] } }] }
        ],
        inferenceConfig: { max_new_tokens: 300, temperature: 0.2, stopSequences: ["END"], top_k: 20 },
        toolConfig: {
          tools: [{
            toolSpec: {
              name: "get_weather",
              description: "Current weather for a city",
              inputSchema: { json: weather.inputSchema }
            }
          }],
          toolChoice: { tool: { name: "get_weather" } }
        }
      })
    }))
})

describe("Llama", () => {
  it.effect("renders the Llama 3 chat template exactly, tools in the system prompt, results as ipython", () =>
    Effect.gen(function*() {
      const body = yield* Llama.encodeRequest(request("meta.llama3-1-70b-instruct-v1:0", toolRound, {
        maxTokens: 128,
        temperature: 0.1,
        system: Message.system("Be terse."),
        toolConfig: tools
      }))
      const definitions = JSON.stringify({
        type: "function",
        function: { name: "get_weather", description: "Current weather for a city", parameters: weather.inputSchema }
      })
      assert.deepStrictEqual(body, {
        prompt: "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe terse.\n\n" +
          `${
            "You have access to the following functions. To call a function, respond only with a JSON object in the format " +
            "{\"name\": function name, \"parameters\": dictionary of argument name and its value}, and nothing else. " +
            "Do not use variables. Call a function only when it is needed to answer."
          }\n\n${definitions}<|eot_id|>` +
          "<|start_header_id|>user<|end_header_id|>\n\nWeather in Paris?<|eot_id|>" +
          "<|start_header_id|>assistant<|end_header_id|>\n\n{\"name\":\"get_weather\",\"parameters\":{\"city\":\"Paris\"}}<|eot_id|>" +
          "<|start_header_id|>ipython<|end_header_id|>\n\n{\"temp\":21}<|eot_id|>" +
          "<|start_header_id|>assistant<|end_header_id|>\n\n",
        max_gen_len: 128,
        temperature: 0.1
      })
    }))

  it.effect("user text is not escaped; Llama 2 ids get the [INST] template", () =>
    Effect.gen(function*() {
      const llama3 = yield* Llama.encodeRequest(request("meta.llama3-8b-instruct-v1:0", [Message.user(tricky)]))
      assert.strictEqual(
        llama3["prompt"],
        `<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n${tricky}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n`
      )
      const llama2 = yield* Llama.encodeRequest(request("meta.llama2-13b-chat-v1", [
        Message.user("Hi"),
        Message.assistant("Hello."),
        Message.user(tricky)
      ], { system: Message.system("Be kind.") }))
      assert.strictEqual(
        llama2["prompt"],
        `<s>[INST] <<SYS>>\nBe kind.\n<</SYS>>\n\nHi [/INST] Hello. </s><s>[INST] ${tricky} [/INST]`
      )
    }))

  it.effect("decodes JSON tool calls (whole and streamed), and plain text", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(parseToolCalls("<|python_tag|>{\"name\": \"f\", \"parameters\": {\"a\": 1}}"), [
        { name: "f", input: { a: 1 } }
      ])
      assert.deepStrictEqual(
        parseToolCalls("{\"name\":\"f\",\"parameters\":{}}; {\"name\":\"g\",\"arguments\":{\"b\":2}}"),
        [
          { name: "f", input: {} },
          { name: "g", input: { b: 2 } }
        ]
      )
      assert.isUndefined(parseToolCalls("{ not json"))
      const call = "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}"
      const whole = yield* Llama.decodeResponse({
        generation: call,
        prompt_token_count: 50,
        generation_token_count: 12,
        stop_reason: "stop"
      })
      assert.strictEqual(whole.stopReason, "tool_use")
      const use = Response.toolUses(whole)[0]!
      assert.strictEqual(use.name, "get_weather")
      assert.deepStrictEqual(use.input, { city: "Paris" })
      const pieces = call.match(/.{1,5}/g)!
      const streamed = yield* NativeBody.foldChunks(
        Llama,
        pieces.map((generation, i) => ({
          generation,
          prompt_token_count: i === 0 ? 50 : null,
          generation_token_count: i + 1,
          stop_reason: i === pieces.length - 1 ? "stop" : null
        }))
      )
      assert.deepStrictEqual(streamed.message, whole.message)
      assert.strictEqual(streamed.stopReason, "tool_use")
      const braces = yield* NativeBody.foldChunks(Llama, [
        { generation: "{curly", prompt_token_count: 3, generation_token_count: 1, stop_reason: null },
        { generation: " text}", prompt_token_count: null, generation_token_count: 2, stop_reason: "length" }
      ])
      assert.strictEqual(Response.text(braces), "{curly text}")
      assert.strictEqual(braces.stopReason, "max_tokens")
    }))

  it.effect("recorded Llama 2 invoke and stream", () =>
    Effect.gen(function*() {
      const rec = recording("dd-trace-py__invoke-llama2-chat.json")
      const response = yield* Llama.decodeResponse(rec.response.body)
      assert.isTrue(Response.text(response).startsWith("\n\n\"Lorem ipsum\" is a commonly used phrase"))
      assert.strictEqual(response.stopReason, "max_tokens")
      assert.deepStrictEqual(response.usage, { inputTokens: 10, outputTokens: 60, totalTokens: 70 })
      const streamRec = recording("dd-trace-py__invoke-stream-llama2-chat.json")
      const streamed = yield* NativeBody.foldChunks(Llama, recordedChunks(streamRec))
      const expected = (streamRec.frames ?? []).map((f) => String(f.bytesDecoded?.["generation"] ?? "")).join("")
      assert.strictEqual(Response.text(streamed), expected)
      assert.strictEqual(streamed.stopReason, "max_tokens")
      assert.deepStrictEqual(streamed.usage, { inputTokens: 10, outputTokens: 60, totalTokens: 70 })
      assert.strictEqual(streamed.latencyMs, 1686)
    }))
})

describe("Titan", () => {
  it.effect("renders the User:/Bot: prompt exactly and refuses tools, images and documents before sending", () =>
    Effect.gen(function*() {
      const body = yield* Titan.encodeRequest(request("amazon.titan-text-express-v1", [
        Message.user("Hi"),
        Message.assistant("Hello."),
        Message.user(tricky)
      ], { maxTokens: 64, topP: 0.9, stopSequences: ["User:"], system: Message.system("Be kind.") }))
      assert.deepStrictEqual(body, {
        inputText: `Be kind.\nUser: Hi\nBot: Hello.\nUser: ${tricky}\nBot:`,
        textGenerationConfig: { maxTokenCount: 64, stopSequences: ["User:"], topP: 0.9 }
      })
      const toolsError = yield* Effect.flip(
        Titan.encodeRequest(request("amazon.titan-text-express-v1", [Message.user("hi")], { toolConfig: tools }))
      )
      assert.strictEqual(
        toolsError.message,
        "tools is not supported on Amazon Titan Text through InvokeModel (model amazon.titan-text-express-v1)"
      )
      assert.strictEqual(toolsError.feature, "tools")
      const image = yield* Effect.flip(
        Titan.encodeRequest(
          request("amazon.titan-text-express-v1", [Message.user([Message.image(new Uint8Array(1), "png"), "x"])])
        )
      )
      assert.strictEqual(image.feature, "images")
    }))

  it.effect("recorded Titan invoke and stream", () =>
    Effect.gen(function*() {
      for (
        const name of [
          "dd-trace-py__invoke-titan-text.json",
          "dd-trace-py__invoke-titan-text-foundation-model-arn.json"
        ]
      ) {
        const rec = recording(name)
        const response = yield* Titan.decodeResponse(rec.response.body, undefined, headerMetrics(rec))
        assert.include(Response.text(response), "Datadog is a monitoring and analytics platform")
        assert.strictEqual(response.stopReason, "max_tokens")
        assert.deepStrictEqual(response.usage, { inputTokens: 18, outputTokens: 50, totalTokens: 68 })
      }
      const streamRec = recording("dd-trace-py__invoke-stream-titan-text.json")
      const streamed = yield* NativeBody.foldChunks(Titan, recordedChunks(streamRec))
      assert.isTrue(Response.text(streamed).endsWith("businesses can identify performance"))
      assert.strictEqual(streamed.stopReason, "max_tokens")
      assert.strictEqual(streamed.usage.inputTokens, 18)
      assert.strictEqual(streamed.usage.outputTokens, 51)
    }))
})

describe("Mistral", () => {
  it.effect("instruct prompt for 7B and Mixtral, exact and unescaped", () =>
    Effect.gen(function*() {
      const body = yield* Mistral.encodeRequest(request("mistral.mixtral-8x7b-instruct-v0:1", [
        Message.user("Hi"),
        Message.assistant("Hello."),
        Message.user(tricky)
      ], { maxTokens: 50, topK: 10, stopSequences: ["###"], system: Message.system("Be kind.") }))
      assert.deepStrictEqual(body, {
        prompt: `<s>[INST] Be kind.\n\nHi [/INST] Hello.</s>[INST] ${tricky} [/INST]`,
        max_tokens: 50,
        stop: ["###"],
        top_k: 10
      })
      const refused = yield* Effect.flip(
        Mistral.encodeRequest(request("mistral.mistral-7b-instruct-v0:2", [Message.user("hi")], { toolConfig: tools }))
      )
      assert.strictEqual(refused.feature, "tools")
    }))

  it.effect("chat body with tools for Mistral Large", () =>
    Effect.gen(function*() {
      const body = yield* Mistral.encodeRequest(request("mistral.mistral-large-2407-v1:0", toolRound, {
        maxTokens: 100,
        system: Message.system("Be terse."),
        toolConfig: Conversation.toolConfig([weather], Conversation.toolChoiceAny)
      }))
      assert.deepStrictEqual(body, {
        messages: [
          { role: "system", content: "Be terse." },
          { role: "user", content: "Weather in Paris?" },
          {
            role: "assistant",
            content: "",
            tool_calls: [{
              id: "call_1",
              type: "function",
              function: { name: "get_weather", arguments: "{\"city\":\"Paris\"}" }
            }]
          },
          { role: "tool", tool_call_id: "call_1", content: "{\"temp\":21}" }
        ],
        tools: [{
          type: "function",
          function: { name: "get_weather", description: "Current weather for a city", parameters: weather.inputSchema }
        }],
        tool_choice: "any",
        max_tokens: 100
      })
    }))
})

describe("Cohere", () => {
  it.effect("Command R body: preamble, chat_history, tools as parameter_definitions, tool_results", () =>
    Effect.gen(function*() {
      const body = yield* Cohere.encodeRequest(request("cohere.command-r-plus-v1:0", toolRound, {
        maxTokens: 200,
        topP: 0.5,
        topK: 5,
        system: Message.system("Be terse."),
        toolConfig: tools
      }))
      assert.deepStrictEqual(body, {
        message: "",
        chat_history: [
          { role: "USER", message: "Weather in Paris?" },
          { role: "CHATBOT", message: "", tool_calls: [{ name: "get_weather", parameters: { city: "Paris" } }] }
        ],
        preamble: "Be terse.",
        tools: [{
          name: "get_weather",
          description: "Current weather for a city",
          parameter_definitions: { city: { type: "str", required: true } }
        }],
        tool_results: [{ call: { name: "get_weather", parameters: { city: "Paris" } }, outputs: [{ temp: 21 }] }],
        max_tokens: 200,
        p: 0.5,
        k: 5
      })
      const forced = yield* Effect.flip(Cohere.encodeRequest(request("cohere.command-r-v1:0", [Message.user("hi")], {
        toolConfig: Conversation.toolConfig([weather], Conversation.toolChoiceAny)
      })))
      assert.strictEqual(forced.feature, "toolChoice any")
    }))

  it.effect("recorded legacy Command invoke (two generations) and stream", () =>
    Effect.gen(function*() {
      const rec = recording("dd-trace-py__invoke-cohere-command-two-generations.json")
      const response = yield* Cohere.decodeResponse(rec.response.body, undefined, headerMetrics(rec))
      assert.strictEqual(Response.text(response), " A large language model (LLM) chain can")
      assert.strictEqual(response.stopReason, "max_tokens")
      assert.deepStrictEqual(response.usage, { inputTokens: 40, outputTokens: 20, totalTokens: 60 })
      const streamRec = recording("dd-trace-py__invoke-stream-cohere-command.json")
      const streamed = yield* NativeBody.foldChunks(Cohere, recordedChunks(streamRec))
      assert.strictEqual(
        Response.text(streamed),
        (streamRec.frames ?? []).map((f) => String(f.bytesDecoded?.["text"] ?? "")).join("")
      )
      assert.strictEqual(Response.text(streamed), " I am very happy to assist you! A Long")
      assert.strictEqual(streamed.stopReason, "max_tokens")
      assert.deepStrictEqual(streamed.usage, { inputTokens: 20, outputTokens: 10, totalTokens: 30 })
    }))
})

describe("Jamba", () => {
  it.effect("chat body; a forced tool choice is refused", () =>
    Effect.gen(function*() {
      const body = yield* Jamba.encodeRequest(request("ai21.jamba-1-5-large-v1:0", [Message.user(tricky)], {
        maxTokens: 10,
        temperature: 0.3,
        system: Message.system("Be terse."),
        toolConfig: tools
      }))
      assert.deepStrictEqual(body, {
        messages: [{ role: "system", content: "Be terse." }, { role: "user", content: tricky }],
        tools: [{
          type: "function",
          function: { name: "get_weather", description: "Current weather for a city", parameters: weather.inputSchema }
        }],
        max_tokens: 10,
        temperature: 0.3
      })
      const forced = yield* Effect.flip(Jamba.encodeRequest(request("ai21.jamba-1-5-large-v1:0", [Message.user("hi")], {
        toolConfig: Conversation.toolConfig([weather], Conversation.toolChoiceTool("get_weather"))
      })))
      assert.strictEqual(forced._tag, "UnsupportedFeature")
      assert.strictEqual(forced.family, "AI21 Jamba")
    }))

  it.effect("OpenAI-style tool call pieces in a stream", () =>
    Effect.gen(function*() {
      const response = yield* NativeBody.foldChunks(Jamba, [
        { choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] },
        {
          choices: [{
            index: 0,
            delta: { tool_calls: [{ index: 0, id: "c1", function: { name: "f", arguments: "{\"a\"" } }] }
          }]
        },
        { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: ":1}" } }] } }] },
        {
          choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }],
          usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 }
        }
      ])
      assert.deepStrictEqual(response.message.content, [{
        _tag: "ToolUse",
        toolUseId: "c1",
        name: "f",
        input: { a: 1 }
      }])
      assert.strictEqual(response.stopReason, "tool_use")
      assert.deepStrictEqual(response.usage, { inputTokens: 5, outputTokens: 3, totalTokens: 8 })
    }))
})

const families: ReadonlyArray<readonly [string, NativeBody.NativeBody, boolean]> = [
  ["amazon.nova-micro-v1:0", Nova, true],
  ["meta.llama3-1-8b-instruct-v1:0", Llama, false],
  ["amazon.titan-text-express-v1", Titan, false],
  ["mistral.mistral-7b-instruct-v0:2", Mistral, false],
  ["mistral.mistral-large-2407-v1:0", Mistral, true],
  ["cohere.command-r-v1:0", Cohere, true],
  ["ai21.jamba-1-5-mini-v1:0", Jamba, true]
]

layer(emulatorLayer(), { excludeTestServices: true })("every family through the emulator", (it) => {
  it.effect("cache points: the first call writes the prefix, the next reads it (Nova and Claude, invoke and stream)", () =>
    Effect.gen(function*() {
      const prefix = "Background: " + "the quick brown fox jumps over the lazy dog. ".repeat(300)
      const cases = [
        [Nova, "amazon.nova-micro-v1:0"],
        [Anthropic, "anthropic.claude-3-7-sonnet-20250219-v1:0"]
      ] as const
      for (const [implementation, modelId] of cases) {
        const req = request(modelId, [Message.user([prefix, Message.cachePoint(), "Summarize."])], { maxTokens: 50 })
        const first = yield* invoke(implementation, req)
        const second = yield* invokeStream(implementation, req)
        assert.isAbove(first.response.usage.cacheWriteInputTokens ?? 0, 1000)
        assert.strictEqual(first.response.usage.cacheReadInputTokens, 0)
        assert.strictEqual(second.response.usage.cacheReadInputTokens, first.response.usage.cacheWriteInputTokens)
        assert.strictEqual(second.response.usage.totalTokens, first.response.usage.totalTokens)
      }
    }))

  for (const [modelId, implementation, toolCalling] of families) {
    it.effect(`${modelId}: InvokeModel and its stream agree, text exact`, () =>
      Effect.gen(function*() {
        const req = request(modelId, [Message.user(`Reply with exactly: ${tricky}`)], {
          maxTokens: 100,
          system: Message.system("Be terse.")
        })
        const { metrics, response } = yield* invoke(implementation, req)
        const streamed = yield* invokeStream(implementation, req)
        assert.strictEqual(Response.text(response), tricky)
        assert.strictEqual(response.latencyMs, metrics?.invocationLatency)
        assert.strictEqual(response.stopReason, "end_turn")
        assert.deepStrictEqual(streamed.response.message, response.message)
        assert.strictEqual(streamed.response.stopReason, response.stopReason)
        assert.isAbove(streamed.response.usage.inputTokens, 0)
        assert.deepStrictEqual(streamed.response.usage, response.usage)
        assert.strictEqual(streamed.events[0]?._tag, "MessageStart")
        assert.strictEqual(streamed.events[streamed.events.length - 1]?._tag, "Metadata")
      }))
    if (toolCalling) {
      it.effect(`${modelId}: a tool call in both forms`, () =>
        Effect.gen(function*() {
          const req = request(modelId, [Message.user("What is the weather in Paris? Use get_weather.")], {
            maxTokens: 200,
            toolConfig: tools
          })
          const { response } = yield* invoke(implementation, req)
          const streamed = yield* invokeStream(implementation, req)
          assert.strictEqual(response.stopReason, "tool_use")
          const use = Response.toolUses(response)[0]!
          assert.strictEqual(use.name, "get_weather")
          assert.deepStrictEqual(use.input, { city: "Paris" })
          assert.deepStrictEqual(streamed.response.message, response.message)
        }))
    }
  }
})
