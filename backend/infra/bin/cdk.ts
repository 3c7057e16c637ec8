/**
 * `npm run deploy` and `npm run diff` (and `synth`, `destroy`): validates the configuration, then runs the CDK CLI on
 * every stack of the deployment.
 *
 *   npm run deploy -- <config.json> [--front-door function-url|rest-api|fargate] [more cdk options]
 *   npm run diff -- <config.json> [--front-door ...]
 *
 * @since 0.1.0
 */
import { spawnSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { ConfigError, decode } from "../src/Config.js"

const infraDir = fileURLToPath(new URL("..", import.meta.url))
const [command, ...rest] = process.argv.slice(2)
const usage =
  "usage: npm run <deploy|diff|synth|destroy> -- <config.json> [--front-door function-url|rest-api|fargate] [cdk options]"
if (command === undefined || !["deploy", "diff", "synth", "destroy"].includes(command)) {
  console.error(usage)
  process.exit(2)
}
const configPath = rest[0]
if (configPath === undefined || configPath.startsWith("-")) {
  console.error(`No configuration file.\n${usage}`)
  process.exit(2)
}
const options = rest.slice(1)
const doorAt = options.indexOf("--front-door")
const frontDoor = doorAt < 0 ? undefined : options[doorAt + 1]
if (doorAt >= 0) options.splice(doorAt, 2)

try {
  const file = JSON.parse(readFileSync(resolve(configPath), "utf8")) as Record<string, unknown>
  decode(frontDoor === undefined ? file : { ...file, frontDoor })
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : `Cannot read ${configPath}: ${String(error)}`)
  process.exit(1)
}

const cdkCli = join(dirname(createRequire(import.meta.url).resolve("aws-cdk/package.json")), "bin", "cdk")
const result = spawnSync(process.execPath, [
  cdkCli,
  command,
  ...(command === "synth" ? [] : ["--all"]),
  "--app",
  `"${process.execPath}" --import tsx bin/app.ts`,
  "-c",
  `config=${resolve(configPath)}`,
  ...(frontDoor === undefined ? [] : ["-c", `frontDoor=${frontDoor}`]),
  "--no-notices",
  ...options
], { cwd: infraDir, stdio: "inherit" })
process.exit(result.status ?? 1)
