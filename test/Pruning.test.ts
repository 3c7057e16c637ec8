import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import * as fc from "fast-check"
import type * as BedrockClient from "../src/BedrockClient.js"
import * as Conversation from "../src/Conversation.js"
import * as Message from "../src/Message.js"
import * as ModelCatalog from "../src/ModelCatalog.js"
import * as Pruning from "../src/Pruning.js"
import type * as Response from "../src/Response.js"

const toolConfig = Conversation.toolConfig([
  Conversation.toolSpec({ name: "lookup", inputSchema: { type: "object" } })
])

// ---------------------------------------------------------------------------
// generated conversations
// ---------------------------------------------------------------------------

const words = ["alpha", "beta", "gamma", "delta", "weather", "Paris", "42", "café", "东京", "tool", "result", "why"]
const textArb = fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 30 }).map((parts) => parts.join(" "))

const turnArb = fc.record({
  reasoning: fc.boolean(),
  text: fc.option(textArb, { nil: undefined }),
  tools: fc.integer({ min: 0, max: 2 }),
  userText: textArb,
  resultChars: fc.integer({ min: 1, max: 600 }),
  jsonResult: fc.boolean(),
  errorResult: fc.boolean(),
  userTextWithResults: fc.boolean()
})

type Turn = typeof turnArb extends fc.Arbitrary<infer T> ? T : never

const assistantOf = (turn: Turn, index: number): Message.Message => {
  const content: Array<Message.ContentBlock> = []
  if (turn.reasoning) content.push({ _tag: "Reasoning", text: `thinking ${index}`, signature: `sig-${index}-xyz` })
  if (turn.text !== undefined || turn.tools === 0) content.push(Message.text(turn.text ?? `answer ${index}`))
  for (let tool = 0; tool < turn.tools; tool++) {
    content.push(Message.toolUse(`tu-${index}-${tool}`, "lookup", { q: `${index}.${tool}`, n: tool }))
  }
  return { role: "assistant", content }
}

const userAfter = (turn: Turn, index: number): Message.Message => {
  if (turn.tools === 0) return Message.user(turn.userText)
  const content: Array<Message.ContentBlock> = []
  for (let tool = 0; tool < turn.tools; tool++) {
    const body = "x".repeat(turn.resultChars)
    content.push(
      Message.toolResult(
        `tu-${index}-${tool}`,
        turn.jsonResult ? Message.json({ body }) : body,
        turn.errorResult ? { status: "error" } : undefined
      )
    )
  }
  if (turn.userTextWithResults) content.push(Message.text(turn.userText))
  return { role: "user", content }
}

const conversationArb = fc.record({
  first: textArb,
  turns: fc.array(turnArb, { maxLength: 14 }),
  ending: fc.constantFrom("user", "assistant", "pending-tool-use")
}).map(({ ending, first, turns }) => {
  const messages: Array<Message.Message> = [Message.user(first)]
  turns.forEach((turn, index) => {
    messages.push(assistantOf(turn, index), userAfter(turn, index))
  })
  if (ending === "assistant") messages.push(Message.assistant("final answer"))
  if (ending === "pending-tool-use") {
    messages.push(Message.assistant([
      { _tag: "Reasoning", text: "last thought", signature: "sig-last" },
      Message.toolUse("tu-pending", "lookup", {})
    ]))
  }
  return messages as ReadonlyArray<Message.Message>
})

// ---------------------------------------------------------------------------
// invariants
// ---------------------------------------------------------------------------

const toolUseIds = (messages: ReadonlyArray<Message.Message>) =>
  new Set(messages.flatMap((m) => m.content.flatMap((b) => b._tag === "ToolUse" ? [b.toolUseId] : [])))

const toolResultIds = (messages: ReadonlyArray<Message.Message>) =>
  new Set(messages.flatMap((m) => m.content.flatMap((b) => b._tag === "ToolResult" ? [b.toolUseId] : [])))

