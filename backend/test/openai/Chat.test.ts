import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type OpenAI from "openai"
import { chatModel, pngDataUrl, reasoningModel, withClient } from "./support.js"

type Chunk = OpenAI.Chat.Completions.ChatCompletionChunk

const weatherTool: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "The current weather of a place.",
    parameters: {
      type: "object",
      properties: { location: { type: "string", description: "City and country" } },
      required: ["location"]
    }
  }
}

const timeTool: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: "function",
  function: {
    name: "get_time",
    description: "The local time of a place.",
    parameters: {
      type: "object",
      properties: { location: { type: "string" } },
      required: ["location"]
    }
  }
}

const collect = (stream: AsyncIterable<Chunk>) =>
  Effect.promise(async () => {
    const chunks: Array<Chunk> = []
    for await (const chunk of stream) chunks.push(chunk)
    return chunks
  })

const contentOf = (chunks: ReadonlyArray<Chunk>) =>
  chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("")

/** Tool calls assembled from stream deltas, as a client does. */
const toolCallsOf = (chunks: ReadonlyArray<Chunk>) => {
  const calls: Array<{ id: string; name: string; arguments: string }> = []
  for (const chunk of chunks) {
    for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
      const call = calls[delta.index] ??= { id: "", name: "", arguments: "" }
      if (delta.id !== undefined) call.id = delta.id
      if (delta.function?.name !== undefined) call.name = delta.function.name
      call.arguments += delta.function?.arguments ?? ""
    }
  }
  return calls
}

