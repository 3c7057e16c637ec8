/**
 * The lines of an OpenAI batch input file -> the library's batch records. Each line is
 * `{"custom_id","method":"POST","url":"/v1/chat/completions","body":{...}}`; its body is read exactly as
 * `/v1/chat/completions` reads one (the same schema and `ChatRequest.translate`), then narrowed to what a Bedrock
 * batch job of the Converse type takes (no tools, no streaming, no request metadata, no service tier). A refusal is
 * OpenAI's 400 naming the line (1-based) and the parameter inside it (`body.messages[0].content`).
 *
 * @since 0.1.0
 */
import type { BedrockClient, Message, ModelCatalog } from "bedrock-llm"
import type { BatchRecord, ConverseRecord } from "bedrock-llm/BatchInference"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { type PricedTarget, worstCaseMicroUsd } from "../../limits/Admission.js"
import * as ChatRequest from "../openai/ChatRequest.js"
import { decodeValue, invalid, type OpenAiFailure, unsupported } from "../openai/OpenAiError.js"
import { ChatCompletionRequest } from "../openai/OpenAiSchemas.js"

/**
 * The one endpoint batch lines may name.
 *
 * @since 0.1.0
 * @category constants
 */
export const chatEndpoint = "/v1/chat/completions"

/**
 * One line of an input file, before its body is read.
 *
 * @since 0.1.0
 * @category models
 */
export const RequestLine = Schema.Struct({
  custom_id: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(512)),
  method: Schema.Literal("POST"),
  url: Schema.Literal(chatEndpoint),
  body: Schema.Object
})

/**
 * A line read and translated.
 *
 * @since 0.1.0
 * @category models
 */
export interface ReadLine {
  readonly customId: string
  /** The model the body names (an alias or a catalog id). */
  readonly model: string
  readonly record: ConverseRecord
  /** Its worst-case cost at the batch price, in micro-USD. */
  readonly worstCaseMicroUsd: number
}

/**
 * What reading a line needs: the targets of a model the key may use (or the failure that refuses it), and the
 * translation's defaults.
 *
 * @since 0.1.0
 * @category models
 */
export interface LineContext {
  readonly targetsOf: (model: string) => Effect.Effect<ReadonlyArray<PricedTarget>, OpenAiFailure>
  readonly defaults: ChatRequest.Defaults
}

/** Tokens per image in the input bound: above what any catalogued model charges for one image. */
const imageTokenBound = 10_000
const textEncoder = new TextEncoder()

/**
 * An upper bound of a record's input tokens: the UTF-8 bytes of its text and JSON (no tokenizer makes a token of
 * less), a fixed bound per image, the whole context window when it holds documents or videos.
 *
 * @since 0.1.0
 * @category utils
 */
export const inputTokensBound = (record: ConverseRecord, info: ModelCatalog.ModelInfo): number => {
  let bytes = 0
  let unbounded = false
  const visit = (block: Message.ContentBlock | Message.ToolResultContent | Message.SystemContentBlock): void => {
    switch (block._tag) {
      case "Image":
        bytes += imageTokenBound
        return
      case "Document":
      case "Video":
        unbounded = true
        return
      case "ToolResult":
        for (const part of block.content) visit(part)
        return
      default:
        bytes += textEncoder.encode(JSON.stringify(block)).length
    }
  }
  for (const message of record.messages) for (const block of message.content) visit(block)
  for (const block of record.system ?? []) visit(block)
  return unbounded ? info.contextWindow : Math.min(info.contextWindow, bytes)
}

/** The OpenAI parameter of each override a batch record cannot carry. */
const overrideParams: Readonly<Record<string, string>> = {
  requestMetadata: "metadata",
  serviceTier: "service_tier"
}

const atLine = (line: number, failure: OpenAiFailure, prefix: string): OpenAiFailure => ({
  ...failure,
  param: failure.param === null
    ? prefix === "" ? null : prefix
    : prefix === ""
    ? failure.param
    : `${prefix}.${failure.param}`,
  message: `Line ${line} of the input file: ${failure.message}`
})

const refusedAt = (line: number, param: string, message: string): OpenAiFailure =>
  atLine(line, unsupported(param, message), "body")

