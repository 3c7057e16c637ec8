/**
 * The Lambda handler under the real runtime interface client (`aws-lambda-ric`, as a child process) against a Runtime
 * API server started here, with recorded-format Function URL and API Gateway REST API events, the emulator behind it
 * as Bedrock, and the admin key in a Secrets Manager on loopback.
 */
import * as Emulator from "bedrock-llm/emulator"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { bundle } from "../../src/entry/bundle.js"
import { openProbeStream } from "../support/probeStream.js"
import { call } from "../support/service.js"
import { eventOf, type FrontDoor, startFrontDoor } from "./support/frontDoor.js"
import { type LambdaProcess, type SecretsManager, startLambda, startSecretsManager } from "./support/lambdaProcess.js"
import { type Outcome, readStreamedHttp, type RuntimeApi, startRuntimeApi } from "./support/runtimeApi.js"

const model = "anthropic.claude-3-haiku-20240307-v1:0"
const adminKey = "sk-bllm-admin-key-kept-in-secrets-manager-for-the-tests-0001"
const secretArn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:bedrock-llm/admin-key-AbCdEf"

interface Environment {
  readonly taskRoot: string
  readonly runtime: RuntimeApi
  readonly lambda: LambdaProcess
  readonly functionUrl: FrontDoor
  readonly restApi: FrontDoor
}

let scope: Scope.CloseableScope
let emulator: Emulator.RunningEmulator
let secrets: SecretsManager
let workDir: string
/** The deployed artifact: `dist/lambda` as `npm run build` makes it. */
let real: Environment
/** The same handler with the core's probe group (streams through the gateway) and a body that breaks mid-way. */
let probe: Environment
let bundleBytes = 0

const startEnvironment = async (
  taskRoot: string,
  options: { readonly cutOnClientGone?: boolean } = {}
): Promise<Environment> => {
  const runtime = await startRuntimeApi()
  const lambda = startLambda({
    taskRoot,
    runtime,
    env: {
      BEDROCK_ENDPOINT: emulator.url,
      AWS_ACCESS_KEY_ID: "AKIDLOCALTEST",
      AWS_SECRET_ACCESS_KEY: "local-test-secret",
      AWS_SESSION_TOKEN: "local-session-token",
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
      BACKEND_ADMIN_KEY_SECRET_ARN: secretArn,
      BACKEND_STORE: "memory",
      BEDROCK_RETRY_MAX_ATTEMPTS: "1"
    }
  })
  const ready = await Promise.race([
    runtime.ready,
    lambda.exited.then((code) => {
      throw new Error(`the runtime exited with ${code} before asking for an invocation:\n${lambda.output()}`)
    })
  ])
  console.log(`cold start under aws-lambda-ric (${taskRoot}): ${ready - lambda.spawnedAt} ms to the first /next`)
  return {
    taskRoot,
    runtime,
    lambda,
    functionUrl: await startFrontDoor(runtime, "function-url", options),
    restApi: await startFrontDoor(runtime, "rest-api", options)
  }
}

const stopEnvironment = async (environment: Environment | undefined) => {
  if (environment === undefined) return
  await environment.lambda.stop()
  await environment.functionUrl.close()
  await environment.restApi.close()
  await environment.runtime.close()
}

beforeAll(async () => {
  scope = Effect.runSync(Scope.make())
  emulator = await Effect.runPromise(Scope.extend(Emulator.make({ tokensPerSecond: 40 }), scope))
  secrets = await startSecretsManager({ arn: secretArn, value: `${adminKey}\n` })
  workDir = await mkdtemp(join(tmpdir(), "bllm-lambda-"))
  const [realBundle, probeBundle] = await Promise.all([
    bundle("lambda", { outDir: join(workDir, "real") }),
    bundle("lambda", { outDir: join(workDir, "probe"), entry: "test/deploy/fixtures/probeLambda.ts" })
  ])
  bundleBytes = realBundle.bytes
  real = await startEnvironment(realBundle.dir)
  probe = await startEnvironment(probeBundle.dir)
}, 120_000)

afterAll(async () => {
  if (process.env["DEBUG_LAMBDA"] !== undefined) console.log(probe?.lambda.output(), probe?.runtime.requests)
  await stopEnvironment(real)
  await stopEnvironment(probe)
  await secrets?.close()
  if (scope !== undefined) await Effect.runPromise(Scope.close(scope, Exit.void))
  if (workDir !== undefined) await rm(workDir, { recursive: true, force: true })
})

const json = (url: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}) =>
  Effect.runPromise(call(url, init))

const createKey = async (door: FrontDoor, settings: Record<string, unknown> = {}) => {
  const created = await json(`${door.url}/admin/keys`, {
    headers: { authorization: `Bearer ${adminKey}` },
    body: {
      name: "lambda test",
      allowedModels: ["*"],
      allowedApis: ["openai", "anthropic", "bedrock", "agents"],
      ...settings
    }
  })
  assert.strictEqual(created.status, 201, JSON.stringify(created.body))
  return created.body as { readonly key: { readonly id: string }; readonly secret: string }
}

