import { assert, describe, it } from "@effect/vitest"
import { Config, Effect, Layer, Redacted } from "effect"
import * as ChildProcess from "node:child_process"
import * as Http from "node:http"
import * as Net from "node:net"
import * as Path from "node:path"
import * as BedrockClient from "../src/BedrockClient.js"
import * as BedrockError from "../src/BedrockError.js"
import * as BedrockRuntime from "../src/BedrockRuntime.js"
import { ClientConfig, StaticCredentials } from "../src/Config.js"
import * as Emulator from "../src/emulator/Emulator.js"
import * as LocalBedrock from "../src/LocalBedrock.js"
import { captureLogs, isolatedEnv, makeHome, withEnv } from "./support/env.js"
import { haiku } from "./support/live.js"

const profileKeys = { accessKeyId: "AKIAPROFILEKEY000001", secretAccessKey: "profile/secret/key/0000000000000000000" }

const credentialsFile = (profile: string) =>
  [
    `[${profile}]`,
    `aws_access_key_id = ${profileKeys.accessKeyId}`,
    `aws_secret_access_key = ${profileKeys.secretAccessKey}`
  ]
    .join("\n")

/** Builds `LocalBedrock.layer()` and gives its runtime, the backend it reported and the Info lines it logged. */
const localRuntime = (options?: LocalBedrock.Options) => {
  const logs = captureLogs()
  const reported: Array<LocalBedrock.Backend> = []
  return Effect.gen(function*() {
    const runtime = yield* BedrockRuntime.BedrockRuntime
    const backend = reported[0]
    assert.isDefined(backend)
    return { runtime, backend: backend!, logs: logs.lines }
  }).pipe(
    Effect.provide(LocalBedrock.layer({ ...options, onBackend: (backend) => reported.push(backend) })),
    Effect.provide(logs.layer)
  )
}

/** The failure of building `LocalBedrock.layer()`. */
const buildFailure = (options?: LocalBedrock.Options) =>
  Effect.flip(Effect.scoped(Layer.build(LocalBedrock.layer(options))))

const backendLines = (lines: ReadonlyArray<string>) => lines.filter((line) => line.includes("BedrockRuntime uses"))

