/**
 * `npm run serve`: the service from the environment. With no AWS configuration it runs on 127.0.0.1 with the embedded
 * emulator and in-memory stores, makes an admin key and a user key and prints them with commands to try; with AWS
 * configuration it uses real Bedrock (the library's `LocalBedrock` decides) and the stores of `BACKEND_STORE`.
 * On the emulator with no batch bucket configured, the Batch API runs on the emulator's batch jobs and its S3 server
 * (see `localBatch`).
 * SIGTERM or SIGINT drains the service (see `Server.ts`) and exits.
 *
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { LocalBedrock } from "bedrock-llm"
import * as BatchInference from "bedrock-llm/BatchInference"
import type * as Emulator from "bedrock-llm/emulator"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { pathToFileURL } from "node:url"
import * as ApiKey from "./keys/ApiKey.js"
import { KeyStore } from "./keys/KeyStore.js"
import { layer as serviceLayer, type Options as ServerOptions, Running } from "./Server.js"
import * as ServiceConfig from "./ServiceConfig.js"
import * as Telemetry from "./Telemetry.js"

/**
 * The model the printed commands use (in the library's catalog; the emulator answers for it).
 *
 * @since 0.1.0
 * @category constants
 */
export const exampleModel = "anthropic.claude-3-haiku-20240307-v1:0"

/**
 * The emulator's batch side on the local run: each job state lasts half a second (a batch of a few requests ends in
 * a few seconds), and a job may hold a single record (Bedrock's minimum is 100) so that a two-line file is a batch.
 *
 * @since 0.1.0
 * @category constants
 */
export const localBatchEmulator: Emulator.BatchOptions = { timeline: { stepMs: 500 }, quotas: { minRecordsPerJob: 1 } }

/**
 * The Batch API's configuration on the emulator's batch jobs and S3 server (its bucket is created at start).
 *
 * @since 0.1.0
 * @category constructors
 */
export const localBatch = (emulator: { readonly url: string; readonly s3Url: string }): BatchInference.Config => ({
  bucket: "bedrock-llm-local-batch",
  roleArn: "arn:aws:iam::123456789012:role/BedrockBatchInference",
  bedrockEndpoint: emulator.url,
  s3Endpoint: emulator.s3Url,
  credentials: { accessKeyId: "AKIDLOCALEMULATOR", secretAccessKey: "local-emulator-secret" },
  quotas: localBatchEmulator.quotas
})

/** The printed Batch API example: two requests uploaded as a file and submitted as a batch with the openai client. */
const batchExample = (url: string, userKey: string): ReadonlyArray<string> => {
  const line =
    `(id,q)=>JSON.stringify({custom_id:id,method:"POST",url:"/v1/chat/completions",body:{model:"${exampleModel}",messages:[{role:"user",content:q}]}})`
  const script = `const{OpenAI,toFile}=require("openai");const c=new OpenAI();const line=${line};` +
    `toFile(Buffer.from(line("a","Hello!")+"\\n"+line("b","Name a colour.")),"input.jsonl")` +
    `.then((file)=>c.files.create({file,purpose:"batch"}))` +
    `.then((f)=>c.batches.create({input_file_id:f.id,endpoint:"/v1/chat/completions",completion_window:"24h"}))` +
    `.then((b)=>console.log(b.id,b.status))`
  return [
    "",
    "Batch API (files, batches; the emulator runs the jobs):",
    `  OPENAI_BASE_URL=${url}/v1 OPENAI_API_KEY=${userKey} node -e '${script}'`,
    `  curl ${url}/v1/batches -H "authorization: Bearer ${userKey}"   # then the output_file_id's /v1/files/{id}/content`
  ]
}

/**
 * What `serve` prints once it listens: where, with which keys, and commands to paste.
 *
 * @since 0.1.0
 * @category utils
 */
