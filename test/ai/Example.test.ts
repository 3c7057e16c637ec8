import { assert, describe, it } from "@effect/vitest"
import * as ChildProcess from "node:child_process"
import * as Path from "node:path"

const root = Path.join(__dirname, "..", "..")

describe("examples/effect-ai.ts", () => {
  it("runs offline with one command: a streamed Chat whose tool turn is resolved by the Toolkit's Layer", async () => {
    const ran = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      ChildProcess.execFile(
        process.execPath,
        ["--import", "tsx", Path.join("examples", "effect-ai.ts")],
        { cwd: root, timeout: 60_000, env: { ...process.env, BEDROCK_EMULATOR: "1" } },
        (error, stdout, stderr) =>
          resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout, stderr })
      ).stdin?.end()
    })
    assert.strictEqual(ran.code, 0, ran.stderr)
    assert.match(ran.stdout, /\[tool call\] get_weather\(\{"city":"Lisbon"\}\)/)
    assert.match(ran.stdout, /\[tool result\] \{"city":"Lisbon","celsius":\d+,"sky":"\w+"\}/)
    assert.match(ran.stdout, /get_weather returned/)
    assert.match(ran.stdout, /\[chat history: 7 messages\]/)
  }, 90_000)
})