const openStream = (url: string, token: string, maxTokens: number) => openProbeStream(url, token, model, maxTokens)

const eventually = async (check: () => boolean | Promise<boolean>) => {
  for (let i = 0; i < 300; i++) {
    if (await check()) return true
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return check()
}

const lastStreamed = (door: FrontDoor) => {
  const outcome = door.outcomes.at(-1)
  assert.strictEqual(outcome?._tag, "streamed")
  return outcome as Extract<Outcome, { _tag: "streamed" }>
}

describe("the Lambda handler under the runtime interface client", () => {
  it("initializes once, reads the admin key from Secrets Manager, and serves non-streamed requests", async () => {
    console.log(`Lambda bundle: ${(bundleBytes / 1024).toFixed(0)} KiB`)
    const live = await json(`${real.functionUrl.url}/health/live`)
    assert.strictEqual(live.status, 200)
    assert.deepStrictEqual(live.body, { status: "ok" })
    // Every response goes through the streaming mode, the status and headers in the prelude.
    const outcome = lastStreamed(real.functionUrl)
    assert.strictEqual(outcome.headers["lambda-runtime-function-response-mode"], "streaming")
    assert.strictEqual(outcome.headers["transfer-encoding"], "chunked")
    assert.strictEqual(outcome.headers["content-type"], "application/vnd.awslambda.http-integration-response")

    assert.strictEqual((await json(`${real.functionUrl.url}/health/ready`)).status, 200)
    const openapi = await json(`${real.restApi.url}/openapi.json`)
    assert.strictEqual(openapi.status, 200)
    assert.isObject(openapi.body.paths["/admin/keys"])

    const refused = await json(`${real.functionUrl.url}/admin/keys`, { headers: { authorization: "Bearer nope" } })
    assert.strictEqual(refused.status, 401)
    const key = await createKey(real.functionUrl)
    assert.match(key.secret, /^sk-bllm-/)
    const listed = await json(`${real.restApi.url}/admin/keys`, { headers: { authorization: `Bearer ${adminKey}` } })
    assert.strictEqual(listed.status, 200)
    assert.deepStrictEqual(listed.body.keys.map((k: { id: string }) => k.id), [key.key.id])
    // Read once, at initialization, not per invocation.
    assert.strictEqual(secrets.requests.filter((id) => id === secretArn).length, 2) // one per environment
    assert.notInclude(real.lambda.output(), adminKey)
    // One JSON log line per request on standard output.
    const lines = real.lambda.output().split("\n").filter((line) => line.startsWith("{"))
    assert.isTrue(lines.some((line) => JSON.parse(line).annotations?.path === "/health/live"))
  })

  it("streams each SSE event as it is produced: the first reaches the client while Bedrock still streams", async () => {
    const key = await createKey(probe.functionUrl)
    const stream = await openStream(probe.functionUrl.url, key.secret, 60)
    assert.strictEqual(stream.response.status, 200)
    assert.strictEqual(stream.response.headers.get("content-type"), "text/event-stream")
    assert.strictEqual(stream.response.headers.get("x-accel-buffering"), "no")
    const first = await stream.readUntil((text) => text.includes("event: ContentBlockDelta"))
    assert.include(first, "event: MessageStart")
    assert.notInclude(first, "event: Metadata")
    assert.strictEqual(emulator.stats().activeStreams, 1)
    const all = await stream.readUntil((text) => text.includes("event: MessageStop"))
    assert.include(all, "event: Metadata")
    // On the Runtime API: the prelude with the status and headers, 8 NUL bytes, then the events in many chunks.
    const outcome = lastStreamed(probe.functionUrl)
    assert.strictEqual(outcome.headers["content-type"], "application/vnd.awslambda.http-integration-response")
    assert.deepStrictEqual(await outcome.trailers, {})
  })

  it("writes the prelude, its 8 NUL bytes and the body on the Runtime API as the documented wire format", async () => {
    const runtime = probe.runtime
    const invocation = runtime.invoke(eventOf("function-url", {
      method: "GET",
      url: "/health/live",
      headers: { host: "abc.lambda-url.us-east-1.on.aws" },
      body: Buffer.alloc(0)
    }))
    const outcome = await invocation.outcome
    assert.strictEqual(outcome._tag, "streamed")
    if (outcome._tag !== "streamed") return
    const chunks: Array<Buffer> = []
    for await (const chunk of outcome.chunks) chunks.push(chunk.bytes)
    const raw = Buffer.concat(chunks)
    const delimiter = raw.indexOf(Buffer.alloc(8))
    const prelude = JSON.parse(raw.subarray(0, delimiter).toString("utf8"))
    assert.strictEqual(prelude.statusCode, 200)
    assert.strictEqual(prelude.headers["content-type"], "application/json")
    assert.match(prelude.headers["x-request-id"], /^req_/)
    assert.strictEqual(raw.subarray(delimiter + 8).toString("utf8"), "{\"status\":\"ok\"}")
    const parsed = await readStreamedHttp((async function*() {
      yield { bytes: raw, at: Date.now() }
    })())
    assert.strictEqual(parsed.prelude.statusCode, 200)
  })

  it("keeps the status of errors before the first byte: 401 without a key, 429 when Bedrock throttles", async () => {
    const missing = await json(`${probe.functionUrl.url}/probe/stream`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model, prompt: "Hi", maxTokens: 10 })
    })
    assert.strictEqual(missing.status, 401)
    const key = await createKey(probe.functionUrl)
    emulator.faults.enqueue("throttle")
    const throttled = await json(`${probe.restApi.url}/probe/stream`, {
      headers: { authorization: `Bearer ${key.secret}` },
      body: { model, prompt: "Hi", maxTokens: 10 }
    })
    assert.strictEqual(throttled.status, 429)
    assert.strictEqual(throttled.body.error.type, "ThrottlingError")
    assert.strictEqual(throttled.headers.get("retry-after"), "1")
  })

  it("finishes and settles the whole answer when the client goes away, since Lambda keeps reading the stream", async () => {
    const key = await createKey(probe.functionUrl, { monthlyBudgetUsd: 1, tpm: 100_000 })
    const aborted = emulator.stats().streamsAbortedByClient
    const stream = await openStream(probe.functionUrl.url, key.secret, 40)
    await stream.readUntil((text) => (text.match(/ContentBlockDelta/g) ?? []).length >= 3)
    stream.abort()
    const outcome = lastStreamed(probe.functionUrl)
    assert.deepStrictEqual(await outcome.trailers, {})
    assert.strictEqual(emulator.stats().streamsAbortedByClient, aborted)
    // The environment lives on; the next invocation sees the usage of the whole answer.
    const usage = await json(`${probe.functionUrl.url}/admin/usage?keyId=${key.key.id}`, {
      headers: { authorization: `Bearer ${adminKey}` }
    })
    assert.strictEqual(usage.status, 200)
    assert.strictEqual(usage.body.rows[0].requests, 1)
    assert.strictEqual(usage.body.rows[0].outputTokens, 40)
  })

  it("stops the Bedrock call at once when the runtime's response connection breaks, and settles what was used", async () => {
    const cut = await startEnvironment(probe.taskRoot, { cutOnClientGone: true })
    try {
      const key = await createKey(cut.functionUrl, { monthlyBudgetUsd: 1, tpm: 100_000 })
      const aborted = emulator.stats().streamsAbortedByClient
      const stream = await openStream(cut.functionUrl.url, key.secret, 500)
      await stream.readUntil((text) => (text.match(/ContentBlockDelta/g) ?? []).length >= 3)
      stream.abort()
      assert.isTrue(await eventually(() => emulator.stats().streamsAbortedByClient === aborted + 1))
      const settled = await eventually(() =>
        cut.lambda.output().split("\n").some((line) =>
          line.startsWith("{") && JSON.parse(line).annotations?.outcome === "cut-off"
        )
      )
      assert.isTrue(settled, cut.lambda.output())
      const line = cut.lambda.output().split("\n").find((line) => line.includes("\"cut-off\""))!
      const fields = JSON.parse(line).annotations
      assert.isAbove(fields.outputTokens, 0)
      assert.isBelow(fields.outputTokens, 500)
      assert.isAbove(fields.costMicroUsd, 0)
    } finally {
      await stopEnvironment(cut)
    }
  })

  it("streams API Gateway REST API events the same way", async () => {
    const key = await createKey(probe.restApi)
    const stream = await openStream(probe.restApi.url, key.secret, 30)
    assert.strictEqual(stream.response.status, 200)
    const all = await stream.readUntil((text) => text.includes("event: MessageStop"))
    assert.include(all, "event: ContentBlockDelta")
    assert.include(all, "event: Metadata")
  })

  it("reports a body that breaks after its first byte in the response stream's trailers", async () => {
    const response = await fetch(`${probe.functionUrl.url}/fault/mid-stream`)
    assert.strictEqual(response.status, 200)
    const text = await response.text().catch(() => "")
    assert.include(text, "data: first")
    const trailers = await lastStreamed(probe.functionUrl).trailers
    assert.isString(trailers["lambda-runtime-function-error-type"])
    const reported = JSON.parse(Buffer.from(trailers["lambda-runtime-function-error-body"]!, "base64").toString())
    assert.include(reported.errorMessage, "the body broke")
    // The environment survives it.
    assert.strictEqual((await json(`${probe.functionUrl.url}/health/live`)).status, 200)
  })
})
