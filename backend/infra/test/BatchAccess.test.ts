/**
 * The batch grants against the code they are for, so the two cannot drift apart: the S3 and Bedrock commands the
 * batch code sends (read from its source) each map to an IAM action the deployment grants, on the configured prefix;
 * and the keys the library and the gateway's batch store really write, on the emulator's S3 server, all fall inside
 * those grants.
 */
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { readdirSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { beforeAll, describe, expect, it } from "vitest"
import * as BatchInference from "../../../src/BatchInference.js"
import * as Emulator from "../../../src/emulator/Emulator.js"
import * as Message from "../../../src/Message.js"
import type { StoredBatch, StoredFile } from "../../src/apis/batch/BatchSchemas.js"
import * as BatchStore from "../../src/apis/batch/BatchStore.js"
import { batchJobActionOf, batchLayoutOf, s3ActionOf } from "../src/BatchLayout.js"
import { decode } from "../src/Config.js"
import { configs, statementsOfRole, synthesized } from "./support.js"

const root = join(dirname(fileURLToPath(import.meta.url)), "../../..")
const sourcesOf = (folder: string) =>
  readdirSync(join(root, folder)).filter((name) => name.endsWith(".ts")).map((name) => join(folder, name))
/** Every source file of the batch code: the library's `BatchInference` and its internals, the gateway's Batch API. */
const batchSources = [
  "src/BatchInference.ts",
  ...sourcesOf("src/internal/batch"),
  ...sourcesOf("backend/src/apis/batch")
]
const read = (file: string) => readFileSync(join(root, file), "utf8")

/** The commands a source sends, by name (`new <Name>Command(`). */
const commandsOf = (source: string): Array<string> =>
  [...source.matchAll(/new (\w+)Command\(/g)].map((match) => match[1]!)

/**
 * `ensureBucket`'s commands: it creates the emulator's bucket for `layerLocal`, never against the deployed bucket,
 * which the data stack creates.
 */
const emulatorOnly = new Set(["HeadBucket", "CreateBucket"])

const config = decode(configs.fargate)
const layout = batchLayoutOf(config.batch!)
const bucket = "arn:${AWS::Partition}:s3:::gw-prod-${AWS::AccountId}-eu-west-1-batch"

/** IAM's wildcard match: `*` any run of characters (`/` too), `?` one character. */
const matches = (pattern: string, value: string) =>
  new RegExp(
    `^${
      pattern.split("").map((c) => c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")).join("")
    }$`
  ).test(value)

const list = (value: unknown): Array<string> => (Array.isArray(value) ? value : [value]) as Array<string>

describe("the batch grants follow the batch code", () => {
  let gateway: Array<Record<string, any>>
  beforeAll(async () => {
    const synth = await synthesized("fargate")
    gateway = statementsOfRole(synth.template("service"), "FargateTaskRole")
  })

  const granted = (action: string) => gateway.filter((statement) => list(statement["Action"]).includes(action))

  it("maps every command the batch code sends to an IAM action, the emulator's bucket setup aside", () => {
    const commands = new Set(batchSources.flatMap((file) => commandsOf(read(file))))
    expect(commands.size).toBeGreaterThan(5)
    for (const command of commands) {
      expect(s3ActionOf[command] ?? batchJobActionOf[command] ?? (emulatorOnly.has(command) || undefined), command)
        .toBeDefined()
    }
    const callers = read("src/BatchInference.ts").split("export const layerLocal")
    expect(callers[0]).not.toMatch(/ensureBucket\(/)
    expect(callers[1]).toContain("ensureBucket(")
    for (const file of batchSources.filter((file) => file.startsWith("backend/"))) {
      expect(read(file), file).not.toContain("ensureBucket")
    }
  })

  it("grants the gateway exactly the S3 actions of those commands, under the configured prefix only", () => {
    const needed = new Set(
      batchSources.flatMap((file) => commandsOf(read(file))).flatMap((command) => s3ActionOf[command] ?? [])
    )
    expect([...needed].sort()).toEqual([
      "s3:AbortMultipartUpload",
      "s3:DeleteObject",
      "s3:GetObject",
      "s3:ListBucket",
      "s3:PutObject"
    ])
    const grantedS3 = new Set(
      gateway.flatMap((statement) => list(statement["Action"])).filter((a) => a.startsWith("s3:"))
    )
    expect([...grantedS3].sort()).toEqual([...needed].sort())
    for (const action of needed) {
      const statements = granted(action)
      expect(statements, action).toHaveLength(1)
      if (action === "s3:ListBucket") {
        expect(statements[0]!["Resource"]).toBe(bucket)
        expect(statements[0]!["Condition"]).toEqual({ StringLike: { "s3:prefix": ["llm/jobs/*"] } })
      } else {
        expect(statements[0]!["Resource"], action).toBe(`${bucket}/llm/jobs/*`)
      }
    }
  })

  it("grants the gateway the jobs' Bedrock actions, and passing the batch role to Bedrock only", () => {
    const needed = batchSources.flatMap((file) => commandsOf(read(file))).flatMap((command) =>
      batchJobActionOf[command] ?? []
    )
    for (const action of new Set([...needed, ...Object.values(batchJobActionOf)])) {
      expect(granted(action), action).toHaveLength(1)
    }
    expect(granted("iam:PassRole")).toEqual([expect.objectContaining({
      Resource: expect.stringMatching(/BatchRole/),
      Condition: { StringEquals: { "iam:PassedToService": "bedrock.amazonaws.com" } }
    })])
  })

  it("covers every key the library and the batch store write, each within the grants of who touches it", async () => {
    const keys = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const emulator = yield* Emulator.make({ batch: { quotas: { minRecordsPerJob: 1 } } })
      const batchConfig: BatchInference.Config = {
        bucket: "gw-batch",
        roleArn: "arn:aws:iam::123456789012:role/BedrockBatchInference",
        prefix: layout.prefix,
        credentials: { accessKeyId: "AKIDLOCAL", secretAccessKey: "local" },
        bedrockEndpoint: emulator.url,
        s3Endpoint: emulator.batch!.s3Url,
        quotas: { minRecordsPerJob: 1 },
        pollInterval: "10 millis"
      }
      yield* BatchInference.ensureBucket(batchConfig)
      const batch = yield* Effect.provide(BatchInference.BatchInference, BatchInference.layer(batchConfig))
      const records = Stream.range(0, 4).pipe(Stream.map((index): BatchInference.ConverseRecord => ({
        recordId: `r${index}`,
        messages: [Message.user(`record ${index}`)],
        maxTokens: 16
      })))
      const submission = yield* batch.submit(records, { modelId: "anthropic.claude-3-haiku-20240307-v1:0" })
      yield* Stream.runDrain(batch.watch(submission))
      yield* Stream.runDrain(batch.results(submission))

      const store = yield* Effect.provide(BatchStore.BatchStore, BatchStore.layer(batchConfig))
      yield* store.putFile({ id: "file-1", keyId: "key-1" } as unknown as StoredFile, "{}\n")
      yield* store.putBatch({ id: "batch-1", keyId: "key-1" } as unknown as StoredBatch)
      yield* store.claimFinalization("key-1", "batch-1")
      yield* store.listBatches("key-2")

      const client = new S3Client({
        region: "us-east-1",
        endpoint: emulator.batch!.s3Url,
        forcePathStyle: true,
        credentials: batchConfig.credentials!
      })
      yield* Effect.addFinalizer(() => Effect.sync(() => client.destroy()))
      const page = yield* Effect.promise(() => client.send(new ListObjectsV2Command({ Bucket: "gw-batch" })))
      return (page.Contents ?? []).map((object) => object.Key!)
    })))
    const inputs = keys.filter((key) => key.includes("/input/"))
    const outputs = keys.filter((key) => key.includes("/output/"))
    const gatewayOwn = keys.filter((key) => key.startsWith(`${layout.prefix}gateway/keys/key-1/`))
    expect(inputs.length).toBeGreaterThan(0)
    expect(outputs.length).toBeGreaterThan(0)
    expect(gatewayOwn.length).toBeGreaterThanOrEqual(4)
    expect(inputs.length + outputs.length + gatewayOwn.length).toBe(keys.length)
    for (const key of keys) expect(matches(layout.all, key), key).toBe(true)
    for (const key of inputs) expect(matches(layout.jobInputs, key), key).toBe(true)
    for (const key of outputs) expect(matches(layout.jobOutputs, key), key).toBe(true)
    for (const key of gatewayOwn) {
      expect(matches(layout.jobInputs, key) || matches(layout.jobOutputs, key), key).toBe(false)
    }
  })
})