describe("POST /v1/chat/completions through the openai client", () => {
  it.scoped("answers a conversation of system, developer and user messages, with usage and a log line", () =>
    Effect.gen(function*() {
      const { client, key, service } = yield* withClient()
      const completion = yield* Effect.promise(() =>
        client.chat.completions.create({
          model: chatModel,
          messages: [
            { role: "system", content: "You are terse." },
            { role: "developer", content: [{ type: "text", text: "Answer in English." }] },
            { role: "user", content: "Reply with exactly: Hello there" }
          ],
          max_completion_tokens: 50,
          temperature: 0.2,
          top_p: 0.9
        })
      )
      assert.strictEqual(completion.object, "chat.completion")
      assert.match(completion.id, /^chatcmpl-[0-9a-f]{24}$/)
      assert.strictEqual(completion.model, chatModel)
      assert.deepStrictEqual(completion.choices[0]!.message.content, "Hello there")
      assert.strictEqual(completion.choices[0]!.finish_reason, "stop")
      assert.strictEqual(completion.choices[0]!.message.role, "assistant")
      const usage = completion.usage!
      assert.isAbove(usage.prompt_tokens, 0)
      assert.isAbove(usage.completion_tokens, 0)
      assert.strictEqual(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens)
      assert.strictEqual(usage.prompt_tokens_details?.cached_tokens, 0)
      const line = service.logs.find((log) => log.path === "/v1/chat/completions")!
      assert.strictEqual(line.status, 200)
      assert.strictEqual(line.keyId, key.record.id)
      assert.strictEqual(line.api, "openai")
      assert.strictEqual(line.outputTokens, usage.completion_tokens)
      assert.isAbove(line.costMicroUsd ?? 0, 0)
      assert.strictEqual(service.bedrockRequests(), 1)
    }))

  it.scoped("streams OpenAI's chunks: role first, content deltas, finish_reason, the usage chunk, [DONE]", () =>
    Effect.gen(function*() {
      const { client, key, service } = yield* withClient()
      const request = {
        model: chatModel,
        messages: [{ role: "user" as const, content: "Write 30 words about rivers." }],
        max_tokens: 200
      }
      const whole = yield* Effect.promise(() => client.chat.completions.create(request))
      const chunks = yield* collect(
        yield* Effect.promise(() =>
          client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } })
        )
      )
      assert.deepStrictEqual(chunks[0]!.choices[0]!.delta, { role: "assistant", content: "", refusal: null })
      assert.isAbove(chunks.length, 5)
      for (const chunk of chunks) {
        assert.strictEqual(chunk.object, "chat.completion.chunk")
        assert.strictEqual(chunk.id, chunks[0]!.id)
        assert.strictEqual(chunk.model, chatModel)
      }
      assert.strictEqual(contentOf(chunks), whole.choices[0]!.message.content)
      const last = chunks[chunks.length - 1]!
      assert.deepStrictEqual(last.choices, [])
      assert.deepStrictEqual(last.usage, whole.usage)
      const finish = chunks[chunks.length - 2]!
      assert.deepStrictEqual(finish.choices[0]!.delta, {})
      assert.strictEqual(finish.choices[0]!.finish_reason, "stop")
      for (const chunk of chunks.slice(0, -1)) assert.isNull(chunk.usage)
      for (const chunk of chunks.slice(0, -2)) assert.isNull(chunk.choices[0]!.finish_reason)

      const raw = yield* Effect.promise(() =>
        fetch(`${service.url}/v1/chat/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${key.secret}`, "content-type": "application/json" },
          body: JSON.stringify({ ...request, stream: true })
        })
      )
      assert.strictEqual(raw.headers.get("content-type"), "text/event-stream")
      const text = yield* Effect.promise(() => raw.text())
      assert.isTrue(text.endsWith("data: [DONE]\n\n"))
      assert.notInclude(text, "\"usage\"", "without include_usage no chunk carries usage")
    }))

  it.scoped("a full tool round trip: the tool call, the tool's result, the answer", () =>
    Effect.gen(function*() {
      const { client, service } = yield* withClient()
      const messages: Array<OpenAI.Chat.Completions.ChatCompletionMessageParam> = [
        { role: "user", content: "What is the weather in Paris, France?" }
      ]
      const first = yield* Effect.promise(() =>
        client.chat.completions.create({ model: chatModel, messages, tools: [weatherTool] })
      )
      const choice = first.choices[0]!
      assert.strictEqual(choice.finish_reason, "tool_calls")
      const calls = choice.message.tool_calls!
      assert.strictEqual(calls.length, 1)
      const call = calls[0]! as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall
      assert.strictEqual(call.type, "function")
      assert.strictEqual(call.function.name, "get_weather")
      assert.deepStrictEqual(JSON.parse(call.function.arguments), { location: "Paris, France" })

      // The client sends the assistant message back as it came, then the tool's result.
      messages.push(choice.message, { role: "tool", tool_call_id: call.id, content: "{\"temperature\":21}" })
      const second = yield* Effect.promise(() =>
        client.chat.completions.create({ model: chatModel, messages, tools: [weatherTool] })
      )
      assert.strictEqual(second.choices[0]!.finish_reason, "stop")
      assert.include(second.choices[0]!.message.content, "{\"temperature\":21}")
      assert.strictEqual(service.bedrockRequests(), 2)
    }))

  it.scoped("parallel tool calls, answered and streamed as indexed tool_call deltas", () =>
    Effect.gen(function*() {
      const { client } = yield* withClient()
      const request = {
        model: chatModel,
        messages: [{ role: "user" as const, content: "What are the weather and the time in Lyon, France?" }],
        tools: [weatherTool, timeTool],
        tool_choice: "auto" as const,
        parallel_tool_calls: true
      }
      const whole = yield* Effect.promise(() => client.chat.completions.create(request))
      const calls = whole.choices[0]!.message.tool_calls! as Array<
        OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall
      >
      assert.deepStrictEqual(calls.map((call) => call.function.name), ["get_weather", "get_time"])
      assert.notStrictEqual(calls[0]!.id, calls[1]!.id)

      const chunks = yield* collect(
        yield* Effect.promise(() => client.chat.completions.create({ ...request, stream: true }))
      )
      const deltas = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? [])
      const firsts = deltas.filter((delta) => delta.id !== undefined)
      assert.deepStrictEqual(firsts.map((delta) => [delta.index, delta.type, delta.function?.name]), [
        [0, "function", "get_weather"],
        [1, "function", "get_time"]
      ])
      assert.isTrue(deltas.some((delta) => delta.id === undefined), "arguments arrive in fragments")
      assert.deepStrictEqual(
        toolCallsOf(chunks).map((call) => ({ ...call, arguments: JSON.parse(call.arguments) })),
        calls.map((call) => ({
          id: call.id,
          name: call.function.name,
          arguments: JSON.parse(call.function.arguments)
        }))
      )
      assert.strictEqual(chunks[chunks.length - 1]!.choices[0]!.finish_reason, "tool_calls")

      // Both results in one turn, then the answer.
      const answer = yield* Effect.promise(() =>
        client.chat.completions.create({
          ...request,
          messages: [
            ...request.messages,
            whole.choices[0]!.message,
            { role: "tool", tool_call_id: calls[0]!.id, content: "sunny" },
            { role: "tool", tool_call_id: calls[1]!.id, content: "10:00" }
          ]
        })
      )
      assert.include(answer.choices[0]!.message.content, "sunny")
      assert.include(answer.choices[0]!.message.content, "10:00")
    }))

  it.scoped("response_format json_schema answers JSON of the schema, whole and streamed", () =>
    Effect.gen(function*() {
      const { client } = yield* withClient()
      const request = {
        model: chatModel,
        messages: [{ role: "user" as const, content: "The city is Paris and its population is 2100000." }],
        response_format: {
          type: "json_schema" as const,
          json_schema: {
            name: "city",
            strict: true,
            schema: {
              type: "object",
              properties: { city: { type: "string" }, population: { type: "integer" } },
              required: ["city", "population"],
              additionalProperties: false
            }
          }
        }
      }
      const whole = yield* Effect.promise(() => client.chat.completions.create(request))
      const choice = whole.choices[0]!
      assert.strictEqual(choice.finish_reason, "stop")
      assert.isUndefined(choice.message.tool_calls)
      const value = JSON.parse(choice.message.content!)
      assert.hasAllKeys(value, ["city", "population"])
      assert.isString(value.city)
      assert.isTrue(Number.isInteger(value.population))

      const chunks = yield* collect(
        yield* Effect.promise(() => client.chat.completions.create({ ...request, stream: true }))
      )
      assert.deepStrictEqual(JSON.parse(contentOf(chunks)), value)
      assert.isTrue(chunks.every((chunk) => chunk.choices[0]?.delta.tool_calls === undefined))
      assert.strictEqual(chunks[chunks.length - 1]!.choices[0]!.finish_reason, "stop")

      const object = yield* Effect.promise(() =>
        client.chat.completions.create({
          model: chatModel,
          messages: [{ role: "user", content: "Give me a JSON object." }],
          response_format: { type: "json_object" }
        })
      )
      assert.isObject(JSON.parse(object.choices[0]!.message.content!))
    }))

  it.scoped("images as data URLs reach the model", () =>
    Effect.gen(function*() {
      const { client } = yield* withClient()
      const text = yield* Effect.promise(() =>
        client.chat.completions.create({
          model: chatModel,
          messages: [{ role: "user", content: "What is in this picture?" }]
        })
      )
      const withImage = yield* Effect.promise(() =>
        client.chat.completions.create({
          model: chatModel,
          messages: [{
            role: "user",
            content: [
              { type: "text", text: "What is in this picture?" },
              { type: "image_url", image_url: { url: pngDataUrl, detail: "auto" } }
            ]
          }]
        })
      )
      assert.isAbove(withImage.usage!.prompt_tokens, text.usage!.prompt_tokens, "the image is part of the prompt")
    }))

  it.scoped("reasoning_effort: Claude's reasoning as reasoning_content and signed thinking_blocks, kept across a tool round trip", () =>
    Effect.gen(function*() {
      const { client } = yield* withClient()
      const messages: Array<OpenAI.Chat.Completions.ChatCompletionMessageParam> = [
        { role: "user", content: "What is the weather in Oslo, Norway?" }
      ]
      const first = yield* Effect.promise(() =>
        client.chat.completions.create({
          model: reasoningModel,
          messages,
          tools: [weatherTool],
          reasoning_effort: "low"
        })
      )
      const message = first.choices[0]!.message as OpenAI.Chat.Completions.ChatCompletionMessage & {
        readonly reasoning_content?: string
        readonly thinking_blocks?: ReadonlyArray<{ type: string; thinking: string; signature?: string }>
      }
      assert.isAbove(message.reasoning_content?.length ?? 0, 0)
      assert.strictEqual(message.thinking_blocks?.[0]?.thinking, message.reasoning_content)
      assert.isAbove(message.thinking_blocks?.[0]?.signature?.length ?? 0, 0)
      assert.isAbove(first.usage!.completion_tokens_details?.reasoning_tokens ?? 0, 0)
      const call = message.tool_calls![0]! as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall
      messages.push(message as OpenAI.Chat.Completions.ChatCompletionAssistantMessageParam, {
        role: "tool",
        tool_call_id: call.id,
        content: "cold"
      })
      const second = yield* Effect.promise(() =>
        client.chat.completions.create({
          model: reasoningModel,
          messages,
          tools: [weatherTool],
          reasoning_effort: "low"
        })
      )
      assert.include(second.choices[0]!.message.content, "cold")

      const chunks = yield* collect(
        yield* Effect.promise(() =>
          client.chat.completions.create({
            model: reasoningModel,
            messages: [{ role: "user", content: "Why is the sky blue?" }],
            reasoning_effort: "medium",
            stream: true
          })
        )
      )
      const deltas = chunks.map((chunk) => chunk.choices[0]?.delta as Record<string, unknown> | undefined)
      const reasoning = deltas.map((delta) => (delta?.["reasoning_content"] as string | undefined) ?? "").join("")
      assert.isAbove(reasoning.length, 0)
      const firstReasoning = deltas.findIndex((delta) => delta?.["reasoning_content"] !== undefined)
      const firstContent = deltas.findIndex((delta) => (delta?.["content"] as string | undefined)?.length)
      assert.isBelow(firstReasoning, firstContent, "the reasoning streams before the answer")
      const signed = deltas.find((delta) => delta?.["thinking_blocks"] !== undefined)?.["thinking_blocks"] as
        | ReadonlyArray<{ thinking: string; signature: string }>
        | undefined
      assert.strictEqual(signed?.[0]?.thinking, reasoning)
    }))

  it.scoped("cache_control on a content part makes a cache point: the second call reads it (cached_tokens)", () =>
    Effect.gen(function*() {
      const { client } = yield* withClient()
      const text = `You answer questions about the ${crypto.randomUUID()} manual. ${"It is long. ".repeat(200)}`
      // cache_control is an extension of the OpenAI format, so the client's types do not know it.
      const system = {
        role: "system",
        content: [{ type: "text", text, cache_control: { type: "ephemeral" } }]
      } as unknown as OpenAI.Chat.Completions.ChatCompletionSystemMessageParam
      const ask = () =>
        Effect.promise(() =>
          client.chat.completions.create({
            model: chatModel,
            messages: [
              system,
              { role: "user", content: "Hello?" }
            ]
          })
        )
      const first = yield* ask()
      const second = yield* ask()
      assert.strictEqual(first.usage!.prompt_tokens_details!.cached_tokens, 0)
      assert.isAbove(second.usage!.prompt_tokens_details!.cached_tokens!, 0)
      assert.strictEqual(second.usage!.prompt_tokens, first.usage!.prompt_tokens, "prompt_tokens counts cached ones")
    }))

  it.scoped("stop sequences and max_tokens end the answer with stop and length", () =>
    Effect.gen(function*() {
      const { client } = yield* withClient()
      const stopped = yield* Effect.promise(() =>
        client.chat.completions.create({
          model: chatModel,
          messages: [{ role: "user", content: "Reply with exactly: one two three four" }],
          stop: ["three"]
        })
      )
      assert.strictEqual(stopped.choices[0]!.message.content, "one two ")
      assert.strictEqual(stopped.choices[0]!.finish_reason, "stop")
      const cut = yield* Effect.promise(() =>
        client.chat.completions.create({
          model: chatModel,
          messages: [{ role: "user", content: "Write 100 words about lakes." }],
          max_tokens: 5
        })
      )
      assert.strictEqual(cut.choices[0]!.finish_reason, "length")
      assert.strictEqual(cut.usage!.completion_tokens, 5)
    }))
})
