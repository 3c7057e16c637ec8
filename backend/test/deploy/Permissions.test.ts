/**
 * The IAM statements of the deployment (`backend/infra/src/Permissions.ts`) against what the service really calls:
 * every DynamoDB action of every store and every Bedrock operation, recorded while the service serves each kind of
 * request on dynalite and the emulator, must be exactly the declared ones.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb"
import { assert, describe, it } from "@effect/vitest"
import * as Emulator from "bedrock-llm/emulator"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { clientConfig } from "../../../test/support/dynamo.js"
import { bedrockActionOf, type Store, tableActions } from "../../infra/src/Permissions.js"
import { Dynamo } from "../../src/Dynamo.js"
import * as ApiKey from "../../src/keys/ApiKey.js"
import { layer as serviceLayer, Running } from "../../src/Server.js"
import * as ServiceConfig from "../../src/ServiceConfig.js"
import { dynaliteWithTables, tables } from "../support/dynalite.js"
import { probeApi } from "../support/probe.js"
import { call, runtimeOn } from "../support/service.js"

const model = "anthropic.claude-3-haiku-20240307-v1:0"
const storeOfTable: Record<string, Store> = {
  [tables.keysTable]: "keys",
  [tables.limitsTable]: "limits",
  [tables.usageTable]: "usage"
}

/** A DynamoDB client that records each command's table and can fail the next put of a key's id pointer. */
const recordingDynamo = (endpoint: string, used: Map<Store, Set<string>>, failNextPointerPut: { value: boolean }) =>
  Layer.map(Dynamo.layer(clientConfig(endpoint)), (context) => {
    const client = Context.get(context, Dynamo) as DynamoDBClient
    client.middlewareStack.add((next, handlerContext) => async (args) => {
      const input = args.input as { TableName?: string; Item?: { pk?: { S?: string } } }
      const store = storeOfTable[input.TableName ?? ""]
      if (store !== undefined) {
        used.get(store)!.add(`dynamodb:${(handlerContext.commandName ?? "").replace(/Command$/, "")}`)
      }
      if (failNextPointerPut.value && input.Item?.pk?.S?.startsWith("id#") === true) {
        failNextPointerPut.value = false
        throw Object.assign(new Error("injected failure of the id pointer's put"), { name: "InternalServerError" })
      }
      return next(args)
    }, { step: "initialize", name: "recordTable" })
    return context
  })

describe("the deployment's IAM statements", () => {
  it.scopedLive(
    "name exactly the DynamoDB actions each store uses and the Bedrock actions of every call",
    () =>
      Effect.gen(function*() {
        const operations = new Set<string>()
        const emulator = yield* Emulator.make({ onRequest: (entry) => void operations.add(entry.operation) })
        const endpoint = yield* dynaliteWithTables
        const used = new Map<Store, Set<string>>([["keys", new Set()], ["limits", new Set()], ["usage", new Set()]])
        const failNextPointerPut = { value: false }
        const admin = Redacted.value(yield* ApiKey.generate)
        const context = yield* Layer.build(serviceLayer({
          settings: ServiceConfig.make({
            adminKeyHash: Option.some(Redacted.make(ApiKey.hash(admin))),
            store: { _tag: "dynamodb", ...tables, endpoint }
          }),
          api: probeApi,
          bedrock: runtimeOn(emulator),
          dynamo: recordingDynamo(endpoint, used, failNextPointerPut),
          onLog: () => Effect.void
        }))
        const url = Context.get(context, Running).url
        const headers = { authorization: `Bearer ${admin}` }

        assert.strictEqual((yield* call(`${url}/health/ready`)).status, 200)
        const created = yield* call(`${url}/admin/keys`, {
          headers,
          body: {
            name: "all",
            allowedModels: ["*"],
            allowedApis: ["openai"],
            rpm: 100,
            tpm: 100_000,
            monthlyBudgetUsd: 5
          }
        })
        assert.strictEqual(created.status, 201)
        const { key, secret } = created.body as { key: { id: string }; secret: string }
        failNextPointerPut.value = true
        assert.strictEqual(
          (yield* call(`${url}/admin/keys`, {
            headers,
            body: { name: "x", allowedModels: ["*"], allowedApis: ["openai"] }
          }))
            .status,
          503
        )
        assert.strictEqual((yield* call(`${url}/admin/keys`, { headers })).status, 200)
        assert.strictEqual((yield* call(`${url}/admin/keys/${key.id}`, { headers })).status, 200)
        assert.strictEqual(
          (yield* call(`${url}/admin/keys/${key.id}`, { method: "PATCH", headers, body: { rpm: 200 } })).status,
          200
        )
        const body = { model, prompt: "Hello", maxTokens: 20 }
        assert.strictEqual((yield* call(`${url}/probe/generate`, { token: secret, body })).status, 200)
        const streamed = yield* call(`${url}/probe/stream`, { token: secret, body })
        assert.strictEqual(streamed.status, 200)
        assert.strictEqual((yield* call(`${url}/admin/usage?keyId=${key.id}`, { headers })).status, 200)
        assert.strictEqual((yield* call(`${url}/admin/usage`, { headers })).status, 200)
        assert.strictEqual((yield* call(`${url}/admin/keys/${key.id}/revoke`, { method: "POST", headers })).status, 200)

        for (const store of ["keys", "limits", "usage"] as const) {
          assert.deepStrictEqual([...used.get(store)!].sort(), [...tableActions[store]], `the ${store} table`)
        }
        const bedrockActions = new Set([...operations].map((operation) => bedrockActionOf[operation]))
        assert.deepStrictEqual([...bedrockActions].sort(), [
          "bedrock:InvokeModel",
          "bedrock:InvokeModelWithResponseStream"
        ])
      }),
    { timeout: 60_000 }
  )
})
