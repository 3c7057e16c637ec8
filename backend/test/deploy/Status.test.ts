/**
 * `bedrock-llm-backend status` against a running service: health, this month's spend per key against its budget, and
 * the recent errors from a CloudWatch Logs endpoint on loopback that answers StartQuery and GetQueryResults (the
 * AWS JSON 1.1 protocol) the way CloudWatch Logs Insights does.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { run } from "../../src/cli.js"
import { errorsQuery, type Report } from "../../src/Status.js"
import { call, startService } from "../support/service.js"

const model = "anthropic.claude-3-haiku-20240307-v1:0"

/** A CloudWatch Logs endpoint whose one query is still running once, then complete with two rows. */
const fakeLogs = Effect.acquireRelease(
  Effect.promise(async () => {
    const requests: Array<{ target: string; body: any }> = []
    let polls = 0
    const server = createServer((request, response) => {
      let text = ""
      request.on("data", (chunk) => (text += String(chunk)))
      request.on("end", () => {
        const target = String(request.headers["x-amz-target"])
        const body = JSON.parse(text)
        requests.push({ target, body })
        response.setHeader("content-type", "application/x-amz-json-1.1")
        if (target === "Logs_20140328.StartQuery") return response.end(JSON.stringify({ queryId: "q-1" }))
        if (target === "Logs_20140328.GetQueryResults") {
          polls++
          if (polls === 1) return response.end(JSON.stringify({ status: "Running", results: [] }))
          return response.end(JSON.stringify({
            status: "Complete",
            statistics: { recordsMatched: 2, recordsScanned: 100, bytesScanned: 10_000 },
            results: [
              [
                { field: "@timestamp", value: "2026-12-04 05:00:01.000" },
                { field: "status", value: "502" },
                { field: "path", value: "/v1/chat/completions" },
                { field: "keyId", value: "key_0011223344556677" },
                { field: "error", value: "ServiceUnavailableError" },
                { field: "requestId", value: "req_a" }
              ],
              [
                { field: "@timestamp", value: "2026-12-04 04:58:30.000" },
                { field: "status", value: "429" },
                { field: "path", value: "/v1/messages" },
                { field: "error", value: "BudgetExhausted" },
                { field: "requestId", value: "req_b" }
              ]
            ]
          }))
        }
        response.statusCode = 400
        response.end(JSON.stringify({ __type: "UnknownOperationException", message: target }))
      })
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server }
  }),
  ({ server }) => Effect.promise(() => new Promise<void>((resolve) => server.close(() => resolve())))
)

/** Sets environment variables for the scope (the AWS SDK reads its endpoint and credentials from there). */
const withEnv = (vars: Record<string, string>) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const saved = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]))
      Object.assign(process.env, vars)
      return saved
    }),
    (saved) =>
      Effect.sync(() => {
        for (const [name, value] of Object.entries(saved)) {
          if (value === undefined) delete process.env[name]
          else process.env[name] = value
        }
      })
  )

describe("bedrock-llm-backend status", () => {
  it.scoped(
    "shows health, this month's spend per key with its budget, and recent errors from the logs",
    () =>
      Effect.gen(function*() {
        const service = yield* startService()
        const budgeted = yield* service.createKey({ name: "team a", monthlyBudgetMicroUsd: 2_000_000 })
        yield* service.createKey({ name: "team b" })
        const answered = yield* call(`${service.url}/probe/generate`, {
          token: budgeted.secret,
          body: { model, prompt: "Hello", maxTokens: 20 }
        })
        assert.strictEqual(answered.status, 200)
        const logs = yield* fakeLogs
        yield* withEnv({
          AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: logs.url,
          AWS_REGION: "us-east-1",
          AWS_ACCESS_KEY_ID: "AKIDLOCALTEST",
          AWS_SECRET_ACCESS_KEY: "local-test-secret"
        })

        // The query is still running at the first poll: the next one comes a second later (on the TestClock).
        const fiber = yield* Effect.fork(run([
          "status",
          "--url",
          service.url,
          "--admin-key",
          service.adminKey,
          "--log-group",
          "/ecs/gw-prod-gateway",
          "--since",
          "30"
        ]))
        for (let i = 0; i < 500 && Option.isNone(yield* Fiber.poll(fiber)); i++) {
          yield* TestClock.adjust("1 second")
          yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 10)))
        }
        const status = (yield* Fiber.join(fiber)) as Report
        assert.strictEqual(status.live, "ok")
        assert.strictEqual(status.ready, "ok")
        assert.match(status.month!, /^\d{4}-\d{2}$/)
        assert.deepStrictEqual(status.keys.map((key) => key.name), ["team a", "team b"])
        const [a, b] = status.keys
        assert.isAbove(a!.spentUsd, 0)
        assert.strictEqual(a!.budgetUsd, 2)
        assert.strictEqual(a!.budgetUsedPercent, Math.round((10_000 * a!.spentUsd) / 2) / 100)
        assert.strictEqual(b!.spentUsd, 0)
        assert.isUndefined(b!.budgetUsd)
        assert.deepStrictEqual(status.recentErrors, [
          {
            timestamp: "2026-12-04 05:00:01.000",
            status: 502,
            path: "/v1/chat/completions",
            keyId: "key_0011223344556677",
            error: "ServiceUnavailableError",
            requestId: "req_a"
          },
          {
            timestamp: "2026-12-04 04:58:30.000",
            status: 429,
            path: "/v1/messages",
            keyId: undefined,
            error: "BudgetExhausted",
            requestId: "req_b"
          }
        ])
        const started = logs.requests.find((request) => request.target === "Logs_20140328.StartQuery")!
        assert.strictEqual(started.body.logGroupName, "/ecs/gw-prod-gateway")
        assert.strictEqual(started.body.queryString, errorsQuery)
        assert.strictEqual(started.body.endTime - started.body.startTime, 30 * 60)
        assert.notInclude(JSON.stringify(status), budgeted.secret)
      }),
    { timeout: 60_000 }
  )

  it.scopedLive(
    "reports an unreachable service and a log query that fails, instead of failing whole",
    () =>
      Effect.gen(function*() {
        const service = yield* startService()
        yield* withEnv({
          AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: "http://127.0.0.1:9",
          AWS_REGION: "us-east-1",
          AWS_ACCESS_KEY_ID: "AKIDLOCALTEST",
          AWS_SECRET_ACCESS_KEY: "local-test-secret"
        })
        const status =
          (yield* run(["status", "--url", service.url, "--admin-key", service.adminKey, "--log-group", "/x"])) as Report
        assert.strictEqual(status.ready, "ok")
        assert.strictEqual(status.recentErrors!.length, 1)
        assert.match(status.recentErrors![0]!.error!, /^StartQuery on \/x failed: /)
        const refused = yield* Effect.flip(
          run(["status", "--url", service.url, "--admin-key", service.adminKey, "--since", "0"])
        )
        assert.strictEqual(refused._tag, "UsageError")
      }),
    { timeout: 60_000 }
  )
})
