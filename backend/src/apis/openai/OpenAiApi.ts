/**
 * The OpenAI-compatible group: `POST /v1/chat/completions`, `POST /v1/embeddings`, `GET /v1/models` and
 * `GET /v1/models/{id}`, authenticated by a gateway key as a bearer token (`Authorization: Bearer sk-bllm-...`), with
 * OpenAI's error shape for every refusal, authentication included.
 *
 * @since 0.1.0
 */
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiMiddleware from "@effect/platform/HttpApiMiddleware"
import * as HttpApiSecurity from "@effect/platform/HttpApiSecurity"
import type * as HttpMethod from "@effect/platform/HttpMethod"
import * as OpenApi from "@effect/platform/OpenApi"
import * as Schema from "effect/Schema"
import { CurrentKey } from "../../keys/Authentication.js"
import {
  OpenAiBadRequest,
  OpenAiForbidden,
  OpenAiNotFound,
  OpenAiRateLimited,
  OpenAiTimeout,
  OpenAiTooLarge,
  OpenAiUnauthorized,
  OpenAiUnavailable,
  OpenAiUpstream
} from "./OpenAiError.js"
import {
  ChatCompletion,
  ChatCompletionRequest,
  EmbeddingRequest,
  EmbeddingResponse,
  Model,
  ModelList
} from "./OpenAiSchemas.js"

/**
 * The OpenAI API's key check: a gateway key as a bearer token; a refusal is OpenAI's 401 (`invalid_api_key`).
 *
 * @since 0.1.0
 * @category middleware
 */
export class OpenAiAuth extends HttpApiMiddleware.Tag<OpenAiAuth>()("OpenAiAuth", {
  failure: Schema.Union(OpenAiUnauthorized, OpenAiUnavailable),
  provides: CurrentKey,
  security: { bearer: HttpApiSecurity.bearer }
}) {}

/** The errors of an endpoint that calls Bedrock, for the OpenAPI document (handlers answer them as responses). */
const withCallErrors = <
  Name extends string,
  Method extends HttpMethod.HttpMethod,
  Path,
  UrlParams,
  Payload,
  Headers,
  Success,
  Error,
  R,
  RE
>(endpoint: HttpApiEndpoint.HttpApiEndpoint<Name, Method, Path, UrlParams, Payload, Headers, Success, Error, R, RE>) =>
  endpoint
    .addError(OpenAiBadRequest)
    .addError(OpenAiForbidden)
    .addError(OpenAiNotFound)
    .addError(OpenAiTooLarge)
    .addError(OpenAiRateLimited)
    .addError(OpenAiUpstream)
    .addError(OpenAiUnavailable)
    .addError(OpenAiTimeout)

/**
 * The OpenAI-compatible group.
 *
 * @since 0.1.0
 * @category groups
 */
export class OpenAiGroup extends HttpApiGroup.make("openai")
  .add(
    HttpApiEndpoint.post("createChatCompletion", "/v1/chat/completions")
      .setPayload(ChatCompletionRequest)
      .addSuccess(ChatCompletion)
      .pipe(withCallErrors)
      .annotate(
        OpenApi.Description,
        "A chat completion; with `stream: true` a `text/event-stream` of `chat.completion.chunk`s ending with `data: [DONE]`."
      )
  )
  .add(
    HttpApiEndpoint.post("createEmbedding", "/v1/embeddings")
      .setPayload(EmbeddingRequest)
      .addSuccess(EmbeddingResponse)
      .pipe(withCallErrors)
  )
  .add(HttpApiEndpoint.get("listModels", "/v1/models").addSuccess(ModelList).addError(OpenAiForbidden))
  .add(
    HttpApiEndpoint.get("retrieveModel", "/v1/models/:id")
      .setPath(Schema.Struct({ id: Schema.String }))
      .addSuccess(Model)
      .addError(OpenAiForbidden)
      .addError(OpenAiNotFound)
  )
  .middleware(OpenAiAuth)
  .annotate(OpenApi.Title, "OpenAI-compatible API")
  .annotate(
    OpenApi.Description,
    "Chat completions, embeddings and models in OpenAI's wire format, served by Amazon Bedrock through the gateway."
  )
{}
