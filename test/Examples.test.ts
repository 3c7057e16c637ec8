import { assert, describe, it } from "@effect/vitest"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"

const root = new URL("..", import.meta.url).pathname

interface Ran {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs an example as a user would (`npx tsx examples/x.ts`), offline: the embedded emulator, no terminal. */
const runExample = (file: string, args: ReadonlyArray<string> = [], env: Record<string, string> = {}) =>
  new Promise<Ran>((resolve) => {
    ChildProcess.execFile(
      process.execPath,
      ["--import", "tsx", Path.join("examples", file), ...args],
      {
        cwd: root,
        timeout: 60_000,
        env: { ...process.env, BEDROCK_EMULATOR: "1", ...env }
      },
      (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout, stderr })
    ).stdin?.end()
  })

const expectations: ReadonlyArray<readonly [file: string, output: RegExp]> = [
  ["generate.ts", /\[end_turn; \d+ tokens in, \d+ out; \$[\d.]+; request [\w-]+\]/],
  ["stream.ts", /\[end_turn; \d+ tokens streamed\]/],
  ["structured-output.ts", /"ingredients": \[/],
  ["chat.ts", /\[3 turns, \d+ tokens in/],
  ["tour.ts", /\[end_turn\]/],
  ["agent-tools.ts", /structured answer:/],
  ["multi-agent.ts", /research/],
  ["rag-agent.ts", /"section":"Leave"/],
  ["embeddings-rank.ts", /1\. [\d.]+ {2}(Cats need|Regular play)/],
  ["families.ts", /Jamba/i],
  ["chat-effect.ts", /model>|assistant/i],
  ["chat-promise.ts", /model>|assistant/i]
]

describe.concurrent("examples run offline with one command", () => {
  for (const [file, output] of expectations) {
    it(file, async () => {
      const ran = await runExample(file)
      assert.strictEqual(ran.code, 0, `${file} exited with ${ran.code}:\n${ran.stderr}`)
      assert.match(ran.stdout, output)
    }, 90_000)
  }

  it("persistent-chat.ts continues the conversation after a restart", async () => {
    const directory = Fs.mkdtempSync(Path.join(Os.tmpdir(), "bedrock-llm-chat-"))
    try {
      const first = await runExample("persistent-chat.ts", ["My name is Ada."], { CHAT_DIR: directory })
      assert.strictEqual(first.code, 0, first.stderr)
      assert.include(first.stdout, "0 message(s) so far")
      const second = await runExample("persistent-chat.ts", ["What is my name?"], { CHAT_DIR: directory })
      assert.strictEqual(second.code, 0, second.stderr)
      assert.include(second.stdout, "2 message(s) so far")
    } finally {
      Fs.rmSync(directory, { recursive: true, force: true })
    }
  }, 120_000)
})