/** A loopback HTTP server: the EC2 instance metadata service (IMDSv2) of an instance with a role. */
const startInstanceMetadata = (region: string) =>
  Effect.acquireRelease(
    Effect.async<Http.Server>((resume) => {
      const server = Http.createServer((request, response) => {
        const answer = (): string | undefined => {
          if (request.method === "PUT" && request.url === "/latest/api/token") return "imds-token"
          if (request.headers["x-aws-ec2-metadata-token"] !== "imds-token") return undefined
          if (request.url === "/latest/meta-data/placement/region") return region
          if (request.url === "/latest/meta-data/iam/security-credentials/") return "app-role"
          if (request.url !== "/latest/meta-data/iam/security-credentials/app-role") return undefined
          return JSON.stringify({
            Code: "Success",
            Type: "AWS-HMAC",
            AccessKeyId: "ASIAINSTANCEROLE0001",
            SecretAccessKey: "instance/role/secret/00000000000000000",
            Token: "instance-role-session-token",
            Expiration: new Date(Date.now() + 3_600_000).toISOString()
          })
        }
        const body = answer()
        if (body === undefined) response.writeHead(404).end()
        else response.writeHead(200, { "content-type": "text/plain" }).end(body)
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map((server) => `http://127.0.0.1:${(server.address() as Net.AddressInfo).port}`))

describe("LocalBedrock: real Bedrock wherever the AWS SDK finds a region", () => {
  it.effect("AWS_REGION and credentials from a profile in ~/.aws: Amazon Bedrock, logged once at Info", () =>
    withEnv(
      { AWS_REGION: "us-east-1", HOME: makeHome({ credentials: credentialsFile("default") }) },
      Effect.gen(function*() {
        const { backend, logs, runtime } = yield* localRuntime()
        assert.deepStrictEqual(backend, {
          _tag: "Bedrock",
          region: "us-east-1",
          regionSource: "AWS_REGION",
          endpoint: undefined
        })
        assert.deepStrictEqual(backendLines(logs), [
          "INFO bedrock-llm: BedrockRuntime uses Amazon Bedrock in us-east-1 (region from AWS_REGION)"
        ])
        assert.strictEqual(runtime.config.endpoint, undefined)
        assert.strictEqual(yield* Effect.promise(() => runtime.sdk.config.region()), "us-east-1")
        const credentials = yield* Effect.promise(() => runtime.sdk.config.credentials())
        assert.strictEqual(credentials.accessKeyId, profileKeys.accessKeyId)
      })
    ))

  it.scoped("AWS_PROFILE's region and credentials (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE) sign calls", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make({ credentials: profileKeys })
      const home = makeHome({ config: "[profile dev]\nregion = eu-west-1\n", credentials: credentialsFile("dev") })
      yield* withEnv(
        {
          AWS_PROFILE: "dev",
          AWS_CONFIG_FILE: Path.join(home, ".aws", "config"),
          AWS_SHARED_CREDENTIALS_FILE: Path.join(home, ".aws", "credentials"),
          BEDROCK_ENDPOINT: emulator.url
        },
        Effect.gen(function*() {
          const { backend, logs, runtime } = yield* localRuntime()
          assert.strictEqual(backend._tag === "Bedrock" && backend.region, "eu-west-1")
          assert.include(backendLines(logs)[0], `region from the region of profile "dev" in ${home}/.aws/config`)
          // The emulator verifies every signature against the profile's keys.
          const answer = yield* runtime.converse({
            modelId: haiku,
            messages: [{ role: "user", content: [{ text: "Hello" }] }]
          })
          assert.strictEqual(answer.output?.message?.role, "assistant")
        })
      )
    }))

  it.scoped("an instance role: region and credentials from the EC2 instance metadata service", () =>
    Effect.gen(function*() {
      const metadata = yield* startInstanceMetadata("ap-southeast-2")
      yield* withEnv(
        { AWS_EC2_METADATA_DISABLED: undefined, AWS_EC2_METADATA_SERVICE_ENDPOINT: metadata },
        Effect.gen(function*() {
          const { backend, logs, runtime } = yield* localRuntime()
          assert.deepStrictEqual(backend, {
            _tag: "Bedrock",
            region: "ap-southeast-2",
            regionSource: "the EC2 instance metadata service",
            endpoint: undefined
          })
          assert.lengthOf(backendLines(logs), 1)
          const credentials = yield* Effect.promise(() => runtime.sdk.config.credentials())
          assert.strictEqual(credentials.accessKeyId, "ASIAINSTANCEROLE0001")
        })
      )
    }))

  it.effect("a Bedrock API key needs no other credentials", () =>
    withEnv(
      { AWS_REGION: "us-west-2", AWS_BEARER_TOKEN_BEDROCK: "bedrock-api-key-for-tests" },
      Effect.gen(function*() {
        const { backend } = yield* localRuntime()
        assert.strictEqual(backend._tag, "Bedrock")
      })
    ))
})

describe("LocalBedrock: the emulator only when asked or when no region is configured", () => {
  it.effect("no region anywhere: the emulator, logged once at Info with the reason, and it answers", () =>
    withEnv(
      {},
      Effect.gen(function*() {
        const logs = captureLogs()
        const response = yield* BedrockClient.generate("Hello").pipe(
          Effect.provide(BedrockClient.layer({ model: { modelId: haiku } }).pipe(Layer.provide(LocalBedrock.layer()))),
          Effect.provide(logs.layer)
        )
        assert.strictEqual(response.message.role, "assistant")
        const lines = backendLines(logs.lines)
        assert.lengthOf(lines, 1)
        assert.match(
          lines[0]!,
          /^INFO bedrock-llm: BedrockRuntime uses the embedded Bedrock emulator at http:\/\/127\.0\.0\.1:\d+/
        )
        assert.include(lines[0]!, "no AWS region is configured")
        assert.include(lines[0]!, "set AWS_REGION to use Amazon Bedrock")
      })
    ))

  it.effect("BEDROCK_EMULATOR=1 or true: the emulator even with a region and credentials", () =>
    Effect.forEach(["1", "true", "TRUE"], (value) =>
      withEnv(
        { BEDROCK_EMULATOR: value, AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "AKIAX", AWS_SECRET_ACCESS_KEY: "x" },
        Effect.gen(function*() {
          const { backend } = yield* localRuntime()
          assert.strictEqual(backend._tag, "Emulator", value)
        })
      )))

  it.effect("BEDROCK_EMULATOR=0 or false: never the emulator; without a region the layer fails naming AWS_REGION", () =>
    Effect.forEach(["0", "false"], (value) =>
      withEnv(
        { BEDROCK_EMULATOR: value },
        Effect.gen(function*() {
          const error = String(yield* buildFailure())
          assert.include(error, "AWS_REGION", value)
          assert.include(error, "BEDROCK_EMULATOR=0 asks for Amazon Bedrock")
        })
      )))

  it.effect("any other BEDROCK_EMULATOR is a ConfigError naming it", () =>
    withEnv(
      { BEDROCK_EMULATOR: "maybe" },
      Effect.gen(function*() {
        const error = String(yield* buildFailure())
        assert.include(error, "BEDROCK_EMULATOR")
        assert.include(error, `"maybe"`)
      })
    ))

  it.effect("the emulator reads and checks the client variables too", () =>
    Effect.forEach(
      [["BEDROCK_REQUEST_TIMEOUT_MS", "abc"], ["BEDROCK_HTTP_PROTOCOL", "http3"], ["BEDROCK_HTTP_MAX_SOCKETS", "-3"]],
      ([name, value]) =>
        withEnv(
          { BEDROCK_EMULATOR: "1", [name]: value },
          Effect.map(buildFailure(), (error) => assert.include(String(error), name))
        )
    ).pipe(
      Effect.zipRight(withEnv(
        { BEDROCK_EMULATOR: "1", BEDROCK_HTTP_PROTOCOL: "http1.1", BEDROCK_REQUEST_TIMEOUT_MS: "1234" },
        Effect.map(localRuntime(), ({ runtime }) => {
          assert.strictEqual(runtime.config.connection.protocol, "http1.1")
          assert.strictEqual(runtime.config.requestTimeout.toString(), "Duration(1s 234ms)")
        })
      ))
    ))
})

describe("LocalBedrock: configuration mistakes are ConfigErrors that say what to set", () => {
  const failureOf = (vars: Record<string, string | undefined>) => withEnv(vars, Effect.map(buildFailure(), String))

  it.effect("an endpoint without a region", () =>
    Effect.map(failureOf({ BEDROCK_ENDPOINT: "http://127.0.0.1:9" }), (error) => {
      assert.include(error, "AWS_REGION")
      assert.include(error, "the endpoint http://127.0.0.1:9 is configured")
    }))

  it.effect("a profile that is in neither shared file", () =>
    Effect.gen(function*() {
      for (const region of [undefined, "us-east-1"]) {
        const error = yield* failureOf({ AWS_PROFILE: "nope", AWS_REGION: region })
        assert.include(error, `AWS_PROFILE: the profile "nope" is in neither`)
      }
    }))

  it.effect("a named profile without a region", () =>
    Effect.map(
      failureOf({ AWS_PROFILE: "dev", HOME: makeHome({ credentials: credentialsFile("dev") }) }),
      (error) => {
        assert.include(error, "AWS_REGION")
        assert.include(error, `AWS_PROFILE names the profile "dev"`)
      }
    ))

  it.effect("a region that is not a region name, from a variable or from the profile", () =>
    Effect.gen(function*() {
      assert.include(yield* failureOf({ AWS_REGION: "Mars" }), "AWS_REGION")
      const home = makeHome({ config: "[default]\nregion = us_east_1\n", credentials: credentialsFile("default") })
      const error = yield* failureOf({ HOME: home })
      assert.include(error, `"us_east_1"`)
      assert.include(error, `profile "default" in ${home}/.aws/config`)
      assert.include(error, "not an AWS region name")
    }))

  it.effect("no credentials anywhere the SDK's default chain looks", () =>
    Effect.map(failureOf({ AWS_REGION: "us-east-1" }), (error) => {
      assert.include(error, "no AWS credentials for Amazon Bedrock in us-east-1")
      assert.include(error, "set AWS_PROFILE")
      assert.include(error, "AWS_BEARER_TOKEN_BEDROCK")
    }))
})

describe("BedrockRuntime: the backend is logged once, whichever constructor built the layer", () => {
  it.scoped("layer and layerConfig log the region and endpoint once; layerConfig checks first", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make()
      const config = new ClientConfig({
        region: "eu-central-1",
        endpoint: emulator.url,
        credentials: new StaticCredentials({ accessKeyId: "AKIAX", secretAccessKey: Redacted.make("x") })
      })
      for (const layer of [BedrockRuntime.layer(config), BedrockRuntime.layerConfig(Config.succeed(config))]) {
        const logs = captureLogs()
        yield* Effect.scoped(Layer.build(layer)).pipe(Effect.provide(logs.layer))
        assert.deepStrictEqual(backendLines(logs.lines), [
          `INFO bedrock-llm: BedrockRuntime uses Amazon Bedrock in eu-central-1 at ${emulator.url} ` +
          "(region from ClientConfig.region)"
        ])
      }
      const unchecked = yield* withEnv(
        {},
        Effect.flip(Effect.scoped(Layer.build(BedrockRuntime.layerConfig(Config.succeed(new ClientConfig({}))))))
      )
      assert.include(String(unchecked), "AWS_REGION")
    }))

  it.effect("an unchecked runtime fails its calls with ConfigurationError, not UnknownServiceError", () =>
    withEnv(
      {},
      Effect.gen(function*() {
        /** The failure of a call on `BedrockRuntime.layer`, which checks nothing before it. */
        const failureOf = (config: ClientConfig, options?: BedrockRuntime.BedrockRuntime.Options) =>
          BedrockClient.generate("Hello").pipe(
            Effect.provide(
              BedrockClient.layer({ model: { modelId: haiku }, retry: { maxAttempts: 1 } }).pipe(
                Layer.provide(BedrockRuntime.layer(config, options))
              )
            ),
            Effect.flip,
            Effect.map((error) => {
              assert.strictEqual(error._tag, "ConfigurationError", error.message)
              return error as BedrockError.ConfigurationError
            })
          )
        const noRegion = yield* failureOf(new ClientConfig({}))
        assert.strictEqual(noRegion.setting, "AWS_REGION")
        assert.isFalse(noRegion.retryable)
        const noCredentials = yield* failureOf(
          new ClientConfig({ region: "us-east-1", endpoint: "http://127.0.0.1:9" })
        )
        assert.strictEqual(noCredentials.setting, "credentials")
        assert.include(noCredentials.message, "set AWS_PROFILE")
        const badRegion = yield* failureOf(new ClientConfig({}), { sdkOptions: { region: "us_east_1" } })
        assert.include(badRegion.message, `the region "us_east_1" is not an AWS region name`)
        const noToken = BedrockError.fromSdkError(Object.assign(new Error("no token"), { name: "TokenProviderError" }))
        assert.strictEqual(noToken._tag === "ConfigurationError" && noToken.setting, "AWS_BEARER_TOKEN_BEDROCK")
      })
    ))
})

