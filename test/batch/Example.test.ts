import { assert, describe, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import { join } from "node:path"

const root = join(__dirname, "..", "..")

describe("examples/batch-inference.ts", () => {
  it("runs offline with one command, on the embedded emulator", async () => {
    const ran = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        ["--import", "tsx", join("examples", "batch-inference.ts")],
        { cwd: root, timeout: 60_000, env: { ...process.env, BATCH_BUCKET: "", BATCH_ROLE_ARN: "" } },
        (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr })
      )
    )
    assert.strictEqual(ran.code, 0, ran.stderr)
    assert.match(ran.stdout, /submitted 1 job: arn:aws:bedrock:/)
    assert.notMatch(ran.stdout, /\w\(s\)/)
    assert.match(ran.stdout, /500 answered, 0 without an answer; \d+ input and \d+ output tokens/)
  }, 90_000)
})