const checkInvariants = (input: ReadonlyArray<Message.Message>, output: ReadonlyArray<Message.Message>) => {
  assert.isAtMost(output.length, input.length)
  assert.isAtLeast(output.length, 1)
  assert.strictEqual(output[0]!.role, "user")
  output.forEach((message, index) => {
    if (index > 0) assert.notStrictEqual(message.role, output[index - 1]!.role)
  })
  assert.isTrue(Option.isNone(Conversation.check(output, { toolConfig })), "Conversation.check accepts the result")
  // assistant messages are the input's own objects, in order: reasoning blocks and signatures untouched
  let cursor = 0
  for (const message of output.filter((m) => m.role === "assistant")) {
    const found = input.indexOf(message, cursor)
    assert.isAtLeast(found, cursor, "an assistant message was modified or reordered")
    cursor = found + 1
  }
  const inputReasoning = input.flatMap((m) => m.content.filter((b) => b._tag === "Reasoning"))
  for (const block of output.flatMap((m) => m.content.filter((b) => b._tag === "Reasoning"))) {
    assert.isTrue(inputReasoning.includes(block))
  }
  // a tool use and its result are kept together or dropped together
  const inUses = toolUseIds(input)
  const inResults = toolResultIds(input)
  const outUses = toolUseIds(output)
  const outResults = toolResultIds(output)
  for (const id of outUses) assert.strictEqual(outResults.has(id), inResults.has(id), `tool use ${id} separated`)
  for (const id of outResults) assert.isTrue(outUses.has(id) && inUses.has(id), `tool result ${id} separated`)
}

const isSuffix = (input: ReadonlyArray<Message.Message>, output: ReadonlyArray<Message.Message>) =>
  output.every((message, index) => message === input[input.length - output.length + index])

const lastCutPoint = (messages: ReadonlyArray<Message.Message>) => {
  const points = Pruning.cutPoints(messages)
  return points[points.length - 1]!
}

const params = { seed: 20260514, numRuns: 200 }

const fakeSummary = (messages: ReadonlyArray<Message.Message>) =>
  Effect.succeed(`${messages.length} earlier messages about ${Message.textOf(messages[0]!).slice(0, 20)}`)