/** The Converse-shaped record of a translated request, or what a batch job cannot take. */
const recordOf = (
  plan: ChatRequest.ChatPlan,
  maxTokens: number,
  line: number
): Either.Either<ConverseRecord, OpenAiFailure> => {
  const request: BedrockClient.BedrockClient.Request = plan.request
  if (plan.stream) return Either.left(refusedAt(line, "stream", "A batch request cannot stream."))
  if (request.toolConfig !== undefined) {
    return Either.left(
      refusedAt(
        line,
        plan.answerTool === undefined ? "tools" : "response_format",
        "Bedrock batch jobs of the Converse type do not support tool use (tools or a JSON response_format)."
      )
    )
  }
  const { additionalModelRequestFields, stopSequences, temperature, topP, ...rest } = request.model ?? {}
  const other = Object.keys(rest).find((name) => (rest as Record<string, unknown>)[name] !== undefined)
  if (other !== undefined) {
    const param = overrideParams[other] ?? other
    return Either.left(refusedAt(line, param, `'${param}' cannot be sent in a Bedrock batch job.`))
  }
  return Either.right({
    messages: request.messages,
    ...(request.system === undefined ? {} : { system: request.system }),
    maxTokens,
    ...(temperature === undefined ? {} : { temperature }),
    ...(topP === undefined ? {} : { topP }),
    ...(stopSequences === undefined ? {} : { stopSequences }),
    ...(additionalModelRequestFields === undefined
      ? {}
      : { additionalModelRequestFields: additionalModelRequestFields as Message.JsonObject })
  })
}

const decodeLine = decodeValue(RequestLine)
const decodeBody = decodeValue(ChatCompletionRequest)

/**
 * Reads one line (`line` is 1-based): its custom id, model and record, or OpenAI's 400 naming the line.
 *
 * @since 0.1.0
 * @category decoding
 */
export const readLine = (text: string, line: number, context: LineContext): Effect.Effect<ReadLine, OpenAiFailure> => {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return Effect.fail(atLine(line, invalid(null, "The line is not valid JSON.", "invalid_json"), ""))
  }
  return Effect.gen(function*() {
    const request = yield* Either.mapLeft(decodeLine(value), (failure) => atLine(line, failure, ""))
    const body = yield* Either.mapLeft(decodeBody(request.body), (failure) => atLine(line, failure, "body"))
    const targets = yield* Effect.mapError(context.targetsOf(body.model), (failure) => atLine(line, failure, "body"))
    const target = targets[0]!
    const discount = target.info.prices.batchDiscount
    if (discount === undefined) {
      return yield* Effect.fail(
        atLine(line, invalid("model", `The model ${body.model} has no batch inference on Bedrock.`), "body")
      )
    }
    const plan = yield* Either.mapLeft(
      ChatRequest.translate(body, [target.info], context.defaults),
      (failure) => atLine(line, failure, "body")
    )
    const maxTokens = plan.maxTokens ?? Math.min(context.defaults.defaultMaxTokens, target.info.maxOutputTokens)
    const record = yield* recordOf(plan, maxTokens, line)
    const onDemand = worstCaseMicroUsd([target], inputTokensBound(record, target.info), maxTokens)
    return {
      customId: request.custom_id,
      model: body.model,
      record,
      worstCaseMicroUsd: Math.ceil(onDemand * (1 - discount))
    }
  })
}

/**
 * A line's record under the record id the batch gives it: its position, since custom ids may hold characters Bedrock
 * refuses in a record id.
 *
 * @since 0.1.0
 * @category utils
 */
export const withRecordId = (record: ConverseRecord, index: number): BatchRecord => ({
  ...record,
  recordId: recordIdOf(index)
})

/**
 * The record id of the line at `index` (0-based).
 *
 * @since 0.1.0
 * @category utils
 */
export const recordIdOf = (index: number): string => `line${index}`

/**
 * The index of a record id made by `recordIdOf`, or `undefined`.
 *
 * @since 0.1.0
 * @category utils
 */
export const indexOfRecordId = (recordId: string): number | undefined => {
  const match = /^line(\d+)$/.exec(recordId)
  return match === null ? undefined : Number(match[1])
}
