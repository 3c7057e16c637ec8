import * as LanguageModel from "@effect/ai/LanguageModel"
import type * as AiResponse from "@effect/ai/Response"
import * as Tool from "@effect/ai/Tool"
import * as Toolkit from "@effect/ai/Toolkit"
import { assert, layer } from "@effect/vitest"
import { Chunk, Effect, Layer, Stream } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { BedrockLanguageModel } from "../../src/ai/index.js"
import { liveLayer } from "../support/live.js"

const directory = "test/fixtures/recordings"

interface Recording {
  readonly file: string
  readonly operation: string
  readonly modelId: string
  readonly response: { readonly status: number; readonly body?: any }
  readonly frames?: ReadonlyArray<{ readonly ":event-type": string; readonly payload: any }>
}

// Every recording, in the emulator's order (it serves the recordings of one operation and model in file order).
const recordings: ReadonlyArray<Recording> = fs.readdirSync(directory).filter((name) => name.endsWith(".json")).sort()
  .map((file) => ({ file, ...JSON.parse(fs.readFileSync(path.join(directory, file), "utf8")) }))
  .filter((recording) => recording.operation === "Converse" || recording.operation === "ConverseStream")

/** What the answer holds, read from the recorded body or frames (Bedrock's wire JSON). */
interface Expected {
  readonly text: string
  readonly signatures: ReadonlyArray<string>
  readonly redacted: ReadonlyArray<string>
  readonly toolCalls: ReadonlyArray<{ readonly id: string; readonly name: string; readonly input: unknown }>
  readonly stopReason: string
  readonly inputTokens: number
  readonly outputTokens: number
  readonly cacheRead: number | undefined
}

const fromBody = (body: any): Expected => {
  const content: Array<any> = body.output.message.content
  return {
    text: content.map((block) =>
      block.text ?? (block.citationsContent?.content ?? []).map((c: any) => c.text).join("") ?? ""
    ).join(""),
    signatures: content.flatMap((b) => b.reasoningContent?.reasoningText?.signature ?? []),
    redacted: content.flatMap((b) => b.reasoningContent?.redactedContent ?? []),
    toolCalls: content.flatMap((b) =>
      b.toolUse !== undefined && b.toolUse.type !== "server_tool_use"
        ? [{ id: b.toolUse.toolUseId, name: b.toolUse.name, input: b.toolUse.input }]
        : []
    ),
    stopReason: body.stopReason,
    inputTokens: body.usage.inputTokens,
    outputTokens: body.usage.outputTokens,
    cacheRead: body.usage.cacheReadInputTokens
  }
}

const fromFrames = (frames: NonNullable<Recording["frames"]>): Expected => {
  const tools = new Map<number, { id: string; name: string; input: string }>()
  let text = ""
  let signature = ""
  const redacted: Array<string> = []
  let stopReason = ""
  let usage: any = {}
  for (const { ":event-type": type, payload } of frames) {
    if (type === "contentBlockStart" && payload.start?.toolUse !== undefined) {
      const use = payload.start.toolUse
      if (use.type !== "server_tool_use") {
        tools.set(payload.contentBlockIndex, { id: use.toolUseId, name: use.name, input: "" })
      }
    } else if (type === "contentBlockDelta") {
      const delta = payload.delta
      if (typeof delta.text === "string") text += delta.text
      if (typeof delta.reasoningContent?.signature === "string") signature += delta.reasoningContent.signature
      if (typeof delta.reasoningContent?.redactedContent === "string") {
        redacted.push(delta.reasoningContent.redactedContent)
      }
      const tool = tools.get(payload.contentBlockIndex)
      if (tool !== undefined && typeof delta.toolUse?.input === "string") tool.input += delta.toolUse.input
    } else if (type === "messageStop") {
      stopReason = payload.stopReason
    } else if (type === "metadata") {
      usage = payload.usage
    }
  }
  return {
    text,
    signatures: signature === "" ? [] : [signature],
    redacted,
    toolCalls: [...tools.values()].map((tool) => ({
      id: tool.id,
      name: tool.name,
      input: tool.input === "" ? {} : JSON.parse(tool.input)
    })),
    stopReason,
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    cacheRead: usage.cacheReadInputTokens
  }
}

/**
 * A toolkit with the recording's tools (any parameters), so that `@effect/ai` decodes the tool calls; they are not
 * resolved (`disableToolCallResolution`), so no handler is needed (the casts below drop that requirement).
 */
