import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Option, Schema } from "effect"
import * as Conversation from "../src/Conversation.js"
import * as Message from "../src/Message.js"

const weather = Conversation.toolSpec({
  name: "get_weather",
  description: "Weather for a city",
  inputSchema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
})
const toolConfig = Conversation.toolConfig([weather, Message.cachePoint()], Conversation.toolChoiceAuto)

const askWeather = Message.assistant(["Let me check.", Message.toolUse("tu-1", "get_weather", { city: "Paris" })])
const answerWeather = Message.user(Message.toolResult("tu-1", [Message.json({ celsius: 21 })]))

const expectViolation = (
  messages: ReadonlyArray<Message.Message>,
  expected: { readonly rule: Conversation.Rule; readonly messageIndex: number; readonly blockIndex?: number },
  options: Conversation.ValidateOptions = { toolConfig }
) =>
  Effect.gen(function*() {
    const error = yield* Effect.flip(Conversation.validate(messages, options))
    assert.strictEqual(error._tag, "InvalidConversation")
    assert.strictEqual(error.rule, expected.rule)
    assert.strictEqual(error.messageIndex, expected.messageIndex)
    assert.strictEqual(error.blockIndex, expected.blockIndex)
    assert.include(error.message, `messages[${expected.messageIndex}]`)
    assert.isFalse(error.retryable)
  })

describe("Conversation.validate", () => {
  it.effect("accepts a plain chat and a complete tool cycle", () =>
    Effect.gen(function*() {
      yield* Conversation.validate([Message.user("hi")])
      yield* Conversation.validate([Message.user("hi"), Message.assistant("hello"), Message.user("bye")])
      yield* Conversation.validate([Message.user("weather?"), askWeather, answerWeather], { toolConfig })
      yield* Conversation.validate([Message.user("weather?"), askWeather, answerWeather, Message.assistant("21°C")], {
        toolConfig
      })
      yield* Conversation.validate([Message.user("weather?"), askWeather], { toolConfig })
    }))

  it.effect("accepts a server-side tool use answered inside the assistant message", () =>
    Conversation.validate([
      Message.user("compute"),
      Message.assistant([
        { _tag: "ToolUse", toolUseId: "srv", name: "nova_code_interpreter", input: {}, type: "server_tool_use" },
        { _tag: "ToolResult", toolUseId: "srv", content: [Message.json({ stdOut: "1" })], status: "success" },
        "It is 1."
      ]),
      Message.user("thanks")
    ], { toolConfig }))

  it.effect("no-messages", () => expectViolation([], { rule: "no-messages", messageIndex: 0 }))

  it.effect("first-message-from-user", () =>
    expectViolation([Message.assistant("hi"), Message.user("hi")], {
      rule: "first-message-from-user",
      messageIndex: 0
    }))

  it.effect("roles-alternate names the second of two same-role messages", () =>
    expectViolation([Message.user("a"), Message.assistant("b"), Message.assistant("c")], {
      rule: "roles-alternate",
      messageIndex: 2
    }))

  it.effect("empty-content", () =>
    expectViolation([Message.user("a"), { role: "assistant", content: [] }], {
      rule: "empty-content",
      messageIndex: 1
    }))

  it.effect("blank-text names the block", () =>
    Effect.gen(function*() {
      yield* expectViolation([Message.user(["look", ""])], { rule: "blank-text", messageIndex: 0, blockIndex: 1 })
      yield* expectViolation(
        [Message.user("a"), Message.assistant("b"), Message.user([Message.cachePoint(), " \n\t"])],
        {
          rule: "blank-text",
          messageIndex: 2,
          blockIndex: 1
        }
      )
    }))

  it.effect("tool-result-without-tool-use: ids must match the previous assistant turn", () =>
    Effect.gen(function*() {
      yield* expectViolation(
        [Message.user("weather?"), askWeather, Message.user(Message.toolResult("tu-other", "21"))],
        { rule: "tool-result-without-tool-use", messageIndex: 2, blockIndex: 0 }
      )
      yield* expectViolation(
        [Message.user(Message.toolResult("tu-1", "21"))],
        { rule: "tool-result-without-tool-use", messageIndex: 0, blockIndex: 0 }
      )
      yield* expectViolation(
        [
          Message.user("weather?"),
          askWeather,
          Message.user([Message.toolResult("tu-1", "21"), Message.toolResult("tu-9", "x")])
        ],
        { rule: "tool-result-without-tool-use", messageIndex: 2, blockIndex: 1 }
      )
      yield* expectViolation(
        [Message.user("a"), Message.assistant(["b", Message.toolResult("nope", "x")])],
        { rule: "tool-result-without-tool-use", messageIndex: 1, blockIndex: 1 }
      )
    }))

  it.effect("tool-config-required", () =>
    Effect.gen(function*() {
      yield* expectViolation([Message.user("weather?"), askWeather, answerWeather], {
        rule: "tool-config-required",
        messageIndex: 1,
        blockIndex: 1
      }, {})
      yield* expectViolation([Message.user(["x", Message.toolResult("a", "b")])], {
        rule: "tool-config-required",
        messageIndex: 0,
        blockIndex: 1
      }, {})
    }))

  it.effect("tool-use-unanswered: the next user turn must carry every result", () =>
    expectViolation(
      [
        Message.user("weather?"),
        Message.assistant([Message.toolUse("tu-1", "get_weather", {}), Message.toolUse("tu-2", "get_weather", {})]),
        Message.user(Message.toolResult("tu-1", "21"))
      ],
      { rule: "tool-use-unanswered", messageIndex: 1, blockIndex: 1 }
    ))

  it("check is the pure form", () => {
    assert.isTrue(Option.isNone(Conversation.check([Message.user("hi")])))
    const found = Conversation.check([Message.assistant("hi")])
    assert.isTrue(Option.isSome(found) && found.value.rule === "first-message-from-user")
  })

  it("InvalidConversation is a schema-encodable tagged error", () => {
    const error = new Conversation.InvalidConversation({
      message: "messages[1]: x",
      messageIndex: 1,
      blockIndex: 0,
      rule: "blank-text"
    })
    const encoded = Schema.encodeSync(Conversation.InvalidConversation)(error)
    assert.deepStrictEqual(encoded, {
      _tag: "InvalidConversation",
      message: "messages[1]: x",
      messageIndex: 1,
      blockIndex: 0,
      rule: "blank-text"
    })
    assert.isTrue(Either.isRight(Schema.decodeUnknownEither(Conversation.InvalidConversation)(encoded)))
  })
})

describe("Conversation tool configuration", () => {
  it("constructors build valid configurations that round-trip through JSON", () => {
    const config = Conversation.toolConfig([
      weather,
      { _tag: "SystemTool", name: "nova_grounding" },
      Message.cachePoint("5m")
    ], Conversation.toolChoiceTool("get_weather"))
    const codec = Schema.parseJson(Conversation.ToolConfiguration)
    assert.deepStrictEqual(Schema.decodeSync(codec)(Schema.encodeSync(codec)(config)), config)
    assert.deepStrictEqual(Conversation.toolChoiceAny, { _tag: "Any" })
    assert.deepStrictEqual(Conversation.toolConfig([weather]), { tools: [weather] })
  })

  it("inputSchema must be a JSON object", () => {
    const bad = { tools: [{ _tag: "ToolSpec", name: "x", inputSchema: [1] }] }
    assert.isTrue(Either.isLeft(Schema.decodeUnknownEither(Conversation.ToolConfiguration)(bad)))
  })
})
