/**
 * The container's command, run from the built output as the image runs it (`node main.mjs` in the bundle directory,
 * the task definition's environment, DynamoDB stores on dynalite, the emulator as Bedrock, the admin key injected as
 * ECS injects a secret): its health check command, requests, and a clean drain on SIGTERM. No Docker engine runs here;
 * the image adds only the distroless base around this directory.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Emulator from "bedrock-llm/emulator"
import * as Effect from "effect/Effect"
import { mkdtemp, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { backendDir as bundlerBackendDir, bundle } from "../../src/entry/bundle.js"
import { dynaliteWithTables } from "../support/dynalite.js"
import { call } from "../support/service.js"
import { healthCheck, probeCommand, runContainer, taskEnvironment } from "./support/container.js"

const model = "anthropic.claude-3-haiku-20240307-v1:0"
const adminKey = "sk-bllm-container-admin-key-injected-from-secrets-manager-01"

const workDir = Effect.acquireRelease(
  Effect.promise(() => mkdtemp(join(tmpdir(), "bllm-container-"))),
  (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
)

const admin = { authorization: `Bearer ${adminKey}` }

describe("the container's command from the built output", () => {
  it.scopedLive(
    "passes its health check, serves requests, and exits 0 on SIGTERM, refusing what comes after",
    () =>
      Effect.gen(function*() {
        const dir = yield* workDir
        const built = yield* Effect.promise(() => bundle("container", { outDir: dir }))
        assert.strictEqual(built.dir, dir)
        assert.include(yield* Effect.promise(() => readFile(join(bundlerBackendDir, "Dockerfile"), "utf8")), "main.mjs")
        const emulator = yield* Emulator.make()
        const dynamo = yield* dynaliteWithTables
        const container = yield* runContainer(dir, taskEnvironment(emulator, dynamo, adminKey))
        assert.include(container.output(), "Amazon Bedrock in us-east-1")
        assert.notInclude(container.output(), adminKey)

        assert.strictEqual(yield* healthCheck(dir, container.port), 0)
        const created = yield* call(`${container.url}/admin/keys`, {
          headers: admin,
          body: { name: "container", allowedModels: ["anthropic.*"], allowedApis: ["openai"], monthlyBudgetUsd: 5 }
        })
        assert.strictEqual(created.status, 201)
        const listed = yield* call(`${container.url}/admin/keys`, { headers: admin })
        assert.deepStrictEqual(listed.body.keys.map((key: { name: string }) => key.name), ["container"])
        // JSON log lines, one per request, never a secret.
        const lines = container.output().split("\n").filter((line) => line.startsWith("{"))
        assert.isTrue(lines.some((line) => JSON.parse(line).annotations?.path === "/admin/keys"))
        assert.notInclude(container.output(), created.body.secret)

        container.child.kill("SIGTERM")
        assert.strictEqual(yield* Effect.promise(() => container.exited), 0)
        assert.strictEqual(yield* healthCheck(dir, container.port), 1)
      }),
    { timeout: 120_000 }
  )

  it.scopedLive(
    "drains on SIGTERM: a stream in flight finishes whole, new connections are refused",
    () =>
      Effect.gen(function*() {
        const dir = yield* workDir
        yield* Effect.promise(() => bundle("container", { outDir: dir, entry: "test/support/serveWithProbe.ts" }))
        const emulator = yield* Emulator.make({ tokensPerSecond: 25 })
        const dynamo = yield* dynaliteWithTables
        const container = yield* runContainer(dir, taskEnvironment(emulator, dynamo, adminKey), probeCommand)
        const created = yield* call(`${container.url}/admin/keys`, {
          headers: admin,
          body: { name: "drain", allowedModels: ["*"], allowedApis: ["openai"] }
        })
        const secret = created.body.secret as string
        const text = yield* Effect.promise(async () => {
          const response = await fetch(`${container.url}/probe/stream`, {
            method: "POST",
            headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
            body: JSON.stringify({ model, prompt: "Tell me about the tides.", maxTokens: 40 })
          })
          const reader = response.body!.getReader()
          const decoder = new TextDecoder()
          let text = response.status === 200 ? "" : `status ${response.status} `
          let signalled = false
          for (let i = 0; i < 10_000; i++) {
            const { done, value } = await reader.read()
            if (done) break
            text += decoder.decode(value, { stream: true })
            if (!signalled && text.includes("event: ContentBlockDelta")) {
              signalled = true
              container.child.kill("SIGTERM")
              // Give the signal a moment to land, then try a new connection: the listener is closed.
              await new Promise((resolve) => setTimeout(resolve, 200))
              const refused = await fetch(`${container.url}/health/live`).then((r) => r.status, () => "refused")
              text += `\n[new request: ${refused}]\n`
            }
          }
          return text
        })
        assert.include(text, "[new request: refused]")
        assert.include(text, "event: MessageStop")
        assert.include(text, "event: Metadata")
        assert.strictEqual(yield* Effect.promise(() => container.exited), 0)
        assert.notInclude(container.output(), "drain deadline passed")
      }),
    { timeout: 120_000 }
  )
})
