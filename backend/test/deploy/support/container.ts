/**
 * The container's command run from a bundle directory as the image runs it, its health check command, and the
 * environment the task definition gives it (DynamoDB stores on dynalite, the emulator as Bedrock, the admin key as
 * ECS injects a secret).
 */
import type * as Emulator from "bedrock-llm/emulator"
import * as Effect from "effect/Effect"
import { type ChildProcess, spawn } from "node:child_process"
import { tables } from "../../support/dynalite.js"
import { cleanEnv } from "../../support/process.js"

export interface Container {
  readonly child: ChildProcess
  readonly url: string
  readonly port: string
  readonly output: () => string
  readonly exited: Promise<number | null>
}

/** The image's command. */
export const imageCommand = ["--max-semi-space-size=32", "main.mjs"]
/**
 * The probe variant's: main.ts starts itself when it is the script node runs, which in a bundle that embeds it is
 * always true, so the variant (which starts main's program with the probe group) is imported instead of run.
 */
export const probeCommand = ["--input-type=module", "-e", "await import('./main.mjs')"]

/** Runs the command in the bundle directory and waits (bounded) for it to listen. */
export const runContainer = (dir: string, env: Record<string, string>, command: ReadonlyArray<string> = imageCommand) =>
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
export const healthCheck = (dir: string, port: string) =>
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

/** The environment the image and the task definition give the service, on dynalite and the emulator. */
export const taskEnvironment = (
  emulator: Emulator.RunningEmulator,
  dynamo: string,
  adminKey: string,
  extra: Record<string, string> = {}
): Record<string, string> => ({
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
  BEDROCK_ENDPOINT: emulator.url,
  ...extra
})
