import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as Http from "node:http"
import { call, startService } from "./support/service.js"

const model = "anthropic.claude-3-haiku-20240307-v1:0"

/** One request on `agent`: status, headers and body text. */
const request = (agent: Http.Agent, url: string, options: { method: string; token: string; body?: unknown }) =>
  new Promise<{ status: number; headers: Http.IncomingHttpHeaders; text: string; socket: unknown }>(
    (resolve, reject) => {
      const body = options.body === undefined ? undefined : JSON.stringify(options.body)
      const sent = Http.request(url, {
        method: options.method,
        agent,
        headers: {
          authorization: `Bearer ${options.token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" })
        }
      }, (response) => {
        let text = ""
        response.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")))
        response.on(
          "end",
          () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text, socket: sent.socket })
        )
        response.on("error", reject)
      })
      sent.on("error", reject)
      sent.end(body)
    }
  )

describe("operations", () => {
  it.scopedLive("while draining, a request on a kept-alive connection is 503 in its API's shape and closes it", () =>
    Effect.gen(function*() {
      const service = yield* startService({ emulator: { tokensPerSecond: 40 } })
      const key = yield* service.createKey()
      // One socket, kept alive: the second request waits for the first and then reuses its connection.
      const agent = new Http.Agent({ keepAlive: true, maxSockets: 1 })
      yield* Effect.addFinalizer(() => Effect.sync(() => agent.destroy()))
      const streamed = request(agent, `${service.url}/probe/stream`, {
        method: "POST",
        token: key.secret,
        body: { model, prompt: "Write a few words about the sea.", maxTokens: 30 }
      })
      for (let i = 0; i < 200 && service.running.inFlight() === 0; i++) yield* Effect.sleep("10 millis")
      const drained = yield* Effect.fork(service.running.drain)
      const next = request(agent, `${service.url}/v1/chat/completions`, {
        method: "POST",
        token: key.secret,
        body: { model, messages: [{ role: "user", content: "Hi" }] }
      })
      const [first, second] = yield* Effect.promise(() => Promise.all([streamed, next]))
      assert.strictEqual(first.status, 200)
      assert.include(first.text, "event: Metadata")
      assert.strictEqual(first.socket, second.socket, "the second request went over the kept-alive connection")
      assert.strictEqual(second.status, 503, second.text)
      assert.strictEqual(second.headers["connection"], "close")
      assert.strictEqual(second.headers["retry-after"], "1")
      assert.strictEqual(JSON.parse(second.text).error.type, "server_error")
      assert.strictEqual(service.bedrockRequests(), 1)
      yield* drained.await
    }))

  it.scopedLive("a body over the limit is 413 in the shape of the path's API, before it is read or reaches Bedrock", () =>
    Effect.gen(function*() {
      const service = yield* startService({ settings: { maxBodyBytes: 1_000 } })
      const key = yield* service.createKey()
      const big = { model, prompt: "x".repeat(2_000) }
      const openai = yield* call(`${service.url}/v1/chat/completions`, { token: key.secret, body: big })
      assert.strictEqual(openai.status, 413)
      assert.strictEqual(openai.body.error.code, "request_too_large")
      const anthropic = yield* call(`${service.url}/v1/messages`, { token: key.secret, body: big })
      assert.deepStrictEqual([anthropic.status, anthropic.body.type, anthropic.body.error.type], [
        413,
        "error",
        "request_too_large"
      ])
      const bedrock = yield* call(`${service.url}/bedrock/model/${model}/converse`, { token: key.secret, body: big })
      assert.deepStrictEqual([bedrock.status, bedrock.headers.get("x-amzn-errortype")], [413, "ValidationException"])
      assert.isString(bedrock.body.message)
      const probe = yield* call(`${service.url}/probe/generate`, { token: key.secret, body: big })
      assert.strictEqual(probe.status, 413)
      const small = yield* call(`${service.url}/probe/generate`, { token: key.secret, body: { model, prompt: "Hi" } })
      assert.strictEqual(small.status, 200)
      assert.strictEqual(service.bedrockRequests(), 1)
    }))

  it.scopedLive("CORS is off unless origins are configured; then only those origins get the headers", () =>
    Effect.gen(function*() {
      const closed = yield* startService()
      const preflight = (url: string, origin: string) =>
        Effect.promise(() =>
          fetch(`${url}/probe/generate`, {
            method: "OPTIONS",
            headers: { origin, "access-control-request-method": "POST" }
          })
        )
      const off = yield* call(`${closed.url}/health/live`, { headers: { origin: "https://app.example" } })
      assert.isNull(off.headers.get("access-control-allow-origin"))
      assert.isNull((yield* preflight(closed.url, "https://app.example")).headers.get("access-control-allow-origin"))

      const open = yield* startService({ settings: { corsOrigins: ["https://app.example"] } })
      const allowed = yield* preflight(open.url, "https://app.example")
      assert.strictEqual(allowed.status, 204)
      assert.strictEqual(allowed.headers.get("access-control-allow-origin"), "https://app.example")
      // A single allowed origin is always named, so a browser on any other origin refuses the answer.
      const other = yield* call(`${open.url}/health/live`, { headers: { origin: "https://evil.example" } })
      assert.notStrictEqual(other.headers.get("access-control-allow-origin"), "https://evil.example")
      const same = yield* call(`${open.url}/health/live`, { headers: { origin: "https://app.example" } })
      assert.strictEqual(same.headers.get("access-control-allow-origin"), "https://app.example")
      assert.include(same.headers.get("access-control-expose-headers") ?? "", "x-request-id")
    }))

  it.scopedLive("one structured log line per request with its fields; no secret in any log line the process writes", () =>
    Effect.gen(function*() {
      const written: Array<string> = []
      const capture = Logger.replace(
        Logger.defaultLogger,
        Logger.map(Logger.jsonLogger, (line) => void written.push(line))
      )
      const service = yield* startService().pipe(Effect.provide(capture))
      const key = yield* service.createKey({ allowedModels: [model] })
      const url = `${service.url}/probe/generate`
      const ok = yield* call(url, {
        token: key.secret,
        body: { model, prompt: "Hi", maxTokens: 20 },
        headers: { "x-request-id": "trace-1" }
      })
      assert.strictEqual(ok.headers.get("x-request-id"), "trace-1")
      yield* call(url, { token: key.secret, body: { model: "amazon.nova-micro-v1:0", prompt: "Hi", maxTokens: 20 } })
      // The secret with its last character changed (to another one, whatever it was).
      const wrong = `${key.secret.slice(0, -1)}${key.secret.endsWith("A") ? "B" : "A"}`
      yield* call(url, { token: wrong, body: { model, prompt: "Hi" } })
      yield* call(url, { token: service.adminKey, body: { model, prompt: "Hi" } })
      yield* call(`${service.url}/admin/keys`, { token: service.adminKey })
      yield* call(`${service.url}/admin/keys`, { token: key.secret })
      const line = service.logs.find((entry) => entry.requestId === "trace-1")!
      assert.strictEqual(line.keyId, key.record.id)
      assert.strictEqual(line.api, "openai")
      assert.strictEqual(line.model, model)
      assert.strictEqual(line.modelId, model)
      assert.strictEqual(line.status, 200)
      assert.isAbove(line.inputTokens!, 0)
      assert.isAbove(line.outputTokens!, 0)
      assert.isAbove(line.costMicroUsd!, 0)
      assert.isNumber(line.latencyMs)
      assert.deepStrictEqual(service.logs.map((entry) => entry.status), [200, 403, 401, 401, 200, 401])
      const everything = [...service.logs.map((entry) => JSON.stringify(entry)), ...written].join("\n")
      for (const secret of [key.secret, service.adminKey, key.secret.slice(8)]) assert.notInclude(everything, secret)
    }))

  it.scopedLive("readiness is 503 naming the stores that do not answer", () =>
    Effect.gen(function*() {
      const service = yield* startService({ dynamoEndpoint: "http://127.0.0.1:9" })
      const ready = yield* call(`${service.url}/health/ready`)
      assert.strictEqual(ready.status, 503)
      assert.deepStrictEqual(ready.body.failing, ["keys", "limits", "usage"])
      const live = yield* call(`${service.url}/health/live`)
      assert.strictEqual(live.status, 200)
    }))
})