describe("Pruning properties", () => {
  it("generated conversations are valid", () => {
    fc.assert(
      fc.property(conversationArb, (messages) => {
        assert.isTrue(Option.isNone(Conversation.check(messages, { toolConfig })))
      }),
      params
    )
  })

  it("slidingWindow keeps a valid suffix within the window (or the shortest valid one)", () => {
    fc.assert(
      fc.property(conversationArb, fc.integer({ min: 1, max: 30 }), (messages, maxMessages) => {
        const output = Pruning.slidingWindow(messages, { maxMessages })
        checkInvariants(messages, output)
        assert.isTrue(isSuffix(messages, output))
        if (output.length > maxMessages) assert.strictEqual(output.length, messages.length - lastCutPoint(messages))
        const longer = Pruning.cutPoints(messages).filter((index) => index < messages.length - output.length)
        if (longer.length > 0) assert.isAbove(messages.length - longer[longer.length - 1]!, maxMessages)
        if (messages.length <= maxMessages) assert.strictEqual(output, messages)
      }),
      params
    )
  })

  it("tokenBudget keeps a valid suffix within the budget (or the shortest valid one)", () => {
    fc.assert(
      fc.property(conversationArb, fc.integer({ min: 5, max: 3_000 }), (messages, maxTokens) => {
        const output = Pruning.tokenBudget(messages, { maxTokens })
        checkInvariants(messages, output)
        assert.isTrue(isSuffix(messages, output))
        if (Pruning.estimateTokens(output) > maxTokens) {
          assert.strictEqual(output.length, messages.length - lastCutPoint(messages))
        }
        // the longest fitting suffix: the next longer valid one does not fit
        const start = messages.length - output.length
        const longer = Pruning.cutPoints(messages).filter((index) => index < start)
        if (longer.length > 0) {
          assert.isAbove(Pruning.estimateTokens(messages.slice(longer[longer.length - 1]!)), maxTokens)
        }
      }),
      params
    )
  })

  it("truncateToolResults keeps every message and id, truncating oldest first", () => {
    fc.assert(
      fc.property(
        conversationArb,
        fc.option(fc.integer({ min: 0, max: 3_000 }), { nil: undefined }),
        fc.integer({ min: 0, max: 2 }),
        (messages, maxTokens, keepLast) => {
          const output = Pruning.truncateToolResults(messages, { maxTokens, keepLast })
          checkInvariants(messages, output)
          assert.strictEqual(output.length, messages.length)
          assert.deepStrictEqual(toolResultIds(output), toolResultIds(messages))
          assert.isAtMost(Pruning.estimateTokens(output), Pruning.estimateTokens(messages))
          const truncatedAt: Array<number> = []
          output.forEach((message, index) => {
            const original = messages[index]!
            assert.strictEqual(message.content.length, original.content.length)
            message.content.forEach((block, blockIndex) => {
              const before = original.content[blockIndex]!
              if (block === before) return
              assert.strictEqual(block._tag, "ToolResult")
              assert.strictEqual(before._tag, "ToolResult")
              if (block._tag !== "ToolResult" || before._tag !== "ToolResult") return
              assert.strictEqual(block.toolUseId, before.toolUseId)
              assert.strictEqual(block.status, before.status)
              assert.match((block.content[0] as Message.Text).text, /^\[truncated \d+ chars\]$/)
              truncatedAt.push(index)
            })
          })
          const withResults = messages.flatMap((m, i) => m.content.some(Message.isToolResult) ? [i] : [])
          const protectedFrom = withResults.length - keepLast
          for (const index of truncatedAt) assert.isBelow(withResults.indexOf(index), protectedFrom)
          // oldest first: once a message is left whole, no newer one was truncated
          if (truncatedAt.length > 0 && maxTokens !== undefined) {
            const newest = Math.max(...truncatedAt)
            for (const index of withResults.filter((i) => i < newest)) {
              const fullyTruncatable = messages[index]!.content.some((b) =>
                b._tag === "ToolResult" && Pruning.truncateToolResult(b) !== b
              )
              if (fullyTruncatable) assert.notStrictEqual(output[index], messages[index])
            }
          }
          // idempotent
          assert.strictEqual(Pruning.truncateToolResults(output, { maxTokens, keepLast }), output)
        }
      ),
      params
    )
  })

  it("summarize replaces the oldest turns with a summary in the first user message", () => {
    fc.assert(
      fc.property(conversationArb, fc.integer({ min: 0, max: 8 }), (messages, keep) => {
        let summarised: ReadonlyArray<Message.Message> = []
        const output = Effect.runSync(Pruning.summarize(messages, {
          keep,
          summarize: (old) => Effect.zipRight(Effect.sync(() => (summarised = old)), fakeSummary(old))
        }))
        checkInvariants(messages, output)
        if (output === messages) {
          assert.deepStrictEqual(Pruning.cutPoints(messages).filter((i) => i > 0), [])
          return
        }
        assert.strictEqual(summarised.length + output.length, messages.length)
        assert.isTrue(isSuffix(messages, output.slice(1)))
        const first = output[0]!
        assert.strictEqual((first.content[0] as Message.Text).text.startsWith(Pruning.SUMMARY_PREFIX), true)
        assert.deepStrictEqual(first.content.slice(1), messages[summarised.length]!.content)
      }),
      params
    )
  })

  it("strategies compose and keep the invariants", () => {
    fc.assert(
      fc.property(conversationArb, fc.integer({ min: 50, max: 2_000 }), (messages, maxTokens) => {
        const output = Effect.runSync(
          Pruning.sequence(
            Pruning.truncateToolResults({ maxTokens }),
            Pruning.tokenBudget({ maxTokens }),
            Pruning.summarize({ summarize: fakeSummary, keep: 4, maxTokens }),
            Pruning.slidingWindow({ maxMessages: 10 })
          )(messages)
        )
        checkInvariants(messages, output)
      }),
      params
    )
  })
})

// ---------------------------------------------------------------------------
// examples
// ---------------------------------------------------------------------------

const signed: Message.Reasoning = { _tag: "Reasoning", text: "Let me look it up.", signature: "EqQBCkgIAR-signature" }

const parisWeather = "Paris: 21°C, sunny, light wind from the west. ".repeat(20)

const toolLoop: ReadonlyArray<Message.Message> = [
  Message.user("What is the weather in Paris and Rome?"),
  Message.assistant([signed, Message.toolUse("t1", "lookup", { city: "Paris" })]),
  Message.user(Message.toolResult("t1", parisWeather)),
  Message.assistant([Message.toolUse("t2", "lookup", { city: "Rome" })]),
  Message.user(Message.toolResult("t2", [Message.json({ city: "Rome", celsius: 25, detail: "y".repeat(400) })])),
  Message.assistant("Paris is 21°C and Rome 25°C."),
  Message.user("Thanks! And tomorrow?"),
  Message.assistant("Tomorrow both cities stay warm.")
]

