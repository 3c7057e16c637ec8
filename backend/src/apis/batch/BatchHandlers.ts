/**
 * The handlers of the Batch API group: each reads its own input (the multipart upload, the JSON body, so that every
 * refusal has OpenAI's shape) and calls `Batches`.
 *
 * @since 0.1.0
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Multipart from "@effect/platform/Multipart"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { Api } from "../../Api.js"
import * as RequestLog from "../../RequestLog.js"
import * as OpenAiError from "../openai/OpenAiError.js"
import { answer, authLayer } from "../openai/OpenAiHandlers.js"
import { Batches } from "./Batches.js"
import { CreateBatchRequest } from "./BatchSchemas.js"

const decodeCreate = OpenAiError.decodeBody(CreateBatchRequest)

/** The `purpose` field and the `file` part of an upload form. */
interface Form {
  readonly purpose?: string | undefined
  readonly file?: { readonly name: string; readonly content: Uint8Array } | undefined
}

const readUpload = (request: HttpServerRequest.HttpServerRequest) =>
  request.multipartStream.pipe(
    Stream.mapEffect((part): Effect.Effect<Form, Multipart.MultipartError> =>
      Multipart.isFile(part)
        ? Effect.map(part.contentEffect, (content) => ({ file: { name: part.name, content } }))
        : Effect.succeed(part.key === "purpose" ? { purpose: part.value } : {})
    ),
    Stream.runFold({} as Form, (form, part): Form => ({ ...form, ...part })),
    Effect.mapError(() =>
      OpenAiError.invalid(null, "The request is not a multipart form with a 'file' and a 'purpose'.", null)
    ),
    Effect.flatMap((form) =>
      form.file === undefined
        ? Effect.fail(OpenAiError.invalid("file", "Missing required parameter: 'file'.", "missing_required_parameter"))
        : form.purpose === undefined
        ? Effect.fail(
          OpenAiError.invalid("purpose", "Missing required parameter: 'purpose'.", "missing_required_parameter")
        )
        : Effect.succeed({ filename: form.file.name, purpose: form.purpose, content: form.file.content })
    )
  )

const json = (value: unknown) => HttpServerResponse.unsafeJson(value)

/** A query parameter as a number (`NaN` when it is not one, which the limit check refuses). */
const optionalNumber = (param: string | undefined) => param === undefined ? undefined : Number(param)

/**
 * The Batch API's handlers, with the OpenAI key middleware.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = HttpApiBuilder.group(Api, "openaiBatch", (handlers) =>
  Effect.gen(function*() {
    const batches = yield* Batches
    const logged = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      Effect.zipRight(RequestLog.annotate({ api: "openai" }), effect)
    return handlers
      .handleRaw("createFile", ({ request }) =>
        answer(logged(Effect.map(Effect.flatMap(readUpload(request), batches.createFile), json))))
      .handleRaw("listFiles", ({ urlParams }) =>
        answer(logged(Effect.map(
          batches.listFiles({ ...urlParams, limit: optionalNumber(urlParams.limit) }),
          json
        ))))
      .handleRaw("retrieveFile", ({ path }) =>
        answer(logged(Effect.map(batches.retrieveFile(path.id), json))))
      .handleRaw("deleteFile", ({ path }) => answer(logged(Effect.map(batches.deleteFile(path.id), json))))
      .handleRaw("fileContent", ({ path }) =>
        answer(logged(Effect.map(batches.fileContent(path.id), (content) =>
          HttpServerResponse.stream(Stream.orDie(content), { contentType: "application/jsonl" })))))
      .handleRaw("createBatch", ({ request }) =>
        answer(
          logged(
            Effect.map(
              Effect.flatMap(
                Effect.provideService(decodeCreate, HttpServerRequest.HttpServerRequest, request),
                batches.create
              ),
              json
            )
          )
        ))
      .handleRaw("listBatches", ({ urlParams }) =>
        answer(logged(Effect.map(
          batches.list({
            after: urlParams.after,
            limit: optionalNumber(urlParams.limit)
          }),
          json
        ))))
      .handleRaw("retrieveBatch", ({ path }) =>
        answer(logged(Effect.map(batches.retrieve(path.id), json))))
      .handleRaw("cancelBatch", ({ path }) =>
        answer(logged(Effect.map(batches.cancel(path.id), json))))
  })).pipe(Layer.provide(authLayer))
