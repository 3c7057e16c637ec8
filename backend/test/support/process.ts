/**
 * The service as a child process (`npm run serve`'s entry), killed with the scope if still running.
 */
import * as Effect from "effect/Effect"
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

export const backendDir = fileURLToPath(new URL("../..", import.meta.url))
export const rootDir = fileURLToPath(new URL("../../..", import.meta.url))

/** The environment without AWS or Bedrock settings, plus `extra`. */
export const cleanEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (
      !name.startsWith("AWS_") && !name.startsWith("BEDROCK_") && !name.startsWith("BACKEND_") &&
      !name.startsWith("OTEL_")
    ) {
      env[name] = value
    }
  }
  return { ...env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", BACKEND_PORT: "0", ...extra }
}

export interface Served {
  readonly child: ChildProcess
  /** Everything printed on stdout so far. */
  readonly stdout: () => string
  readonly stderr: () => string
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>
  readonly url: string
  /** The admin key it made (none when one is configured). */
  readonly adminKey: string | undefined
  readonly userKey: string
}

/** Spawns an entry (relative to backend/) and waits (bounded) for its banner. */
export const serve = (entry: string, env: NodeJS.ProcessEnv) =>
  Effect.acquireRelease(
    Effect.promise(async (): Promise<Served> => {
      const child = spawn(process.execPath, ["--import", "tsx", entry], { cwd: backendDir, env, stdio: "pipe" })
      let stdout = ""
      let stderr = ""
      child.stdout.on("data", (chunk) => (stdout += String(chunk)))
      child.stderr.on("data", (chunk) => (stderr += String(chunk)))
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
      for (let i = 0; i < 1_200 && !/user key: +\S+/.test(stdout) && child.exitCode === null; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      const pick = (pattern: RegExp) => {
        const found = pattern.exec(stdout)?.[1]
        if (found === undefined) throw new Error(`no ${pattern} in the output:\n${stdout}\n${stderr}`)
        return found
      }
      return {
        child,
        stdout: () => stdout,
        stderr: () => stderr,
        exited,
        url: pick(/listening on (http:\/\/\S+)/),
        adminKey: /admin key: +(\S+)/.exec(stdout)?.[1],
        userKey: pick(/user key: +(\S+)/)
      }
    }),
    (served) => Effect.sync(() => void (served.child.exitCode === null && served.child.kill("SIGKILL")))
  )

/** Runs a shell command line (bounded to 60 s); its exit code and output. */
export const shell = (line: string, env: NodeJS.ProcessEnv) =>
  Effect.promise(() =>
    new Promise<{ readonly code: number | null; readonly stdout: string; readonly stderr: string }>((resolve) => {
      const child = spawn("bash", ["-c", line], { cwd: rootDir, env, stdio: "pipe", timeout: 60_000 })
      let stdout = ""
      let stderr = ""
      child.stdout.on("data", (chunk) => (stdout += String(chunk)))
      child.stderr.on("data", (chunk) => (stderr += String(chunk)))
      child.once("exit", (code) => resolve({ code, stdout, stderr }))
    })
  )