describe("Pruning examples", () => {
  it("slidingWindow never cuts between a tool use and its result", () => {
    const output = Pruning.slidingWindow(toolLoop, { maxMessages: 5 })
    assert.deepStrictEqual(output, toolLoop.slice(6))
    assert.deepStrictEqual(Pruning.slidingWindow(toolLoop, { maxMessages: 7 }), toolLoop.slice(6))
    assert.strictEqual(Pruning.slidingWindow(toolLoop, { maxMessages: 8 }), toolLoop)
    assert.deepStrictEqual(Pruning.slidingWindow({ maxMessages: 1 })(toolLoop), toolLoop.slice(6))
    assert.deepStrictEqual(Pruning.cutPoints(toolLoop), [0, 6])
  })

  it("a conversation that is one long tool loop cannot be cut and stays whole", () => {
    const loop = toolLoop.slice(0, 5)
    assert.strictEqual(Pruning.slidingWindow(loop, { maxMessages: 2 }), loop)
    assert.strictEqual(Pruning.tokenBudget(loop, { maxTokens: 1 }), loop)
  })

  it("estimates tokens over the text and JSON of blocks", () => {
    assert.strictEqual(Pruning.estimateBlockTokens(Message.text("abcd".repeat(10))), 10)
    assert.strictEqual(Pruning.estimateBlockTokens(Message.json({ a: 1 })), ModelCatalog.estimateTokens("{\"a\":1}"))
    assert.strictEqual(
      Pruning.estimateBlockTokens(Message.toolUse("t", "lookup", { city: "Paris" })),
      ModelCatalog.estimateTokens("lookup") + ModelCatalog.estimateTokens("{\"city\":\"Paris\"}")
    )
    assert.strictEqual(Pruning.estimateBlockTokens(signed), ModelCatalog.estimateTokens(signed.text))
    assert.strictEqual(Pruning.estimateBlockTokens(Message.image(new Uint8Array(10), "png")), Pruning.MEDIA_TOKENS)
    assert.strictEqual(Pruning.estimateBlockTokens(Message.cachePoint()), 0)
    assert.strictEqual(
      Pruning.estimateMessageTokens(Message.user("abcd")),
      ModelCatalog.estimateTokens("abcd") + Pruning.MESSAGE_OVERHEAD_TOKENS
    )
  })

  it("tokenBudget from a model: context window minus the answer reserve, system and tools", () => {
    const base = ModelCatalog.resolve("anthropic.claude-3-haiku-20240307-v1:0")
    assert.isTrue(Option.isSome(base))
    const small = new ModelCatalog.ModelInfo({ ...Option.getOrThrow(base), contextWindow: 600, maxOutputTokens: 200 })
    assert.strictEqual(Pruning.budgetFor(small), 400)
    assert.strictEqual(Pruning.budgetFor(small, { reserve: 100 }), 500)
    assert.strictEqual(Pruning.budgetFor(small, { reserve: 100, system: Message.system("abcd".repeat(25)) }), 475)
    assert.isBelow(Pruning.budgetFor(small, { toolConfig }), 400)
    assert.strictEqual(Pruning.budgetFor(small, { reserve: 10_000 }), 0)
    const output = Pruning.tokenBudget(toolLoop, { model: small })
    assert.isAbove(Pruning.estimateTokens(toolLoop), 400)
    assert.deepStrictEqual(output, toolLoop.slice(6))
    const roomy = Pruning.tokenBudget(toolLoop, { model: small, reserve: -10_000 })
    assert.strictEqual(roomy, toolLoop)
  })

  it.effect("tokenBudgetFor resolves the model through the catalog service", () =>
    Effect.gen(function*() {
      const strategy = yield* Pruning.tokenBudgetFor("us.anthropic.claude-3-haiku-20240307-v1:0")
      assert.strictEqual(strategy(toolLoop), toolLoop)
      const unknown = yield* Effect.flip(Pruning.tokenBudgetFor("nobody.no-model-v9"))
      assert.strictEqual(unknown._tag, "UnknownModel")
    }).pipe(Effect.provide(ModelCatalog.layer)))

  it("truncateToolResults: oldest first, ids and status kept, newest result untouched", () => {
    const output = Pruning.truncateToolResults(toolLoop)
    const first = output[2]!.content[0] as Message.ToolResult
    assert.strictEqual(first.toolUseId, "t1")
    assert.deepStrictEqual(first.content, [Message.text(`[truncated ${parisWeather.length} chars]`)])
    assert.strictEqual(output[4], toolLoop[4])
    assert.strictEqual(output[1], toolLoop[1])
    const both = Pruning.truncateToolResults(toolLoop, { keepLast: 0 })
    const second = both[4]!.content[0] as Message.ToolResult
    const json = JSON.stringify({ city: "Rome", celsius: 25, detail: "y".repeat(400) })
    assert.deepStrictEqual(second.content, [Message.text(`[truncated ${json.length} chars]`)])
    // with a budget that the first truncation meets, the second result stays
    const budget = Pruning.estimateTokens(toolLoop) - 100
    const partial = Pruning.truncateToolResults(toolLoop, { maxTokens: budget, keepLast: 0 })
    assert.notStrictEqual(partial[2], toolLoop[2])
    assert.strictEqual(partial[4], toolLoop[4])
    // an error status survives
    const failed = [
      Message.user("go"),
      Message.assistant(Message.toolUse("t9", "lookup", {})),
      Message.user(Message.toolResult("t9", "boom ".repeat(100), { status: "error" })),
      Message.assistant("It failed."),
      Message.user("ok")
    ]
    const truncated = Pruning.truncateToolResults(failed)
    assert.strictEqual((truncated[2]!.content[0] as Message.ToolResult).status, "error")
    // a result too short to shrink is left alone
    const short = [
      Message.user("go"),
      Message.assistant(Message.toolUse("t", "lookup", {})),
      Message.user(Message.toolResult("t", "ok")),
      Message.assistant("done"),
      Message.user("x")
    ]
    assert.strictEqual(Pruning.truncateToolResults(short, { keepLast: 0 }), short)
  })

  it.effect("summarize: the summary goes first in the first kept user message; blank summaries change nothing", () =>
    Effect.gen(function*() {
      const seen: Array<ReadonlyArray<Message.Message>> = []
      const output = yield* Pruning.summarize(toolLoop, {
        keep: 2,
        summarize: (old) => Effect.sync(() => (seen.push(old), "Paris 21°C, Rome 25°C."))
      })
      assert.deepStrictEqual(seen, [toolLoop.slice(0, 6)])
      assert.deepStrictEqual(output, [
        Message.user([`${Pruning.SUMMARY_PREFIX}Paris 21°C, Rome 25°C.`, "Thanks! And tomorrow?"]),
        toolLoop[7]!
      ])
      const blank = yield* Pruning.summarize(toolLoop, { keep: 2, summarize: () => Effect.succeed("  ") })
      assert.strictEqual(blank, toolLoop)
      const small = yield* Pruning.summarize(toolLoop, { maxTokens: 1_000_000, summarize: () => Effect.die("unused") })
      assert.strictEqual(small, toolLoop)
      const failing = yield* Effect.flip(Pruning.summarize(toolLoop, { keep: 2, summarize: () => Effect.fail("no") }))
      assert.strictEqual(failing, "no")
    }))

  it.effect("summarizeWith asks the model with a plain transcript and returns its text", () =>
    Effect.gen(function*() {
      const requests: Array<BedrockClient.BedrockClient.Input> = []
      const client = {
        generate: (input: BedrockClient.BedrockClient.Input) =>
          Effect.sync((): Response.Response => {
            requests.push(input)
            return {
              message: { role: "assistant", content: [Message.text("  The user asked about the weather.  ")] },
              stopReason: "end_turn",
              usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 }
            }
          })
      } as unknown as BedrockClient.BedrockClient.Service
      const summary = yield* Pruning.summarizeWith(client, { model: { maxTokens: 300 } })(toolLoop.slice(0, 6))
      assert.strictEqual(summary, "The user asked about the weather.")
      const request = requests[0] as BedrockClient.BedrockClient.Request
      assert.deepStrictEqual(request.system, Message.system(Pruning.SUMMARY_INSTRUCTIONS))
      assert.deepStrictEqual(request.model, { maxTokens: 300 })
      assert.strictEqual(request.toolConfig, undefined)
      assert.strictEqual(request.messages.length, 1)
      const prompt = Message.textOf(request.messages[0]!)
      assert.include(prompt, "User: What is the weather in Paris and Rome?")
      assert.include(prompt, "Assistant: [called tool lookup with {\"city\":\"Paris\"}]")
      assert.include(prompt, "User: [tool result: Paris: 21°C")
      assert.notInclude(prompt, signed.text)
      const output = yield* Pruning.summarize(toolLoop, { keep: 2, summarize: Pruning.summarizeWith(client) })
      assert.strictEqual(
        (output[0]!.content[0] as Message.Text).text,
        `${Pruning.SUMMARY_PREFIX}The user asked about the weather.`
      )
    }))
})
