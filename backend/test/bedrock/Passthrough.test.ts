import {
  AccessDeniedException,
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  CountTokensCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  ThrottlingException,
  ValidationException
} from "@aws-sdk/client-bedrock-runtime"
import { assert, describe, it } from "@effect/vitest"
import { NodeHttpHandler } from "@smithy/node-http-handler"
import * as Emulator from "bedrock-llm/emulator"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { startRecorder } from "../support/recorder.js"
import { frozenClock, middleOfAMinute, startService, type TestService } from "../support/service.js"
import { afterAbort } from "../support/sse.js"

const haiku = "anthropic.claude-3-haiku-20240307-v1:0"
const sonnet = "anthropic.claude-sonnet-4-20250514-v1:0"
const hello = [{ role: "user" as const, content: [{ text: "Hello" }] }]

/** The AWS SDK pointed at the gateway with a gateway key as its bearer token. */
const clientOf = (service: TestService, token: string) =>
  new BedrockRuntimeClient({
    endpoint: `${service.url}/bedrock`,
    region: "us-east-1",
    token: { token },
    authSchemePreference: ["httpBearerAuth"],
    // the gateway serves HTTP/1.1 on http:// (the SDK's default handler speaks HTTP/2 with prior knowledge)
    requestHandler: new NodeHttpHandler(),
    maxAttempts: 1
  })

const setup = Effect.gen(function*() {
  const emulator = yield* Emulator.make()
  const recorder = yield* startRecorder(emulator)
  // The calendar minute is pinned so that a key's RPM window holds for the whole test.
  const service = yield* startService({ sharedEmulator: recorder.emulator, clock: frozenClock(middleOfAMinute) })
  const key = yield* service.createKey()
  const client = clientOf(service, key.secret)
  yield* Effect.addFinalizer(() => Effect.sync(() => client.destroy()))
  const sent = () => recorder.requests.map((request) => request.body as Record<string, any>)
  return { service, key, client, sent, recorder }
})

const failure = <A>(run: () => Promise<A>) =>
  Effect.promise(() => run().then(() => assert.fail("expected the call to fail"), (error: unknown) => error))

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value))

