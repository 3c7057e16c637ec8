/**
 * The OpenAI-compatible Batch API group: `POST /v1/files` (purpose `batch`), `GET /v1/files`, `GET /v1/files/{id}`,
 * `DELETE /v1/files/{id}`, `GET /v1/files/{id}/content`, `POST /v1/batches`, `GET /v1/batches`, `GET /v1/batches/{id}` and
 * `POST /v1/batches/{id}/cancel`, behind the OpenAI API's key check and answering in its error shape.
 *
 * @since 0.1.0
 */
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as OpenApi from "@effect/platform/OpenApi"
import * as Schema from "effect/Schema"
import { OpenAiAuth } from "../openai/OpenAiApi.js"
import {
  OpenAiBadRequest,
  OpenAiForbidden,
  OpenAiNotFound,
  OpenAiRateLimited,
  OpenAiUnavailable,
  OpenAiUpstream
} from "../openai/OpenAiError.js"
import { BatchList, BatchObject, CreateBatchRequest, FileDeleted, FileList, FileObject } from "./BatchSchemas.js"

const Id = Schema.Struct({ id: Schema.String })

/**
 * The Batch API group.
 *
 * @since 0.1.0
 * @category groups
 */
export class BatchGroup extends HttpApiGroup.make("openaiBatch")
  .add(
    HttpApiEndpoint.post("createFile", "/v1/files")
      .setPayload(HttpApiSchema.Multipart(Schema.Struct({ purpose: Schema.Literal("batch"), file: Schema.Unknown })))
      .addSuccess(FileObject)
      .addError(OpenAiBadRequest)
      .addError(OpenAiForbidden)
      .addError(OpenAiUnavailable)
      .annotate(
        OpenApi.Description,
        "Uploads a batch input file (JSONL of `/v1/chat/completions` requests); every line is checked on upload."
      )
  )
  .add(
    HttpApiEndpoint.get("listFiles", "/v1/files")
      .setUrlParams(Schema.Struct({
        after: Schema.optional(Schema.String),
        limit: Schema.optional(Schema.String),
        order: Schema.optional(Schema.String),
        purpose: Schema.optional(Schema.String)
      }))
      .addSuccess(FileList)
      .addError(OpenAiBadRequest)
      .annotate(OpenApi.Description, "The key's files (batch inputs and outputs), newest first unless `order=asc`.")
  )
  .add(HttpApiEndpoint.get("retrieveFile", "/v1/files/:id").setPath(Id).addSuccess(FileObject).addError(OpenAiNotFound))
  .add(
    HttpApiEndpoint.del("deleteFile", "/v1/files/:id")
      .setPath(Id)
      .addSuccess(FileDeleted)
      .addError(OpenAiBadRequest)
      .addError(OpenAiNotFound)
      .annotate(OpenApi.Description, "Deletes a file; the input of a batch that has not ended cannot be deleted.")
  )
  .add(
    HttpApiEndpoint.get("fileContent", "/v1/files/:id/content")
      .setPath(Id)
      .addSuccess(Schema.String.pipe(HttpApiSchema.withEncoding({ kind: "Text", contentType: "application/jsonl" })))
      .addError(OpenAiNotFound)
  )
  .add(
    HttpApiEndpoint.post("createBatch", "/v1/batches")
      .setPayload(CreateBatchRequest)
      .addSuccess(BatchObject)
      .addError(OpenAiBadRequest)
      .addError(OpenAiForbidden)
      .addError(OpenAiNotFound)
      .addError(OpenAiRateLimited)
      .addError(OpenAiUpstream)
      .addError(OpenAiUnavailable)
      .annotate(
        OpenApi.Description,
        "Submits an input file as Bedrock batch inference jobs; the key's budget reserves its worst case at the batch price."
      )
  )
  .add(
    HttpApiEndpoint.get("listBatches", "/v1/batches")
      .setUrlParams(Schema.Struct({ after: Schema.optional(Schema.String), limit: Schema.optional(Schema.String) }))
      .addSuccess(BatchList)
  )
  .add(
    HttpApiEndpoint.get("retrieveBatch", "/v1/batches/:id").setPath(Id).addSuccess(BatchObject).addError(OpenAiNotFound)
  )
  .add(
    HttpApiEndpoint.post("cancelBatch", "/v1/batches/:id/cancel")
      .setPath(Id)
      .addSuccess(BatchObject)
      .addError(OpenAiNotFound)
  )
  .middleware(OpenAiAuth)
  .annotate(OpenApi.Title, "OpenAI-compatible Batch API")
  .annotate(
    OpenApi.Description,
    "OpenAI's files and batches for `/v1/chat/completions`, run as Amazon Bedrock batch inference jobs at the batch price."
  )
{}
