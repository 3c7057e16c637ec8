import { assert, describe, it } from "@effect/vitest"
import * as Emulator from "bedrock-llm/emulator"
import * as Effect from "effect/Effect"
import { startRecorder } from "../support/recorder.js"
import { startService, type TestService } from "../support/service.js"
import { afterAbort, readSse, readSseUntil } from "../support/sse.js"

interface Answer {
  readonly status: number
  readonly body: any
}

const call = (service: TestService, secret: string, method: string, path: string, body?: unknown) =>
  Effect.promise(async (): Promise<Answer> => {
    const response = await fetch(`${service.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) })
    })
    const text = await response.text()
    return { status: response.status, body: text === "" ? undefined : JSON.parse(text) }
  })

const setup = Effect.gen(function*() {
  const emulator = yield* Emulator.make()
  const recorder = yield* startRecorder(emulator)
  const service = yield* startService({ sharedEmulator: recorder.emulator })
  const key = yield* service.createKey()
  return { service, key, recorder }
})

const usageOf = (service: TestService, keyId: string) =>
  Effect.promise(async () => {
    const response = await fetch(`${service.url}/admin/usage?keyId=${keyId}`, {
      headers: { authorization: `Bearer ${service.adminKey}` }
    })
    return (await response.json()) as { readonly rows: ReadonlyArray<{ readonly requests: number }> }
  })

describe("agents and conversations over HTTP", () => {
  it.scoped("lists the agents of the module", () =>
    Effect.gen(function*() {
      const { key, service } = yield* setup
      const listed = yield* call(service, key.secret, "GET", "/v1/agents")
      assert.strictEqual(listed.status, 200)
      assert.deepStrictEqual(listed.body.agents.map((agent: { name: string }) => agent.name), ["calculator", "docs"])
      assert.isString(listed.body.agents[0].description)
    }))

  it.scoped("a JSON run: the final answer, the tool calls with their real results, every step metered", () =>
    Effect.gen(function*() {
      const { key, service } = yield* setup
      const run = yield* call(service, key.secret, "POST", "/v1/agents/calculator/runs", {
        input: "Calculate the expression: (2 + 3) * 4 ^ 2"
      })
      assert.strictEqual(run.status, 200)
      assert.match(run.body.id, /^run_[0-9a-f]{24}$/)
      assert.match(run.body.conversation_id, /^conv_[0-9a-f]{24}$/)
      assert.strictEqual(run.body.agent, "calculator")
      assert.include(run.body.output, "80")
      assert.strictEqual(run.body.steps.length, 2)
      assert.deepStrictEqual(run.body.steps[0].tool_calls[0], {
        tool_use_id: run.body.steps[0].tool_calls[0].tool_use_id,
        name: "calculate",
        input: { expression: "(2 + 3) * 4 ^ 2" },
        outcome: "Success",
        result: { expression: "(2 + 3) * 4 ^ 2", value: 80 }
      })
      assert.isAbove(run.body.usage.input_tokens, 0)
      assert.isAbove(run.body.cost_usd, 0)
      assert.strictEqual(service.bedrockRequests(), 2)
      const usage = yield* usageOf(service, key.record.id)
      assert.strictEqual(usage.rows.reduce((total, row) => total + row.requests, 0), 2)
      const line = service.logs.find((log) => log.path === "/v1/agents/calculator/runs")!
      assert.strictEqual(line.api, "agents")
      assert.strictEqual(line.inputTokens, run.body.usage.input_tokens)
    }))

  it.scoped("an SSE run: steps, tool calls with input, tool results, text deltas and the final answer", () =>
    Effect.gen(function*() {
      const { key, service } = yield* setup
      const response = yield* Effect.promise(() =>
        fetch(`${service.url}/v1/agents/docs/runs`, {
          method: "POST",
          headers: { authorization: `Bearer ${key.secret}`, "content-type": "application/json" },
          body: JSON.stringify({ input: "Search docs for the query: revocation delay", stream: true })
        })
      )
      assert.strictEqual(response.headers.get("content-type"), "text/event-stream")
      const { events } = yield* Effect.promise(() => readSse(response))
      const names = events.map((event) => event.event)
      assert.strictEqual(names[0], "run.started")
      assert.strictEqual(names[names.length - 1], "run.completed")
      assert.includeMembers(names, ["step.started", "tool.call", "tool.result", "text.delta", "step.completed"])
      assert.isBelow(names.indexOf("tool.call"), names.indexOf("tool.result"))
      const data = events.map((event) => JSON.parse(event.data))
      const search = data.find((event, index) => names[index] === "tool.call" && event.name === "search_docs")
      assert.deepStrictEqual(search.input, { query: "revocation delay" })
      const found = data.find((event, index) => names[index] === "tool.result" && event.name === "search_docs")
      assert.strictEqual(found.outcome, "Success")
      assert.isTrue(
        found.result.matches.some((match: { file: string; text: string }) =>
          match.file === "BACKEND.md" && match.text.toLowerCase().includes("revocation delay")
        )
      )
      const final = data[data.length - 1]
      assert.strictEqual(final.conversation_id, data[0].conversation_id)
      assert.strictEqual(final.steps.length, 2)
      const text = data.filter((_, index) => names[index] === "text.delta").map((event) => event.text).join("")
      assert.include(text, final.output)
    }))

  it.scoped("a conversation continues across runs, belongs to its key (another gets 404), and is deleted", () =>
    Effect.gen(function*() {
      const { key, recorder, service } = yield* setup
      const first = yield* call(service, key.secret, "POST", "/v1/agents/calculator/runs", {
        input: "Calculate the expression: 6 * 7"
      })
      const id = first.body.conversation_id
      const second = yield* call(service, key.secret, "POST", "/v1/agents/calculator/runs", {
        input: "Now calculate the expression: 2 ^ 10",
        conversation_id: id
      })
      assert.strictEqual(second.status, 200)
      assert.strictEqual(second.body.conversation_id, id)
      assert.include(second.body.output, "1024")
      // the second run's first model call carried the whole first run
      const sentMessages = (recorder.requests[2]!.body as { messages: Array<unknown> }).messages
      assert.strictEqual(sentMessages.length, 5)
      const stored = yield* call(service, key.secret, "GET", `/v1/conversations/${id}`)
      assert.strictEqual(stored.status, 200)
      assert.strictEqual(stored.body.messages.length, 8)
      assert.deepStrictEqual(stored.body.messages[0], {
        role: "user",
        content: [{ _tag: "Text", text: "Calculate the expression: 6 * 7" }]
      })
      const listed = yield* call(service, key.secret, "GET", "/v1/conversations")
      assert.deepStrictEqual(listed.body, { conversations: [{ id }] })

      const other = yield* service.createKey()
      const before = service.bedrockRequests()
      assert.strictEqual((yield* call(service, other.secret, "GET", `/v1/conversations/${id}`)).status, 404)
      const continued = yield* call(service, other.secret, "POST", "/v1/agents/calculator/runs", {
        input: "Calculate the expression: 1 + 1",
        conversation_id: id
      })
      assert.strictEqual(continued.status, 404)
      assert.deepStrictEqual(continued.body.error.param, "conversation_id")
      assert.strictEqual((yield* call(service, other.secret, "DELETE", `/v1/conversations/${id}`)).status, 404)
      assert.deepStrictEqual((yield* call(service, other.secret, "GET", "/v1/conversations")).body, {
        conversations: []
      })
      assert.strictEqual(service.bedrockRequests(), before)

      const deleted = yield* call(service, key.secret, "DELETE", `/v1/conversations/${id}`)
      assert.deepStrictEqual(deleted.body, { id, deleted: true })
      assert.strictEqual((yield* call(service, key.secret, "GET", `/v1/conversations/${id}`)).status, 404)
    }))

  it.scoped("refusals in the API's shape, none reaching Bedrock", () =>
    Effect.gen(function*() {
      const { key, service } = yield* setup
      const run = (secret: string, agent: string, body: unknown) =>
        call(service, secret, "POST", `/v1/agents/${agent}/runs`, body)
      const unknownAgent = yield* run(key.secret, "nobody", { input: "hi" })
      assert.strictEqual(unknownAgent.status, 404)
      assert.deepStrictEqual(unknownAgent.body.error, {
        message: "There is no agent named nobody.",
        type: "not_found_error",
        param: "name",
        code: null
      })
      for (
        const [body, param] of [
          [{}, "input"],
          [{ input: "   " }, "input"],
          [{ input: "hi", temperature: 1 }, "temperature"],
          [{ input: 42 }, "input"]
        ] as const
      ) {
        const refused = yield* run(key.secret, "calculator", body)
        assert.strictEqual(refused.status, 400, JSON.stringify(body))
        assert.strictEqual(refused.body.error.param, param)
      }
      assert.strictEqual((yield* run(key.secret, "calculator", "{not json")).status, 400)
      const unknownConversation = yield* run(key.secret, "calculator", { input: "hi", conversation_id: "conv_nope" })
      assert.strictEqual(unknownConversation.status, 404)
      const unauthorized = yield* run("sk-bllm-" + "C".repeat(43), "calculator", { input: "hi" })
      assert.strictEqual(unauthorized.status, 401)
      assert.strictEqual(unauthorized.body.error.type, "authentication_error")
      const noAgents = yield* service.createKey({ allowedApis: ["openai"] })
      assert.strictEqual((yield* run(noAgents.secret, "calculator", { input: "hi" })).status, 403)
      assert.strictEqual((yield* call(service, noAgents.secret, "GET", "/v1/conversations")).status, 403)
      const otherModel = yield* service.createKey({ allowedModels: ["amazon.nova-*"] })
      assert.strictEqual((yield* run(otherModel.secret, "calculator", { input: "hi" })).status, 403)
      const poor = yield* service.createKey({ monthlyBudgetMicroUsd: 1 })
      const budget = yield* run(poor.secret, "calculator", { input: "Calculate the expression: 1 + 2" })
      assert.strictEqual(budget.status, 429)
      assert.strictEqual(budget.body.error.code, "insufficient_quota")
      assert.strictEqual(service.bedrockRequests(), 0)
    }))

  it.scoped("a client that leaves a streamed run aborts the step's Bedrock request; its usage is recorded", () =>
    Effect.gen(function*() {
      const { key, service } = yield* setup
      service.emulator.faults.enqueue("stall=3")
      const abort = new AbortController()
      const response = yield* Effect.promise(() =>
        fetch(`${service.url}/v1/agents/calculator/runs`, {
          method: "POST",
          signal: abort.signal,
          headers: { authorization: `Bearer ${key.secret}`, "content-type": "application/json" },
          body: JSON.stringify({ input: "Write 60 words about numbers", stream: true })
        })
      )
      yield* Effect.promise(() =>
        readSseUntil(response, abort, (events) => events.some((event) => event.event === "text.delta"))
      )
      const usage = yield* Effect.promise(async () => {
        await afterAbort(service, (path) => path === "/v1/agents/calculator/runs")
        const response = await fetch(`${service.url}/admin/usage?keyId=${key.record.id}`, {
          headers: { authorization: `Bearer ${service.adminKey}` }
        })
        return (await response.json()) as { rows: Array<{ requests: number; inputTokens: number }> }
      })
      assert.strictEqual(service.emulator.stats().streamsAbortedByClient, 1)
      assert.strictEqual(usage.rows[0]!.requests, 1)
      assert.isAbove(usage.rows[0]!.inputTokens, 0)
      const conversations = yield* call(service, key.secret, "GET", "/v1/conversations")
      assert.deepStrictEqual(conversations.body, { conversations: [] }, "an interrupted run saves nothing")
    }))
})