const toolkitFor = (expected: Expected) =>
  Toolkit.make(
    ...[...new Set(expected.toolCalls.map((call) => call.name))].map((name) => Tool.make(name, { parameters: {} }))
  )

const Live = BedrockLanguageModel.layer().pipe(Layer.provideMerge(liveLayer({ emulator: { replay: directory } })))

const metadataOf = (part: AiResponse.AnyPart | undefined) =>
  (part?.metadata as { bedrockLlm?: { signature?: string; redactedData?: string } } | undefined)?.bedrockLlm

layer(Live, { excludeTestServices: true })("recorded Bedrock answers through @effect/ai", (it) => {
  it.effect("every recorded Converse and ConverseStream answer comes out as the parts it holds", () =>
    Effect.gen(function*() {
      assert.isAtLeast(recordings.length, 20)
      for (const recording of recordings) {
        const where = recording.file
        const streaming = recording.operation === "ConverseStream"
        const override = BedrockLanguageModel.withConfigOverride({ modelId: recording.modelId })
        if (recording.response.status !== 200) {
          const call = streaming
            ? Stream.runDrain(
              LanguageModel.streamText({ prompt: "Hello" }).pipe(
                BedrockLanguageModel.withConfigOverrideStream({ modelId: recording.modelId })
              )
            )
            : LanguageModel.generateText({ prompt: "Hello" }).pipe(override)
          const error = yield* Effect.flip(call)
          assert.strictEqual(error._tag, "HttpResponseError", where)
          assert.isTrue(
            error._tag === "HttpResponseError" && error.response.status === recording.response.status,
            where
          )
          continue
        }
        const expected = streaming ? fromFrames(recording.frames!) : fromBody(recording.response.body)
        const toolkit = expected.toolCalls.length > 0 ? toolkitFor(expected) : undefined
        const options = toolkit === undefined
          ? { prompt: "Hello" }
          : { prompt: "Hello", toolkit, disableToolCallResolution: true as const }
        const parts: ReadonlyArray<AiResponse.AnyPart> = streaming
          ? Chunk.toReadonlyArray(
            yield* Stream.runCollect(
              (LanguageModel.streamText(options) as Stream.Stream<
                AiResponse.AnyPart,
                unknown,
                LanguageModel.LanguageModel
              >)
                .pipe(BedrockLanguageModel.withConfigOverrideStream({ modelId: recording.modelId }))
            )
          )
          : (yield* (LanguageModel.generateText(options).pipe(override) as Effect.Effect<
            { readonly content: ReadonlyArray<AiResponse.AnyPart> },
            unknown,
            LanguageModel.LanguageModel
          >)).content

        const text = parts.map((p) => p.type === "text" ? p.text : p.type === "text-delta" ? p.delta : "").join("")
        assert.strictEqual(text, expected.text, `${where}: text`)
        const signatures = parts.flatMap((part) =>
          (part.type === "reasoning" || part.type === "reasoning-end") && metadataOf(part)?.signature !== undefined
            ? [metadataOf(part)!.signature!]
            : []
        )
        assert.deepStrictEqual(signatures, expected.signatures, `${where}: reasoning signatures`)
        const redacted = parts.flatMap((part) =>
          (part.type === "reasoning" || part.type === "reasoning-delta") && metadataOf(part)?.redactedData !== undefined
            ? [metadataOf(part)!.redactedData!]
            : []
        )
        assert.deepStrictEqual(redacted, expected.redacted, `${where}: redacted reasoning`)
        const calls = parts.flatMap((part) => part.type === "tool-call" ? [{ id: part.id, name: part.name }] : [])
        assert.deepStrictEqual(calls, expected.toolCalls.map(({ id, name }) => ({ id, name })), `${where}: tool calls`)
        if (streaming) {
          for (const call of expected.toolCalls) {
            const input = parts.map((p) => p.type === "tool-params-delta" && p.id === call.id ? p.delta : "").join("")
            assert.deepStrictEqual(input === "" ? {} : JSON.parse(input), call.input, `${where}: ${call.name} input`)
          }
        }
        const finish = parts.find((part): part is AiResponse.FinishPart => part.type === "finish")
        assert.strictEqual(finish?.metadata.bedrockLlm?.stopReason, expected.stopReason, `${where}: stop reason`)
        assert.strictEqual(finish?.usage.inputTokens, expected.inputTokens, `${where}: input tokens`)
        assert.strictEqual(finish?.usage.outputTokens, expected.outputTokens, `${where}: output tokens`)
        assert.strictEqual(finish?.usage.cachedInputTokens, expected.cacheRead, `${where}: cache read tokens`)
      }
    }))
})