describe("Bedrock passthrough through @aws-sdk/client-bedrock-runtime", () => {
  it.scoped("Converse: Bedrock's answer as it sent it, metered; a missing maxTokens is the admitted one", () =>
    Effect.gen(function*() {
      const { client, sent, service } = yield* setup
      const answer = yield* Effect.promise(() =>
        client.send(
          new ConverseCommand({
            modelId: haiku,
            messages: [{ role: "user", content: [{ text: "Reply with exactly: pong" }] }]
          })
        )
      )
      assert.deepStrictEqual(answer.output?.message?.content, [{ text: "pong" }])
      assert.strictEqual(answer.stopReason, "end_turn")
      assert.isAbove(answer.usage?.inputTokens ?? 0, 0)
      assert.match(answer.$metadata.requestId ?? "", /.+/)
      assert.deepStrictEqual(sent()[0]!["inferenceConfig"], { maxTokens: 4096 })
      const line = service.logs.find((log) => log.path?.endsWith("/converse"))!
      assert.strictEqual(line.api, "bedrock")
      assert.strictEqual(line.inputTokens, answer.usage?.inputTokens)
      assert.strictEqual(line.outputTokens, answer.usage?.outputTokens)
      assert.isAbove(line.costMicroUsd ?? 0, 0)
      assert.strictEqual(service.bedrockRequests(), 1)
    }))

  it.scoped("ConverseStream: frames forwarded as they arrive, the usage settled from the metadata event", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make({ tokensPerSecond: 200 })
      const service = yield* startService({ sharedEmulator: emulator })
      const key = yield* service.createKey()
      const client = clientOf(service, key.secret)
      const output = yield* Effect.promise(() =>
        client.send(
          new ConverseStreamCommand({
            modelId: haiku,
            messages: [{ role: "user", content: [{ text: "Write 40 words about rivers" }] }],
            inferenceConfig: { maxTokens: 300 }
          })
        )
      )
      const kinds: Array<string> = []
      let openWhenFirst = -1
      let text = ""
      let usage: { inputTokens?: number | undefined; outputTokens?: number | undefined } | undefined
      yield* Effect.promise(async () => {
        for await (const event of output.stream!) {
          if (openWhenFirst < 0) openWhenFirst = emulator.stats().activeStreams
          kinds.push(Object.keys(event)[0]!)
          text += event.contentBlockDelta?.delta?.text ?? ""
          usage = event.metadata?.usage ?? usage
        }
      })
      assert.strictEqual(openWhenFirst, 1, "the first event reached the client while Bedrock was still streaming")
      assert.strictEqual(kinds[0], "messageStart")
      assert.deepStrictEqual(kinds.slice(-2), ["messageStop", "metadata"])
      assert.isAbove(text.split(" ").length, 30)
      const line = service.logs.find((log) => log.path?.endsWith("/converse-stream"))!
      assert.strictEqual(line.outputTokens, usage?.outputTokens)
      assert.strictEqual(line.inputTokens, usage?.inputTokens)
      client.destroy()
    }))

  it.scoped("ConverseStream still running at the request's deadline: Bedrock is aborted, the SDK gets an exception", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make({ tokensPerSecond: 10 })
      const service = yield* startService({
        sharedEmulator: emulator,
        settings: { requestTimeout: Duration.millis(800) }
      })
      const key = yield* service.createKey()
      const client = clientOf(service, key.secret)
      yield* Effect.addFinalizer(() => Effect.sync(() => client.destroy()))
      const output = yield* Effect.promise(() =>
        client.send(
          new ConverseStreamCommand({
            modelId: haiku,
            messages: [{ role: "user", content: [{ text: "Write 200 words about rivers" }] }],
            inferenceConfig: { maxTokens: 500 }
          })
        )
      )
      const kinds: Array<string> = []
      const error = yield* Effect.promise(async () => {
        try {
          for await (const event of output.stream!) kinds.push(Object.keys(event)[0]!)
          return undefined
        } catch (error) {
          return error as Error
        }
      })
      assert.include(kinds, "contentBlockDelta")
      assert.notInclude(kinds, "metadata")
      assert.strictEqual(error?.name, "InternalServerException")
      assert.match(error!.message, /deadline/)
      for (let i = 0; i < 200 && emulator.stats().streamsAbortedByClient === 0; i++) {
        yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 10)))
      }
      assert.strictEqual(emulator.stats().streamsAbortedByClient, 1)
    }))

  it.scoped("InvokeModel and InvokeModelWithResponseStream with the native body; usage from headers and metrics", () =>
    Effect.gen(function*() {
      const { client, service } = yield* setup
      const native = {
        anthropic_version: "bedrock-2023-05-31",
        max_tokens: 100,
        messages: [{ role: "user", content: "Reply with exactly: native" }]
      }
      const invoked = yield* Effect.promise(() =>
        client.send(new InvokeModelCommand({ modelId: haiku, contentType: "application/json", body: json(native) }))
      )
      const body = JSON.parse(new TextDecoder().decode(invoked.body))
      assert.deepStrictEqual(body.content, [{ type: "text", text: "native" }])
      const invokeLine = service.logs.find((log) => log.path?.endsWith("/invoke"))!
      assert.strictEqual(invokeLine.inputTokens, body.usage.input_tokens)
      assert.strictEqual(invokeLine.outputTokens, body.usage.output_tokens)
      const streamed = yield* Effect.promise(() =>
        client.send(
          new InvokeModelWithResponseStreamCommand({
            modelId: haiku,
            contentType: "application/json",
            body: json(native)
          })
        )
      )
      const chunks: Array<any> = []
      yield* Effect.promise(async () => {
        for await (const event of streamed.body!) chunks.push(JSON.parse(new TextDecoder().decode(event.chunk!.bytes)))
      })
      assert.strictEqual(chunks[0].type, "message_start")
      const metrics = chunks[chunks.length - 1]["amazon-bedrock-invocationMetrics"]
      const streamLine = service.logs.find((log) => log.path?.endsWith("/invoke-with-response-stream"))!
      assert.strictEqual(streamLine.inputTokens, metrics.inputTokenCount)
      assert.strictEqual(streamLine.outputTokens, metrics.outputTokenCount)
    }))

  it.scoped("embeddings by InvokeModel, and CountTokens (not charged)", () =>
    Effect.gen(function*() {
      const { client, service } = yield* setup
      const embedded = yield* Effect.promise(() =>
        client.send(
          new InvokeModelCommand({
            modelId: "amazon.titan-embed-text-v2:0",
            contentType: "application/json",
            body: json({ inputText: "a river", dimensions: 256 })
          })
        )
      )
      assert.strictEqual(JSON.parse(new TextDecoder().decode(embedded.body)).embedding.length, 256)
      const counted = yield* Effect.promise(() =>
        client.send(new CountTokensCommand({ modelId: sonnet, input: { converse: { messages: hello } } }))
      )
      assert.isAbove(counted.inputTokens ?? 0, 0)
      const line = service.logs.find((log) => log.path?.endsWith("/count-tokens"))!
      assert.strictEqual(line.status, 200)
      assert.isUndefined(line.costMicroUsd)
    }))

  it.scoped("the key's guardrail replaces any the request names, on Converse and InvokeModel", () =>
    Effect.gen(function*() {
      const { sent, service } = yield* setup
      const guarded = yield* service.createKey({ guardrail: { identifier: "gr1", version: "1", trace: "enabled" } })
      const client = clientOf(service, guarded.secret)
      const answer = yield* Effect.promise(() =>
        client.send(
          new ConverseCommand({
            modelId: haiku,
            messages: [{ role: "user", content: [{ text: "Say BLOCKME please" }] }],
            guardrailConfig: { guardrailIdentifier: "other", guardrailVersion: "DRAFT" }
          })
        )
      )
      assert.strictEqual(answer.stopReason, "guardrail_intervened")
      assert.deepStrictEqual(sent()[0]!["guardrailConfig"], {
        guardrailIdentifier: "gr1",
        guardrailVersion: "1",
        trace: "enabled"
      })
      client.destroy()
    }))

  it.scoped("refusals are the SDK's typed errors, and none reaches Bedrock", () =>
    Effect.gen(function*() {
      const { client, service } = yield* setup
      const converse = (modelId = haiku, messages: Array<any> = hello) => new ConverseCommand({ modelId, messages })
      const badKey = yield* failure(() => clientOf(service, "sk-bllm-" + "B".repeat(43)).send(converse()))
      assert.instanceOf(badKey, AccessDeniedException)
      assert.strictEqual((badKey as AccessDeniedException).$metadata.httpStatusCode, 401)
      const noKey = yield* failure(() => clientOf(service, "not-a-key").send(converse()))
      assert.instanceOf(noKey, AccessDeniedException)
      const anthropicOnly = yield* service.createKey({ allowedApis: ["anthropic"] })
      const forbidden = yield* failure(() => clientOf(service, anthropicOnly.secret).send(converse()))
      assert.instanceOf(forbidden, AccessDeniedException)
      assert.strictEqual((forbidden as AccessDeniedException).$metadata.httpStatusCode, 403)
      const unknown = yield* failure(() => client.send(converse("vendor.no-such-model-v1")))
      assert.instanceOf(unknown, ResourceNotFoundException)
      const assistantFirst = yield* failure(() =>
        client.send(converse(haiku, [{ role: "assistant", content: [{ text: "Hi" }] }]))
      )
      assert.instanceOf(assistantFirst, ValidationException)
      assert.include((assistantFirst as Error).message, "first message must come from the user")
      const tooMany = yield* failure(() =>
        client.send(new ConverseCommand({ modelId: haiku, messages: hello, inferenceConfig: { maxTokens: 100_000 } }))
      )
      assert.instanceOf(tooMany, ValidationException)
      assert.include((tooMany as Error).message, "inferenceConfig.maxTokens")
      const nativeNoObject = yield* failure(() =>
        client.send(new InvokeModelCommand({ modelId: haiku, contentType: "application/json", body: json([1]) }))
      )
      assert.instanceOf(nativeNoObject, ValidationException)
      const limited = yield* service.createKey({ rpm: 1 })
      const limitedClient = clientOf(service, limited.secret)
      yield* Effect.promise(() =>
        limitedClient.send(new CountTokensCommand({ modelId: sonnet, input: { converse: { messages: hello } } }))
      )
      const before = service.bedrockRequests()
      yield* Effect.promise(() => limitedClient.send(converse()))
      const throttled = yield* failure(() => limitedClient.send(converse()))
      assert.instanceOf(throttled, ThrottlingException)
      const poor = yield* service.createKey({ monthlyBudgetMicroUsd: 1 })
      const budget = yield* failure(() => clientOf(service, poor.secret).send(converse()))
      assert.instanceOf(budget, ServiceQuotaExceededException)
      assert.strictEqual(service.bedrockRequests(), before + 1)
      assert.strictEqual(service.bedrockRequests(), 2)
    }))

  it.scoped("Bedrock's own errors pass through; throttling before the first byte falls back to the next target", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make()
      const service = yield* startService({
        sharedEmulator: emulator,
        settings: {
          modelAliases: { fast: [{ modelId: haiku }, { modelId: "anthropic.claude-3-5-haiku-20241022-v1:0" }] }
        }
      })
      const key = yield* service.createKey()
      const client = clientOf(service, key.secret)
      emulator.faults.enqueue("throttle")
      const answer = yield* Effect.promise(() => client.send(new ConverseCommand({ modelId: "fast", messages: hello })))
      assert.include(String(answer.output?.message?.content?.[0]?.text), "Claude 3.5 Haiku")
      emulator.faults.enqueue("validation")
      const refused = yield* failure(() => client.send(new ConverseCommand({ modelId: haiku, messages: hello })))
      assert.instanceOf(refused, ValidationException)
      client.destroy()
    }))

  it.scoped("a client that aborts mid-stream aborts the Bedrock request; what was written is still recorded", () =>
    Effect.gen(function*() {
      const { client, service } = yield* setup
      service.emulator.faults.enqueue("stall=5")
      const abort = new AbortController()
      const output = yield* Effect.promise(() =>
        client.send(
          new ConverseStreamCommand({
            modelId: haiku,
            messages: [{ role: "user", content: [{ text: "Write 50 words" }] }]
          }),
          { abortSignal: abort.signal }
        )
      )
      yield* Effect.promise(async () => {
        let seen = 0
        try {
          for await (const event of output.stream!) {
            if (event.contentBlockDelta !== undefined && ++seen === 2) {
              abort.abort()
              break
            }
          }
        } catch {
          // the abort ends the iteration
        }
      })
      const line = yield* Effect.promise(() => afterAbort(service, (path) => path.endsWith("/converse-stream")))
      assert.strictEqual(service.emulator.stats().streamsAbortedByClient, 1)
      assert.isDefined(line)
      assert.isAbove(line!.inputTokens ?? 0, 0)
      assert.isAbove(line!.outputTokens ?? 0, 0)
      assert.isAbove(line!.costMicroUsd ?? 0, 0)
    }))
})
