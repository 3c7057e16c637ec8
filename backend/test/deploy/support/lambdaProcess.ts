/**
 * A Lambda execution environment on this machine: the real runtime interface client (`aws-lambda-ric`, the Node.js
 * runtime of Lambda's managed runtimes, with its native Runtime API client) as a child process, loading a bundle's
 * `index.handler` from `LAMBDA_TASK_ROOT` and talking to a Runtime API server the test started. Also a Secrets
 * Manager endpoint on loopback that answers `GetSecretValue` (the AWS JSON 1.1 protocol) for one secret.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { createServer } from "node:http"
import { createRequire } from "node:module"
import type { AddressInfo } from "node:net"
import { dirname, join } from "node:path"
import { cleanEnv } from "../../support/process.js"
import type { RuntimeApi } from "./runtimeApi.js"

const ricEntry = join(dirname(createRequire(import.meta.url).resolve("aws-lambda-ric/package.json")), "index.mjs")

export interface LambdaProcess {
  readonly child: ChildProcess
  readonly output: () => string
  /** When the process was spawned (ms since the epoch). */
  readonly spawnedAt: number
  readonly exited: Promise<number | null>
  readonly stop: () => Promise<void>
}

/** Spawns the runtime interface client on a bundle directory, against the Runtime API. */
export const startLambda = (options: {
  readonly taskRoot: string
  readonly runtime: RuntimeApi
  readonly env: Record<string, string>
}): LambdaProcess => {
  const spawnedAt = Date.now()
  const child = spawn(process.execPath, [ricEntry, "index.handler"], {
    cwd: options.taskRoot,
    env: cleanEnv({
      AWS_LAMBDA_RUNTIME_API: options.runtime.address,
      LAMBDA_TASK_ROOT: options.taskRoot,
      _HANDLER: "index.handler",
      AWS_LAMBDA_FUNCTION_NAME: "bedrock-llm-gateway",
      AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "1024",
      AWS_LAMBDA_LOG_GROUP_NAME: "/aws/lambda/bedrock-llm-gateway",
      AWS_LAMBDA_LOG_STREAM_NAME: "2026/01/01/[$LATEST]local",
      AWS_REGION: "us-east-1",
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x",
      TZ: ":UTC",
      ...options.env
    }),
    stdio: "pipe"
  })
  let output = ""
  child.stdout.on("data", (chunk) => (output += String(chunk)))
  child.stderr.on("data", (chunk) => (output += String(chunk)))
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
  return {
    child,
    output: () => output,
    spawnedAt,
    exited,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGKILL")
      await exited
    }
  }
}

export interface SecretsManager {
  readonly url: string
  /** The secret ids asked for, in order. */
  readonly requests: Array<string>
  readonly close: () => Promise<void>
}

/** A Secrets Manager endpoint holding one secret (by ARN). */
export const startSecretsManager = async (secret: { readonly arn: string; readonly value: string }) => {
  const requests: Array<string> = []
  const server = createServer((request, response) => {
    let body = ""
    request.on("data", (chunk) => (body += String(chunk)))
    request.on("end", () => {
      const target = request.headers["x-amz-target"]
      const { SecretId } = JSON.parse(body === "" ? "{}" : body) as { SecretId?: string }
      requests.push(String(SecretId))
      response.setHeader("content-type", "application/x-amz-json-1.1")
      if (target !== "secretsmanager.GetSecretValue") {
        response.writeHead(400)
        return response.end(JSON.stringify({ __type: "UnknownOperationException", Message: String(target) }))
      }
      if (SecretId !== secret.arn) {
        response.writeHead(400)
        return response.end(
          JSON.stringify({ __type: "ResourceNotFoundException", Message: "Secrets Manager can't find the secret." })
        )
      }
      response.writeHead(200)
      response.end(JSON.stringify({
        ARN: secret.arn,
        Name: secret.arn.split(":").at(-1),
        VersionId: "00000000-0000-0000-0000-000000000001",
        SecretString: secret.value,
        VersionStages: ["AWSCURRENT"],
        CreatedDate: Date.now() / 1000
      }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  } satisfies SecretsManager
}
