import { assert, describe, it } from "@effect/vitest"
import * as Emulator from "bedrock-llm/emulator"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as ApiKey from "../src/keys/ApiKey.js"
import { eventually } from "./support/eventually.js"
import { cleanEnv, serve, shell } from "./support/process.js"
import { call } from "./support/service.js"

const model = "anthropic.claude-3-haiku-20240307-v1:0"

describe("npm run serve", () => {
  it.scopedLive(
    "prints an admin key, a user key and commands; the printed CLI command and the CLI work against it",
    () =>
      Effect.gen(function*() {
        const served = yield* serve("src/main.ts", cleanEnv())
        const out = served.stdout()
        assert.include(out, "Bedrock: the embedded emulator")
        assert.include(out, `curl ${served.url}/v1/chat/completions -H "authorization: Bearer ${served.userKey}"`)
        assert.include(out, `OPENAI_BASE_URL=${served.url}/v1 OPENAI_API_KEY=${served.userKey}`)
        assert.strictEqual((yield* call(`${served.url}/health/ready`)).status, 200)

        const printed = out.split("\n").find((line) => line.includes("npx bedrock-llm-backend keys list"))!.trim()
        const listed = yield* shell(printed, cleanEnv())
        assert.strictEqual(listed.code, 0, listed.stderr)
        const keys = JSON.parse(listed.stdout).keys as ReadonlyArray<{ name: string; hint: string; status: string }>
        assert.deepStrictEqual(keys.map((key) => [key.name, key.hint, key.status]), [
          ["local user", `sk-bllm-...${served.userKey.slice(-4)}`, "active"]
        ])
        assert.notInclude(listed.stdout, served.userKey)

        const env = cleanEnv({ BACKEND_URL: served.url, BACKEND_ADMIN_KEY: served.adminKey! })
        const created = yield* shell(
          "npx bedrock-llm-backend keys create --name ci --models 'anthropic.*' --apis openai,anthropic --rpm 5 --budget 2.5",
          env
        )
        assert.strictEqual(created.code, 0, created.stderr)
        const { key, secret } = JSON.parse(created.stdout)
        assert.match(secret, /^sk-bllm-/)
        assert.deepStrictEqual([key.rpm, key.monthlyBudgetUsd, key.allowedApis], [5, 2.5, ["openai", "anthropic"]])

        served.child.kill("SIGTERM")
        assert.strictEqual(yield* Effect.promise(() => served.exited), 0)
      }),
    { timeout: 120_000 }
  )

  it.scopedLive(
    "SIGTERM drains: in-flight streams finish within the deadline, new connections are refused, the rest is cut",
    () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.make({ tokensPerSecond: 20 })
        const admin = Redacted.value(yield* ApiKey.generate)
        const served = yield* serve(
          "test/support/serveWithProbe.ts",
          cleanEnv({
            BEDROCK_ENDPOINT: emulator.url,
            AWS_REGION: "us-east-1",
            AWS_ACCESS_KEY_ID: "AKIDLOCALTEST",
            AWS_SECRET_ACCESS_KEY: "local-test-secret",
            BACKEND_ADMIN_KEY: admin,
            BACKEND_DRAIN_TIMEOUT_MS: "2000"
          })
        )
        assert.include(served.stdout(), `Bedrock: Amazon Bedrock in us-east-1 at ${emulator.url}`)
        assert.notInclude(served.stdout(), admin)
        const open = (prompt: string, maxTokens: number) =>
          Effect.promise(async () => {
            const response = await fetch(`${served.url}/probe/stream`, {
              method: "POST",
              headers: { authorization: `Bearer ${served.userKey}`, "content-type": "application/json" },
              body: JSON.stringify({ model, prompt, maxTokens })
            })
            const reader = response.body!.getReader()
            let text = ""
            const first = async () => {
              while (!text.includes("ContentBlockDelta")) {
                const { done, value } = await reader.read()
                if (done) break
                text += new TextDecoder().decode(value)
              }
            }
            await first()
            const rest = (async () => {
              for (;;) {
                const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }))
                if (done) return text
                text += new TextDecoder().decode(value)
              }
            })()
            return { rest }
          })
        const short = yield* open("Write 4 words about the sea.", 50)
        const long = yield* open("Write 300 words about the sea.", 2_000)
        served.child.kill("SIGTERM")
        yield* Effect.sleep("300 millis")
        const refused = yield* Effect.promise(() =>
          fetch(`${served.url}/health/live`).then(() => "answered", (error) => String(error.cause?.code ?? error))
        )
        assert.strictEqual(refused, "ECONNREFUSED")
        const [shortText, longText] = yield* Effect.promise(() => Promise.all([short.rest, long.rest]))
        assert.include(shortText, "event: Metadata")
        assert.notInclude(longText, "event: Metadata", served.stdout() + served.stderr())
        assert.strictEqual(yield* Effect.promise(() => served.exited), 0)
        assert.isTrue(yield* eventually(() => emulator.stats().streamsAbortedByClient === 1))
        assert.strictEqual(emulator.stats().streamsAbortedByClient, 1)
        assert.include(served.stdout(), "drain deadline passed with 1 request(s) in flight")
      }),
    { timeout: 120_000 }
  )
})
