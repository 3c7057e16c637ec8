import { Effect, Logger } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"

/** Variables of the AWS SDK and of this library that a test's environment starts without. */
const controlled = (name: string): boolean =>
  (name.startsWith("AWS_") || name.startsWith("BEDROCK_")) &&
  name !== "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"

/** A temporary home directory with optional `~/.aws/config` and `~/.aws/credentials` contents. */
export const makeHome = (files: { readonly config?: string; readonly credentials?: string } = {}): string => {
  const home = Fs.mkdtempSync(Path.join(Os.tmpdir(), "bedrock-llm-home-"))
  Fs.mkdirSync(Path.join(home, ".aws"))
  if (files.config !== undefined) Fs.writeFileSync(Path.join(home, ".aws", "config"), files.config)
  if (files.credentials !== undefined) Fs.writeFileSync(Path.join(home, ".aws", "credentials"), files.credentials)
  return home
}

/**
 * The environment of a process that has nothing configured but `vars`: no AWS or BEDROCK variables of the machine's,
 * a fresh `HOME` (no `~/.aws`), and the EC2 instance metadata service disabled (so nothing leaves loopback) unless
 * `vars` says otherwise (`AWS_EC2_METADATA_DISABLED: undefined`).
 */
export const isolatedEnv = (vars: Record<string, string | undefined> = {}): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !controlled(name) && name !== "HOME") env[name] = value
  }
  const merged: Record<string, string | undefined> = { HOME: makeHome(), AWS_EC2_METADATA_DISABLED: "true", ...vars }
  for (const [name, value] of Object.entries(merged)) if (value !== undefined) env[name] = value
  return env
}

/** Runs with `process.env` replaced by `isolatedEnv(vars)`, put back afterwards (a file's tests run one at a time). */
export const withEnv = <A, E, R>(
  vars: Record<string, string | undefined>,
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const saved = { ...process.env }
      const env = isolatedEnv(vars)
      for (const name of Object.keys(process.env)) delete process.env[name]
      Object.assign(process.env, env)
      return saved
    }),
    () => effect,
    (saved) =>
      Effect.sync(() => {
        for (const name of Object.keys(process.env)) delete process.env[name]
        Object.assign(process.env, saved)
      })
  )

/** The text of a log message (one or several values). */
const textOf = (message: unknown): string =>
  Array.isArray(message) ? message.map((part) => String(part)).join(" ") : String(message)

/** A logger that keeps `LEVEL message` lines, at the default minimum level (Info). */
export const captureLogs = () => {
  const lines: Array<string> = []
  const logger = Logger.make(({ logLevel, message }) => {
    lines.push(`${logLevel.label} ${textOf(message)}`)
  })
  return { lines, layer: Logger.add(logger) }
}