export const banner = (options: {
  readonly url: string
  readonly backend: string
  readonly adminKey: string | undefined
  readonly userKey: string | undefined
  /** Whether the Batch API is served (an example of it is printed). */
  readonly batch?: boolean | undefined
}): string => {
  const lines = [
    `bedrock-llm gateway listening on ${options.url}`,
    `  Bedrock: ${options.backend}`,
    `  API docs: ${options.url}/docs (OpenAPI: ${options.url}/openapi.json)`,
    `  Playground: ${options.url}/playground  Admin console: ${options.url}/admin`
  ]
  if (options.adminKey !== undefined) lines.push(`  admin key: ${options.adminKey}`)
  if (options.userKey !== undefined) {
    lines.push(
      `  user key:  ${options.userKey}`,
      "",
      "Try it:",
      `  curl ${options.url}/v1/chat/completions -H "authorization: Bearer ${options.userKey}" -H "content-type: application/json" -d '{"model":"${exampleModel}","messages":[{"role":"user","content":"Hello!"}]}'`,
      `  OPENAI_BASE_URL=${options.url}/v1 OPENAI_API_KEY=${options.userKey} node -e 'new (require("openai").OpenAI)().chat.completions.create({model:"${exampleModel}",messages:[{role:"user",content:"Hello!"}]}).then((r)=>console.log(r.choices[0].message.content))'`
    )
    if (options.batch === true) lines.push(...batchExample(options.url, options.userKey))
  }
  if (options.adminKey !== undefined) {
    lines.push(
      `  BACKEND_URL=${options.url} BACKEND_ADMIN_KEY=${options.adminKey} npx bedrock-llm-backend keys list`
    )
  }
  return lines.join("\n")
}

/**
 * The service as a program: configuration from the environment, layers, the banner; it runs until interrupted and
 * drains when it is. `api` replaces the service's API (tests add groups of their own).
 *
 * @since 0.1.0
 * @category constructors
 */
export const program = (options: { readonly api?: ServerOptions["api"] } = {}) =>
  Effect.gen(function*() {
    const settings = yield* ServiceConfig.fromEnv
    const local = settings.store._tag === "memory"
    const adminKey = Option.isNone(settings.adminKeyHash) && local
      ? Redacted.value(yield* ApiKey.generate)
      : undefined
    let backend = "real Bedrock"
    let emulatorS3: { readonly url: string; readonly s3Url: string } | undefined
    const bedrock = LocalBedrock.layer({
      // Only the emulator reads this: its batch side, for the Batch API of a run with no batch bucket of its own.
      emulator: Option.isNone(settings.batch) ? { batch: localBatchEmulator } : undefined,
      onBackend: (chosen) => {
        backend = chosen._tag === "Emulator"
          ? `the embedded emulator at ${chosen.url} (${chosen.reason})`
          : `Amazon Bedrock in ${chosen.region}${chosen.endpoint === undefined ? "" : ` at ${chosen.endpoint}`}`
        if (chosen._tag === "Emulator" && chosen.s3Url !== undefined) {
          emulatorS3 = { url: chosen.url, s3Url: chosen.s3Url }
        }
      }
    })
    const settingsWithAdmin = adminKey === undefined
      ? settings
      : { ...settings, adminKeyHash: Option.some(Redacted.make(ApiKey.hash(adminKey))) }
    // Bedrock first: on the emulator, the Batch API's configuration is the emulator's batch side.
    const service = Layer.unwrapScoped(Effect.gen(function*() {
      const runtime = yield* Layer.build(bedrock)
      const batch = emulatorS3 === undefined ? undefined : localBatch(emulatorS3)
      if (batch !== undefined) yield* BatchInference.ensureBucket(batch)
      return serviceLayer({
        settings: settingsWithAdmin,
        bedrock: Layer.succeedContext(runtime),
        batch,
        api: options.api
      })
    }))
    return yield* Effect.scoped(Effect.gen(function*() {
      const context = yield* Layer.build(service.pipe(Layer.provide(Telemetry.layer(settings))))
      const running = Context.get(context, Running)
      const keys = Context.get(context, KeyStore)
      const userKey = local
        ? Redacted.value(
          (yield* keys.create({
            name: "local user",
            allowedModels: ["*"],
            allowedApis: ["openai", "anthropic", "bedrock", "agents"]
          })).secret
        )
        : undefined
      if (Option.isNone(settings.adminKeyHash) && adminKey === undefined) {
        yield* Effect.logWarning("no BACKEND_ADMIN_KEY_SHA256 or BACKEND_ADMIN_KEY: the admin API refuses every call")
      }
      yield* Effect.sync(() =>
        console.log(banner({
          url: running.url,
          backend,
          adminKey,
          userKey,
          batch: Option.isSome(settings.batch) || emulatorS3 !== undefined
        }))
      )
      // Drain on interruption (SIGTERM, SIGINT) before any layer is released.
      return yield* Effect.onInterrupt(Effect.never, () => running.drain)
    })).pipe(Effect.provide(Logger.minimumLogLevel(settings.logLevel)))
  })

/**
 * Runs a program as the process: JSON logs, SIGTERM and SIGINT interrupt it (which drains the service).
 *
 * @since 0.1.0
 * @category constructors
 */
export const runMain = <E>(main: Effect.Effect<never, E>): void =>
  NodeRuntime.runMain(main.pipe(Effect.provide(Logger.json)), { disablePrettyLogger: true })

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) runMain(program())
