/**
 * The Anthropic Messages-compatible group: `POST /v1/messages` (JSON or Server-Sent Events) and
 * `POST /v1/messages/count_tokens`, behind `AnthropicAuth`, which takes the gateway key from `x-api-key` (what the
 * Anthropic SDKs send) or from `Authorization: Bearer` (Claude Code's `ANTHROPIC_AUTH_TOKEN`) and refuses in
 * Anthropic's error shape. The bodies are read and checked by the handlers themselves (so that malformed JSON and
 * every schema failure get Anthropic's 400, never the framework's); the schemas here document them.
 *
 * @since 0.1.0
 */
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiMiddleware from "@effect/platform/HttpApiMiddleware"
import * as HttpApiSecurity from "@effect/platform/HttpApiSecurity"
import * as OpenApi from "@effect/platform/OpenApi"
import * as Schema from "effect/Schema"
import { CurrentKey } from "../../keys/Authentication.js"
import { BadRequest, Unauthorized, Unavailable } from "./AnthropicError.js"
import { CountTokensRequest, CountTokensResponse, MessageResponse, MessagesRequest } from "./AnthropicSchema.js"

/**
 * The group's security middleware: provides `CurrentKey`, refuses with Anthropic's 401 (or 529 when the key store
 * does not answer).
 *
 * @since 0.1.0
 * @category middleware
 */
export class AnthropicAuth extends HttpApiMiddleware.Tag<AnthropicAuth>()("AnthropicAuth", {
  failure: Schema.Union(Unauthorized, Unavailable),
  provides: CurrentKey,
  security: {
    apiKey: HttpApiSecurity.apiKey({ key: "x-api-key", in: "header" }).pipe(
      HttpApiSecurity.annotate(
        OpenApi.Description,
        "A gateway key in x-api-key, or as Authorization: Bearer <key> (Claude Code's ANTHROPIC_AUTH_TOKEN)."
      )
    )
  }
}) {}

/**
 * The group.
 *
 * @since 0.1.0
 * @category groups
 */
export class AnthropicGroup extends HttpApiGroup.make("anthropic")
  .add(
    HttpApiEndpoint.post("messages", "/v1/messages")
      .setPayload(MessagesRequest)
      .addSuccess(MessageResponse)
      .addError(BadRequest)
      .annotate(
        OpenApi.Description,
        "Anthropic Messages API. With `stream: true` the answer is text/event-stream with Anthropic's events. " +
          "Headers: anthropic-version (2023-06-01), anthropic-beta (accepted; see docs/BACKEND.md)."
      )
  )
  .add(
    HttpApiEndpoint.post("countTokens", "/v1/messages/count_tokens")
      .setPayload(CountTokensRequest)
      .addSuccess(CountTokensResponse)
      .addError(BadRequest)
      .annotate(OpenApi.Description, "Input tokens of a request (Bedrock's CountTokens where the model has it).")
  )
  .middleware(AnthropicAuth)
  .annotate(OpenApi.Title, "Anthropic Messages")
{}
