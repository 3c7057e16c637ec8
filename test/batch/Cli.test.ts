import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFile } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as BatchInference from "../../src/BatchInference.js"
import { batchEmulator, credentials, novaMicro, roleArn } from "./helpers.js"

const root = join(__dirname, "..", "..")

const cli = (args: ReadonlyArray<string>) =>
  Effect.async<{ code: number; stdout: string; stderr: string }>((resume) => {
    const child = execFile(
      process.execPath,
      ["--import", "tsx", join(root, "src", "cli.ts"), ...args],
      {
        cwd: root,
        timeout: 60_000,
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
          AWS_REGION: "us-east-1",
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true"
        }
      },
      (error, stdout, stderr) =>
        resume(Effect.succeed({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr }))
    )
    return Effect.sync(() => child.kill())
  })

const temporaryDirectory = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "bedrock-llm-cli-"))),
  (directory) => Effect.sync(() => rmSync(directory, { recursive: true, force: true }))
)

describe("bedrock-llm batch", () => {
  it.scopedLive(
    "submit, then status and results from later processes that re-attach by the saved job ARNs",
    () =>
      Effect.gen(function*() {
        const emulator = yield* batchEmulator({})
        yield* BatchInference.ensureBucket({ bucket: "cli", credentials, s3Endpoint: emulator.batch!.s3Url })
        const directory = yield* temporaryDirectory
        const input = join(directory, "input.jsonl")
        writeFileSync(
          input,
          Array.from({ length: 250 }, (_, index) =>
            JSON.stringify({
              recordId: `c${index}`,
              messages: [{ role: "user", content: `line ${index}` }],
              maxTokens: 16
            }))
            .join("\n")
        )
        const endpoints = [
          "--bedrock-endpoint",
          emulator.url,
          "--s3-endpoint",
          emulator.batch!.s3Url,
          "--poll-seconds",
          "0.02"
        ]
        const submit = ["batch", "submit", input, "--model", novaMicro, "--bucket", "cli", "--role-arn", roleArn]
        const submitted = yield* cli([...submit, "--max-records-per-job", "200", ...endpoints])
        assert.strictEqual(submitted.code, 0, submitted.stderr)
        const state = JSON.parse(readFileSync(`${input}.batch.json`, "utf8")) as BatchInference.Submission
        assert.deepStrictEqual(state.jobs.map((job) => job.records), [150, 100])
        const again = yield* cli(submit)
        assert.notStrictEqual(again.code, 0)
        assert.include(again.stderr, "was submitted")
        const out = join(directory, "results.jsonl")
        const results = yield* cli(["batch", "results", "--state", `${input}.batch.json`, "--out", out, ...endpoints])
        assert.strictEqual(results.code, 0, results.stderr)
        assert.include(results.stderr, "100% 250/250")
        const lines = readFileSync(out, "utf8").trim().split("\n").map((line) => JSON.parse(line))
        assert.strictEqual(lines.length, 250)
        assert.strictEqual(new Set(lines.map((line) => line.recordId)).size, 250)
        for (const line of lines) {
          assert.include(line.response.message.content[0].text, `line ${line.recordId.slice(1)}`)
        }
        const status = yield* cli(["batch", "status", "--state", `${input}.batch.json`, ...endpoints])
        assert.strictEqual(status.code, 0, status.stderr)
        assert.strictEqual(
          status.stdout.trim().split("\n").filter((line) => line.includes(" Completed 150/150")).length,
          1
        )
      }),
    { timeout: 120_000 }
  )

  it.effect("a usage error names what is missing", () =>
    Effect.gen(function*() {
      const ran = yield* cli(["batch", "submit", "input.jsonl", "--model", novaMicro])
      assert.notStrictEqual(ran.code, 0)
      assert.include(ran.stderr, "submit needs --bucket")
    }), { timeout: 60_000 })
})
