import { assert, describe, it } from "@effect/vitest"
import { ModelCatalog } from "bedrock-llm"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import OpenAI from "openai"
import { clientOf, rejection } from "../openai/support.js"
import { call } from "../support/service.js"
import { batchModel, batchService, finishJobs, monthOf, requestLine, resultLines, submit, upload } from "./support.js"

const customIds = ["doc #1", "doc/2", "doc 3", "dóc-4", "doc.5", "doc_6"]

describe("the Batch API through the openai client", () => {
  it.scoped("runs a small batch: every custom_id answered once, billed at the batch price", () =>
    Effect.gen(function*() {
      const { client, key, service } = yield* batchService
      const file = yield* Effect.promise(() =>
        upload(client, customIds.map((id, i) => requestLine(id, `summarise document ${i}`)))
      )
      assert.strictEqual(file.purpose, "batch")
      assert.strictEqual(file.object, "file")
      const fetched = yield* Effect.promise(() => client.files.retrieve(file.id))
      assert.strictEqual(fetched.bytes, file.bytes)

      const batch = yield* Effect.promise(() => submit(client, file.id))
      assert.strictEqual(batch.status, "in_progress")
      assert.strictEqual(batch.input_file_id, file.id)
      assert.deepStrictEqual(batch.request_counts, { total: 6, completed: 0, failed: 0 })
      assert.deepStrictEqual(batch.metadata, { purpose: "test" })
      assert.strictEqual((yield* Effect.promise(() => client.batches.retrieve(batch.id))).status, "in_progress")

      yield* finishJobs(service)
      const done = yield* Effect.promise(() => client.batches.retrieve(batch.id))
      assert.strictEqual(done.status, "completed")
      assert.isNumber(done.completed_at)
      assert.isNumber(done.finalizing_at)
      assert.deepStrictEqual(done.request_counts, { total: 6, completed: 6, failed: 0 })
      assert.isNull(done.error_file_id)
      const lines = yield* resultLines(client, done.output_file_id!)
      assert.deepStrictEqual(lines.map((line) => line.custom_id).sort(), [...customIds].sort())
      for (const line of lines) {
        assert.isNull(line.error)
        assert.strictEqual(line.response?.status_code, 200)
        assert.strictEqual(line.response?.body.object, "chat.completion")
        assert.strictEqual(line.response?.body.model, batchModel)
        const index = customIds.indexOf(line.custom_id)
        assert.include(line.response?.body.choices[0].message.content, `document ${index}`, line.custom_id)
      }

      const listed = yield* Effect.promise(() => client.batches.list())
      assert.deepStrictEqual(listed.data.map((entry) => entry.id), [batch.id])

      // The usage is the tokens Bedrock reported, at half the on-demand price.
      const usage = yield* call(`${service.url}/admin/usage?keyId=${key.record.id}`, { token: service.adminKey })
      const row = usage.body.rows[0]
      assert.strictEqual(row.requests, 6)
      const input = lines.reduce((sum, line) => sum + line.response!.body.usage.prompt_tokens, 0)
      const output = lines.reduce((sum, line) => sum + line.response!.body.usage.completion_tokens, 0)
      assert.deepStrictEqual([row.inputTokens, row.outputTokens], [input, output])
      const info = Option.getOrThrow(ModelCatalog.resolve(batchModel))
      const onDemand = ModelCatalog.costOf(info, { inputTokens: input, outputTokens: output }, batchModel).total
      assert.closeTo(row.costUsd, onDemand / 2, 1e-6)
    }))

  it.scoped("a partially completed batch has an error file naming exactly the requests that got no answer", () =>
    Effect.gen(function*() {
      const { client, service } = yield* batchService
      const file = yield* Effect.promise(() => upload(client, customIds.map((id, i) => requestLine(id, `item ${i}`))))
      service.emulator.batch!.injectFault({ _tag: "PartiallyComplete", afterRecords: 4 })
      const batch = yield* Effect.promise(() => submit(client, file.id))
      yield* finishJobs(service)
      const done = yield* Effect.promise(() => client.batches.retrieve(batch.id))
      assert.strictEqual(done.status, "completed")
      assert.deepStrictEqual(done.request_counts, { total: 6, completed: 4, failed: 2 })
      const answered = (yield* resultLines(client, done.output_file_id!)).map((line) => line.custom_id)
      const errors = yield* resultLines(client, done.error_file_id!)
      assert.deepStrictEqual(errors.map((line) => line.custom_id).sort(), customIds.slice(4).sort())
      assert.deepStrictEqual([...answered, ...errors.map((line) => line.custom_id)].sort(), [...customIds].sort())
      for (const line of errors) {
        assert.isNull(line.response)
        assert.strictEqual(line.error?.code, "batch_failed")
      }
    }))

  it.scoped("cancel stops the jobs; the batch ends cancelled with every request in the error file", () =>
    Effect.gen(function*() {
      const { client, service } = yield* batchService
      const file = yield* Effect.promise(() => upload(client, customIds.map((id, i) => requestLine(id, `item ${i}`))))
      const batch = yield* Effect.promise(() => submit(client, file.id))
      const cancelling = yield* Effect.promise(() => client.batches.cancel(batch.id))
      assert.strictEqual(cancelling.status, "cancelling")
      assert.isNumber(cancelling.cancelling_at)
      yield* finishJobs(service)
      const done = yield* Effect.promise(() => client.batches.retrieve(batch.id))
      assert.strictEqual(done.status, "cancelled")
      assert.isNumber(done.cancelled_at)
      assert.isNull(done.output_file_id)
      const errors = yield* resultLines(client, done.error_file_id!)
      assert.deepStrictEqual(errors.map((line) => line.custom_id).sort(), [...customIds].sort())
      assert.isTrue(errors.every((line) => line.error?.code === "batch_cancelled"))
      const again = yield* Effect.promise(() => client.batches.cancel(batch.id))
      assert.strictEqual(again.status, "cancelled", "cancelling a cancelled batch answers it as it is")
    }))

  it.scoped("the budget reserves the batch's worst case at submission and settles what it cost", () =>
    Effect.gen(function*() {
      const { client, service } = yield* batchService
      const poor = yield* service.createKey({ monthlyBudgetMicroUsd: 1_000 })
      const poorClient = clientOf(service, poor.secret)
      const file = yield* Effect.promise(() =>
        upload(poorClient, customIds.map((id, i) => requestLine(id, `item ${i}`, { max_tokens: 4096 })))
      )
      const refused = yield* rejection(() => submit(poorClient, file.id))
      assert.instanceOf(refused, OpenAI.RateLimitError)
      assert.strictEqual((refused as InstanceType<typeof OpenAI.APIError>).code, "insufficient_quota")
      assert.strictEqual((yield* Effect.promise(() => poorClient.batches.list())).data.length, 0)
      assert.strictEqual((yield* monthOf(service, poor.record.id)).committedUsd, 0)

      const funded = yield* service.createKey({ monthlyBudgetMicroUsd: 1_000_000 })
      const fundedClient = clientOf(service, funded.secret)
      const input = yield* Effect.promise(() =>
        upload(fundedClient, customIds.map((id, i) => requestLine(id, `item ${i}`)))
      )
      const batch = yield* Effect.promise(() => submit(fundedClient, input.id))
      const reserved = yield* monthOf(service, funded.record.id)
      assert.isAbove(reserved.committedUsd, 0)
      assert.strictEqual(reserved.spentUsd, 0)
      yield* finishJobs(service)
      assert.strictEqual((yield* Effect.promise(() => fundedClient.batches.retrieve(batch.id))).status, "completed")
      const settled = yield* monthOf(service, funded.record.id)
      const usage = yield* call(`${service.url}/admin/usage?keyId=${funded.record.id}`, { token: service.adminKey })
      assert.isAbove(settled.spentUsd, 0)
      assert.isBelow(settled.spentUsd, reserved.committedUsd)
      assert.closeTo(settled.committedUsd, settled.spentUsd, 1e-9)
      assert.closeTo(settled.spentUsd, usage.body.totals.costUsd, 1e-6)
      void client
    }))

  it.scoped("another key's batches and files are not found", () =>
    Effect.gen(function*() {
      const { client, service } = yield* batchService
      const file = yield* Effect.promise(() => upload(client, customIds.map((id, i) => requestLine(id, `item ${i}`))))
      const batch = yield* Effect.promise(() => submit(client, file.id))
      const other = yield* service.createKey()
      const stranger = clientOf(service, other.secret)
      const attempts: ReadonlyArray<() => Promise<unknown>> = [
        () => stranger.batches.retrieve(batch.id),
        () => stranger.batches.cancel(batch.id),
        () => stranger.files.retrieve(file.id),
        () => stranger.files.content(file.id),
        () => submit(stranger, file.id)
      ]
      for (const attempt of attempts) {
        const refused = yield* rejection(attempt)
        assert.instanceOf(refused, OpenAI.NotFoundError)
      }
      assert.strictEqual((yield* Effect.promise(() => stranger.batches.list())).data.length, 0)
      assert.strictEqual((yield* Effect.promise(() => client.batches.retrieve(batch.id))).status, "in_progress")
    }))

  it.scoped("an input file with a bad line is refused, naming the line and the parameter", () =>
    Effect.gen(function*() {
      const { client, service } = yield* batchService
      const good = requestLine("a", "hello")
      const cases: ReadonlyArray<readonly [ReadonlyArray<unknown>, number, string | null, string]> = [
        [[good, "{not json"], 400, null, "Line 2 "],
        [[good, { ...requestLine("b", "x"), url: "/v1/embeddings" }], 400, "url", "Line 2 "],
        [[good, requestLine("b", "x", { messages: [] })], 400, "body.messages", "Line 2 "],
        [[good, requestLine("b", "x", { temperature: "hot" })], 400, "body.temperature", "Line 2 "],
        [[good, good], 400, "custom_id", "duplicate custom_id"],
        [[good, requestLine("b", "x", { model: "amazon.nova-lite-v1:0" })], 400, "body.model", "one model"],
        [
          [good, requestLine("b", "x", { tools: [{ type: "function", function: { name: "f" } }] })],
          400,
          "body.tools",
          "tool use"
        ],
        [[good, requestLine("b", "x", { stream: true })], 400, "body.stream", "stream"],
        [[good, requestLine("b", "x", { model: "no-such-model" })], 404, "body.model", "Line 2 "]
      ]
      for (const [lines, status, param, message] of cases) {
        const refused = yield* rejection(() => upload(client, lines))
        assert.instanceOf(refused, OpenAI.APIError)
        const error = refused as InstanceType<typeof OpenAI.APIError>
        assert.strictEqual(error.status, status, error.message)
        assert.strictEqual(error.param ?? null, param, error.message)
        assert.include(error.message, message)
      }
      const narrow = yield* service.createKey({ allowedModels: ["amazon.*"] })
      const refused = yield* rejection(() => upload(clientOf(service, narrow.secret), [good]))
      assert.instanceOf(refused, OpenAI.PermissionDeniedError)
      assert.include((refused as InstanceType<typeof OpenAI.APIError>).message, "Line 1 ")
    }))
})
