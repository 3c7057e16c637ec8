import { assert, describe, it } from "@effect/vitest"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { start } from "../src/emulator/Emulator.js"
import { eventuallyAsync } from "./support/eventually.js"

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
  ["generate.ts", /\[end_turn; \d+ tokens? in, \d+ out; \$[\d.]+; request [\w-]+\]/],
  ["stream.ts", /\[end_turn; \d+ tokens? streamed\]/],
  ["structured-output.ts", /"ingredients": \[/],
  ["chat.ts", /\[3 turns, \d+ tokens? in/],
  ["tour.ts", /\[end_turn\]/],
  ["agent-tools.ts", /structured answer:/],
  ["multi-agent.ts", /research/],
  ["rag-agent.ts", /"section":"Leave"/],
  ["embeddings-rank.ts", /1\. [\d.]+ {2}(Cats need|Regular play)/],
  ["families.ts", /Jamba/i],
  ["chat-effect.ts", /model>|assistant/i],
  ["chat-promise.ts", /model>|assistant/i],
  ["testing-with-scripted-runtime.ts", /answer: Paris\./],
  // a retry as a JSON log line and as a span event, before the batch
  [
    "observability.ts",
    /"message":"bedrock-llm: Converse call[^\n]*retrying in[\s\S]*bedrock_llm\.retry[\s\S]*batch: 500 of 500 answered/
  ]
]

/** "1 steps", "3 step(s)": what an example never prints. */
const countedWrong = /\w\(s\)|\b1 (?:steps|tokens|turns|messages|requests|texts|events|attempts|words)\b/

describe.concurrent("examples run offline with one command", () => {
  for (const [file, output] of expectations) {
    it(file, async () => {
      const ran = await runExample(file)
      assert.strictEqual(ran.code, 0, `${file} exited with ${ran.code}:\n${ran.stderr}`)
      assert.match(ran.stdout, output)
      assert.notMatch(ran.stdout, countedWrong, "a count is printed with its noun in the right number")
    }, 90_000)
  }

  it("persistent-chat.ts continues the conversation after a restart", async () => {
    const directory = Fs.mkdtempSync(Path.join(Os.tmpdir(), "bedrock-llm-chat-"))
    try {
      const first = await runExample("persistent-chat.ts", ["My name is Ada."], { CHAT_DIR: directory })
      assert.strictEqual(first.code, 0, first.stderr)
      assert.include(first.stdout, "0 messages so far")
      const second = await runExample("persistent-chat.ts", ["What is my name?"], { CHAT_DIR: directory })
      assert.strictEqual(second.code, 0, second.stderr)
      assert.include(second.stdout, "2 messages so far")
    } finally {
      Fs.rmSync(directory, { recursive: true, force: true })
    }
  }, 120_000)
})

/**
 * Runs an example against `endpoint` (as real Bedrock: region, credentials and endpoint in the environment), sends it
 * SIGINT once its first model text is on stdout (after `marker`), and resolves with how it exited.
 */
const logLines = /^\[[0-9:.]+\] [A-Z]+ .*\n/gm

const interruptExample = (file: string, endpoint: string, marker: string) =>
  new Promise<{ readonly code: number | null; readonly signal: string | null; readonly stdout: string }>(
    (resolve, reject) => {
      const { AWS_PROFILE: _profile, BEDROCK_EMULATOR: _emulator, ...env } = process.env
      const child = ChildProcess.spawn(process.execPath, ["--import", "tsx", Path.join("examples", file)], {
        cwd: root,
        env: {
          ...env,
          BEDROCK_ENDPOINT: endpoint,
          AWS_REGION: "us-east-1",
          AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
          AWS_SECRET_ACCESS_KEY: "example-secret"
        },
        stdio: ["ignore", "pipe", "pipe"]
      })
      const timer = setTimeout(() => {
        child.kill("SIGKILL")
        reject(new Error(`${file} printed no model text within 60 s:\n${stdout}`))
      }, 60_000)
      let stdout = ""
      let sent = false
      child.stdout.on("data", (data: Buffer) => {
        stdout += data.toString()
        // The model's text, without the log lines the runtime prints before it (which backend it uses).
        const text = stdout.replace(logLines, "")
        const at = text.indexOf(marker)
        if (!sent && at >= 0 && text.length > at + marker.length) {
          sent = true
          child.kill("SIGINT")
        }
      })
      child.on("exit", (code, signal) => {
        clearTimeout(timer)
        resolve({ code, signal, stdout })
      })
    }
  )

describe("Ctrl-C during a streamed answer", () => {
  // (chat-promise.ts aborts its stream on SIGINT too, but it cannot be pointed at a paced emulator.)
  for (const [file, marker] of [["stream.ts", ""], ["chat.ts", "model> "]] as const) {
    it(`${file} stops the stream and exits with 130, as an interrupted process does`, async () => {
      // A paced emulator, so that the answer is still streaming when the signal arrives.
      const emulator = await start({ tokensPerSecond: 20 })
      try {
        const ran = await interruptExample(file, emulator.url, marker)
        assert.deepStrictEqual([ran.code, ran.signal], [130, null], ran.stdout)
        assert.notMatch(ran.stdout, /tokens? streamed|turns?,/)
        // The emulator sees the socket close on its own time, possibly after the child's exit event.
        assert.isTrue(await eventuallyAsync(() => emulator.stats().streamsAbortedByClient === 1))
        assert.strictEqual(emulator.stats().streamsAbortedByClient, 1)
      } finally {
        await emulator.close()
      }
    }, 90_000)
  }
})
