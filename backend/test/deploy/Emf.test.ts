/**
 * The embedded metric format lines: each document valid by the specification, and the metrics the dashboard and the
 * alarms read, written by the container's command for real requests.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Emulator from "bedrock-llm/emulator"
import * as Effect from "effect/Effect"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Emf from "../../src/Emf.js"
import { bundle } from "../../src/entry/bundle.js"
import { dynaliteWithTables } from "../support/dynalite.js"
import { call } from "../support/service.js"
import { probeCommand, runContainer, taskEnvironment } from "./support/container.js"
import { violations } from "./support/emfSpec.js"

const model = "anthropic.claude-3-haiku-20240307-v1:0"
const namespace = "BedrockLlm/Gateway"

const metricsOf = (document: Emf.Document) =>
  Object.fromEntries(
    document._aws.CloudWatchMetrics.flatMap((directive) =>
      directive.Metrics.map((metric) => [metric.Name, { value: document[metric.Name], dims: directive.Dimensions }])
    )
  )

describe("Emf.document", () => {
  it("makes a valid document of a streamed call's log line, with its tokens, cost and budget", () => {
    const document = Emf.document(
      {
        requestId: "req_1",
        method: "POST",
        path: "/v1/chat/completions",
        status: 200,
        keyId: "key_0123456789abcdef",
        api: "openai",
        model: "claude",
        modelId: model,
        inputTokens: 12,
        outputTokens: 40,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        costMicroUsd: 53,
        budgetMicroUsd: 1_000_000,
        budgetSpentMicroUsd: 850_000,
        latencyMs: 812,
        timeToFirstTokenMs: 230,
        outcome: "complete"
      },
      namespace,
      1_767_225_600_000
    )!
    assert.deepStrictEqual(violations(document), [])
    const metrics = metricsOf(document)
    assert.deepStrictEqual(metrics["Requests"], { value: 1, dims: [["Service"], ["Service", "Api"]] })
    assert.strictEqual(metrics["Errors5xx"]!.value, 0)
    assert.strictEqual(metrics["TimeToFirstToken"]!.value, 230)
    assert.deepStrictEqual(metrics["OutputTokens"], { value: 40, dims: [["Service"], ["Service", "Model"]] })
    assert.deepStrictEqual(metrics["CostUsd"], {
      value: 0.000053,
      dims: [["Service"], ["Service", "Model"], ["Service", "KeyId"], ["Service", "KeyId", "Model"]]
    })
    assert.deepStrictEqual(metrics["BudgetUsedPercent"], { value: 85, dims: [["Service", "KeyId"]] })
    assert.isUndefined(metrics["BudgetRefusals"])
    assert.strictEqual(document["Model"], model)
    assert.strictEqual(document["requestId"], "req_1")
  })

  it("counts a budget refusal per key and model, a 5xx per API, and leaves health checks out", () => {
    const refused = Emf.document(
      {
        path: "/v1/messages",
        status: 429,
        api: "anthropic",
        keyId: "key_1",
        model: "claude",
        error: "BudgetExhausted",
        latencyMs: 3
      },
      namespace,
      1
    )!
    assert.deepStrictEqual(violations(refused), [])
    assert.strictEqual(metricsOf(refused)["BudgetRefusals"]!.value, 1)
    assert.strictEqual(metricsOf(refused)["Errors4xx"]!.value, 1)
    const failed = Emf.document({ path: "/bedrock/model/x/converse", status: 502, latencyMs: 9 }, namespace, 1)!
    assert.deepStrictEqual(violations(failed), [])
    assert.strictEqual(metricsOf(failed)["Errors5xx"]!.value, 1)
    assert.strictEqual(failed["Api"], "other")
    assert.isUndefined(Emf.document({ path: "/health/ready", status: 200 }, namespace, 1))
  })

  it("the checker finds what breaks the specification", () => {
    assert.includeMembers(
      violations({
        _aws: {
          Timestamp: "now",
          CloudWatchMetrics: [{ Namespace: "", Dimensions: [["Missing"]], Metrics: [{ Name: "Bad", Unit: "Apples" }] }]
        },
        Bad: "one"
      }),
      [
        "_aws.Timestamp is not a number of milliseconds since the epoch",
        "directive 0: Namespace must be a string of 1 to 255 characters",
        "dimension Missing has no string value at the root",
        "metric Bad: unknown Unit Apples",
        "metric Bad has no numeric value at the root"
      ]
    )
  })
})

describe("the container's command with BACKEND_EMF_NAMESPACE", () => {
  it.scopedLive(
    "writes one valid EMF line per request on standard output: cost, budget, refusals",
    () =>
      Effect.gen(function*() {
        const dir = yield* Effect.acquireRelease(
          Effect.promise(() => mkdtemp(join(tmpdir(), "bllm-emf-"))),
          (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
        )
        yield* Effect.promise(() => bundle("container", { outDir: dir, entry: "test/support/serveWithProbe.ts" }))
        const emulator = yield* Emulator.make()
        const dynamo = yield* dynaliteWithTables
        const adminKey = "sk-bllm-emf-admin-key-for-the-embedded-metric-format-test-01"
        const container = yield* runContainer(
          dir,
          taskEnvironment(emulator, dynamo, adminKey, { BACKEND_EMF_NAMESPACE: namespace }),
          probeCommand
        )
        const url = container.url
        const admin = { authorization: `Bearer ${adminKey}` }
        const created = yield* call(`${url}/admin/keys`, {
          headers: admin,
          body: { name: "metered", allowedModels: ["*"], allowedApis: ["openai"], monthlyBudgetUsd: 0.001 }
        })
        const { key, secret } = created.body as { key: { id: string }; secret: string }
        assert.strictEqual(
          (yield* call(`${url}/probe/generate`, { token: secret, body: { model, prompt: "Hello", maxTokens: 20 } }))
            .status,
          200
        )
        // Worst case above what is left of $0.001: refused before Bedrock.
        const refused = yield* call(`${url}/probe/generate`, {
          token: secret,
          body: { model, prompt: "Hello", maxTokens: 4096 }
        })
        assert.strictEqual(refused.status, 429)
        assert.strictEqual((yield* call(`${url}/health/ready`)).status, 200)

        const documents = yield* Effect.promise(async () => {
          for (let i = 0; i < 200; i++) {
            const found = container.output().split("\n").filter((line) => line.includes("\"_aws\""))
            if (found.length >= 3) return found.map((line) => JSON.parse(line) as Emf.Document)
            await new Promise((resolve) => setTimeout(resolve, 10))
          }
          return container.output().split("\n").filter((line) => line.includes("\"_aws\"")).map((l) =>
            JSON.parse(l) as Emf.Document
          )
        })
        for (const document of documents) assert.deepStrictEqual(violations(document), [], JSON.stringify(document))
        assert.deepStrictEqual(documents.map((document) => document["path"]), [
          "/admin/keys",
          "/probe/generate",
          "/probe/generate"
        ])
        const served = metricsOf(documents[1]!)
        assert.isAbove(served["OutputTokens"]!.value as number, 0)
        assert.isAbove(served["CostUsd"]!.value as number, 0)
        assert.isAbove(served["BudgetUsedPercent"]!.value as number, 0)
        assert.strictEqual(documents[1]!["KeyId"], key.id)
        const refusal = metricsOf(documents[2]!)
        assert.strictEqual(refusal["BudgetRefusals"]!.value, 1)
        assert.strictEqual(refusal["Errors4xx"]!.value, 1)
        assert.notInclude(container.output(), secret)
        assert.notInclude(container.output(), adminKey)
      }),
    { timeout: 120_000 }
  )
})
