import {
  ApplyGuardrailCommand,
  ConverseCommand,
  ConverseStreamCommand,
  CountTokensCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ModelTimeoutException,
  ValidationException
} from "@aws-sdk/client-bedrock-runtime"
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { Emulator } from "../../src/emulator/Emulator.js"
import { hello, protocols, sdkClient, withFault } from "./helpers.js"

const haiku = "anthropic.claude-3-haiku-20240307-v1:0"
const sonnet4 = "anthropic.claude-sonnet-4-20250514-v1:0"
const claudeBody = JSON.stringify({
  anthropic_version: "bedrock-2023-05-31",
  max_tokens: 64,
  messages: [{ role: "user", content: "Hello there" }]
})

const collect = <A>(stream: AsyncIterable<A> | undefined) =>
  Effect.promise(async () => {
    const all: Array<A> = []
    for await (const item of stream ?? []) all.push(item)
    return all
  })

for (const protocol of protocols) {
  layer(Emulator.layer(), { excludeTestServices: true })(`operations over ${protocol}`, (it) => {
    it.scoped("Converse and ConverseStream give the same answer; the stream keeps Bedrock's event order", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator
        const client = yield* sdkClient(emulator, protocol)
        const answer = yield* Effect.promise(() =>
          client.send(new ConverseCommand({ modelId: haiku, messages: hello }))
        )
        assert.strictEqual(answer.output?.message?.role, "assistant")
        assert.strictEqual(answer.stopReason, "end_turn")
        const text = answer.output?.message?.content?.[0]?.text ?? ""
        assert.isNotEmpty(text)
        assert.strictEqual(
          answer.usage?.totalTokens,
          (answer.usage?.inputTokens ?? 0) + (answer.usage?.outputTokens ?? 0)
        )
        const response = yield* Effect.promise(() =>
          client.send(new ConverseStreamCommand({ modelId: haiku, messages: hello }))
        )
        const events = yield* collect(response.stream)
        const kinds = events.map((event) => Object.keys(event)[0])
        assert.strictEqual(kinds[0], "messageStart")
        assert.deepStrictEqual(kinds.slice(-3), ["contentBlockStop", "messageStop", "metadata"])
        assert.notInclude(kinds, "contentBlockStart")
        const streamed = events.map((event) => event.contentBlockDelta?.delta?.text ?? "").join("")
        assert.strictEqual(streamed, text)
        assert.deepStrictEqual(events[events.length - 1]?.metadata?.usage, answer.usage)
      }))

    it.scoped("a percent-encoded foundation-model ARN routes to the same model", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator
        const client = yield* sdkClient(emulator, protocol)
        const arn = `arn:aws:bedrock:us-east-1::foundation-model/${haiku}`
        const byArn = yield* Effect.promise(() => client.send(new ConverseCommand({ modelId: arn, messages: hello })))
        const byId = yield* Effect.promise(() => client.send(new ConverseCommand({ modelId: haiku, messages: hello })))
        assert.deepStrictEqual(byArn.output, byId.output)
      }))

    it.scoped("InvokeModel and InvokeModelWithResponseStream speak the model's native body", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator
        const client = yield* sdkClient(emulator, protocol)
        const invoked = yield* Effect.promise(() =>
          client.send(new InvokeModelCommand({ modelId: haiku, body: claudeBody, contentType: "application/json" }))
        )
        assert.strictEqual(invoked.contentType, "application/json")
        const body = JSON.parse(Buffer.from(invoked.body).toString("utf8"))
        assert.strictEqual(body.type, "message")
        assert.strictEqual(body.role, "assistant")
        const streamed = yield* Effect.promise(() =>
          client.send(new InvokeModelWithResponseStreamCommand({ modelId: haiku, body: claudeBody }))
        )
        const chunks = (yield* collect(streamed.body)).map((event) =>
          JSON.parse(Buffer.from(event.chunk!.bytes!).toString("utf8"))
        )
        assert.strictEqual(chunks[0].type, "message_start")
        assert.isObject(chunks[chunks.length - 1]["amazon-bedrock-invocationMetrics"])
        const text = chunks.filter((chunk) => chunk.type === "content_block_delta").map((chunk) => chunk.delta.text)
          .join("")
        assert.strictEqual(text, body.content[0].text)
        const raw = yield* Effect.promise(() =>
          fetch(`${emulator.url}/model/${encodeURIComponent(haiku)}/invoke`, {
            method: "POST",
            body: claudeBody,
            headers: { "authorization": "Bearer ABSKexample", "content-type": "application/json" }
          })
        )
        assert.strictEqual(raw.status, 200)
        assert.strictEqual(raw.headers.get("x-amzn-bedrock-input-token-count"), String(body.usage.input_tokens))
        assert.strictEqual(raw.headers.get("x-amzn-bedrock-output-token-count"), String(body.usage.output_tokens))
        assert.match(raw.headers.get("x-amzn-bedrock-invocation-latency") ?? "", /^\d+$/)
      }))

    it.scoped("CountTokens agrees with Converse usage; ApplyGuardrail answers", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator
        const client = yield* sdkClient(emulator, protocol)
        const counted = yield* Effect.promise(() =>
          client.send(new CountTokensCommand({ modelId: sonnet4, input: { converse: { messages: hello } } }))
        )
        const answer = yield* Effect.promise(() =>
          client.send(new ConverseCommand({ modelId: sonnet4, messages: hello }))
        )
        assert.strictEqual(counted.inputTokens, answer.usage?.inputTokens)
        const guarded = yield* Effect.promise(() =>
          client.send(
            new ApplyGuardrailCommand({
              guardrailIdentifier: "gr123abc",
              guardrailVersion: "1",
              source: "INPUT",
              content: [{ text: { text: "Hello there" } }]
            })
          )
        )
        assert.include(["NONE", "GUARDRAIL_INTERVENED"], guarded.action)
      }))

    it.scoped("the engine's validation errors reach the SDK as ValidationException", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator
        const client = yield* sdkClient(emulator, protocol)
        const wrongOrder = yield* Effect.tryPromise(() =>
          client.send(
            new ConverseCommand({ modelId: haiku, messages: [{ role: "assistant", content: [{ text: "Hi" }] }] })
          )
        ).pipe(Effect.flip)
        assert.instanceOf((wrongOrder as { cause: unknown }).cause, ValidationException)
        const unknownModel = yield* Effect.tryPromise(() =>
          client.send(new ConverseCommand({ modelId: "acme.unknown-model-v1:0", messages: hello }))
        ).pipe(Effect.flip)
        const cause = (unknownModel as { cause: any }).cause
        assert.strictEqual(cause.$metadata.httpStatusCode, 400)
        assert.strictEqual(cause.message, "The provided model identifier is invalid.")
      }))

    it.scoped("in-stream faults apply to model-generated streams (InvokeModelWithResponseStream timeout)", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator
        const client = yield* sdkClient(emulator, protocol)
        const response = yield* Effect.promise(() =>
          client.send(
            withFault(
              new InvokeModelWithResponseStreamCommand({ modelId: haiku, body: claudeBody }),
              "stream-exception=2:ModelTimeoutException"
            )
          )
        )
        const outcome = yield* Effect.promise(async () => {
          let events = 0
          try {
            for await (const _ of response.body ?? []) events++
            return { events, error: undefined as unknown }
          } catch (error) {
            return { events, error }
          }
        })
        assert.strictEqual(outcome.events, 2)
        assert.instanceOf(outcome.error, ModelTimeoutException)
      }))
  })
}
