/**
 * The container's command, run from the built output as the image runs it (`node main.mjs` in the bundle directory,
 * the task definition's environment, DynamoDB stores on dynalite, the emulator as Bedrock, the admin key injected as
 * ECS injects a secret): its health check command, requests, and a clean drain on SIGTERM. No Docker engine runs here;
 * the image adds only the distroless base around this directory.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Emulator from "bedrock-llm/emulator"
import * as Effect from "effect/Effect"
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtemp, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { backendDir as bundlerBackendDir, bundle } from "../../src/entry/bundle.js"
import { dynaliteWithTables, tables } from "../support/dynalite.js"
import { cleanEnv } from "../support/process.js"
import { call } from "../support/service.js"

const model = "anthropic.claude-3-haiku-20240307-v1:0"
const adminKey = "sk-bllm-container-admin-key-injected-from-secrets-manager-01"

const workDir = Effect.acquireRelease(
  Effect.promise(() => mkdtemp(join(tmpdir(), "bllm-container-"))),
  (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
)

interface Container {
  readonly child: ChildProcess
  readonly url: string
  readonly port: string
  readonly output: () => string
  readonly exited: Promise<number | null>
}

/** The image's command. */
const imageCommand = ["main.mjs"]
/**
 * The probe variant's: main.ts starts itself when it is the script node runs, which in a bundle that embeds it is
 * always true, so the variant (which starts main's program with the probe group) is imported instead of run.
 */
const probeCommand = ["--input-type=module", "-e", "await import('./main.mjs')"]

/** Runs the command in the bundle directory and waits (bounded) for it to listen. */
const runContainer = (dir: string, env: Record<string, string>, command: ReadonlyArray<string> = imageCommand) =>
  Effect.acquireRelease(
    Effect.promise(async (): Promise<Container> => {
      const child = spawn(process.execPath, command, { cwd: dir, env: cleanEnv(env), stdio: "pipe" })
      let output = ""
      child.stdout.on("data", (chunk) => (output += String(chunk)))
      child.stderr.on("data", (chunk) => (output += String(chunk)))
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
      for (let i = 0; i < 600 && !/listening on http:\/\/\S+/.test(output) && child.exitCode === null; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      const url = /listening on (http:\/\/\S+)/.exec(output)?.[1]
      if (url === undefined) throw new Error(`the container did not start:\n${output}`)
      return { child, url, port: new URL(url).port, output: () => output, exited }
    }),
    (container) => Effect.sync(() => void (container.child.exitCode === null && container.child.kill("SIGKILL")))
  )

/** Runs the image's health check command (`node healthcheck.mjs`) as Docker and ECS do; its exit code. */
const healthCheck = (dir: string, port: string) =>
  Effect.promise(() =>
    new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, ["healthcheck.mjs"], {
        cwd: dir,
        env: cleanEnv({ BACKEND_PORT: port }),
        stdio: "ignore",
        timeout: 10_000
      })
      child.once("exit", (code) => resolve(code))
    })
  )

const taskEnvironment = (emulator: Emulator.RunningEmulator, dynamo: string) => ({
  // What the image and the task definition set (BACKEND_PORT 0 here: an ephemeral port).
  NODE_ENV: "production",
  BACKEND_HOST: "127.0.0.1",
  BACKEND_PORT: "0",
  BACKEND_STORE: "dynamodb",
  BACKEND_DYNAMODB_KEYS_TABLE: tables.keysTable,
  BACKEND_DYNAMODB_LIMITS_TABLE: tables.limitsTable,
  BACKEND_DYNAMODB_USAGE_TABLE: tables.usageTable,
  BACKEND_DYNAMODB_ENDPOINT: dynamo,
  BACKEND_ADMIN_KEY: adminKey,
  BACKEND_DRAIN_TIMEOUT_MS: "10000",
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "AKIDLOCALTEST",
  AWS_SECRET_ACCESS_KEY: "local-test-secret",
  BEDROCK_ENDPOINT: emulator.url
})

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
        const container = yield* runContainer(dir, taskEnvironment(emulator, dynamo))
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
        const container = yield* runContainer(dir, taskEnvironment(emulator, dynamo), probeCommand)
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