interface Ran {
  readonly code: number | null
  readonly output: string
}

/** Runs `examples/generate.ts` as a user would, in an environment with nothing configured but `vars`. */
const runGenerate = (vars: Record<string, string | undefined>) =>
  new Promise<Ran>((resolve) => {
    ChildProcess.execFile(
      process.execPath,
      ["--import", "tsx", Path.join("examples", "generate.ts"), "Hello"],
      { cwd: new URL("..", import.meta.url).pathname, timeout: 60_000, env: isolatedEnv(vars) },
      (error, stdout, stderr) =>
        resolve({
          code: error === null ? 0 : typeof error.code === "number" ? error.code : -1,
          output: `${stdout}\n${stderr}`
        })
    ).stdin?.end()
  })

describe.concurrent("examples/generate.ts as a user runs it", () => {
  for (
    const [name, value] of [
      ["BEDROCK_REQUEST_TIMEOUT_MS", "abc"],
      ["BEDROCK_HTTP_PROTOCOL", "http3"],
      ["BEDROCK_HTTP_MAX_SOCKETS", "-3"]
    ] as const
  ) {
    it(`${name}=${value} on the emulator: a non-zero exit and a message naming ${name}`, async () => {
      const ran = await runGenerate({ BEDROCK_EMULATOR: "1", [name]: value })
      assert.notStrictEqual(ran.code, 0, ran.output)
      assert.include(ran.output, name)
    }, 90_000)
  }

  it("with nothing configured: the emulator answers and says so at Info", async () => {
    const ran = await runGenerate({})
    assert.strictEqual(ran.code, 0, ran.output)
    assert.match(
      ran.output,
      /INFO.*bedrock-llm: BedrockRuntime uses the embedded Bedrock emulator at http:\/\/127\.0\.0\.1/
    )
    assert.match(ran.output, /\[end_turn; \d+ tokens in/)
  }, 90_000)

  it(
    "an endpoint that accepts connections and never answers: each retry logged, then a timeout with the attempts",
    async () => {
      const sockets = new Set<Net.Socket>()
      const silent = Net.createServer((socket) => {
        sockets.add(socket)
        socket.on("error", () => {}).on("close", () => sockets.delete(socket))
      })
      await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve))
      try {
        const ran = await runGenerate({
          AWS_REGION: "us-east-1",
          AWS_ACCESS_KEY_ID: "AKIAFAKEFAKEFAKE0000",
          AWS_SECRET_ACCESS_KEY: "fake/secret/for/a/silent/endpoint/0000",
          BEDROCK_ENDPOINT: `http://127.0.0.1:${(silent.address() as Net.AddressInfo).port}`,
          BEDROCK_CONNECT_TIMEOUT_MS: "300",
          BEDROCK_RETRY_MAX_ATTEMPTS: "2",
          BEDROCK_RETRY_BASE_DELAY_MS: "20"
        })
        assert.notStrictEqual(ran.code, 0, ran.output)
        assert.match(ran.output, /INFO.*Converse call 1 attempt 1 of 2 failed \(RequestTimeoutError: no connection to/)
        assert.match(ran.output, /retrying in \d+ ms/)
        assert.include(ran.output, "sent no HTTP/2 SETTINGS")
        assert.match(ran.output, /RequestTimeoutError[\s\S]*\(2 attempts, \d+ ms in all\)/)
      } finally {
        for (const socket of sockets) socket.destroy()
        await new Promise((resolve) => silent.close(resolve))
      }
    },
    90_000
  )
})
