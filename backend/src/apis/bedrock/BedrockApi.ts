/**
 * The Bedrock-native passthrough group: Bedrock Runtime's REST API under `/bedrock`, so that
 * `@aws-sdk/client-bedrock-runtime` itself points at the gateway (`endpoint: "<gateway>/bedrock"`) with a gateway key
 * as its bearer token (`token: { token: key }` and `authSchemePreference: ["httpBearerAuth"]`, or
 * `AWS_BEARER_TOKEN_BEDROCK`). Behind `BedrockAuth`, which refuses with Bedrock's error shape.
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
import { ConverseRequest, CountTokensRequest } from "./PassthroughBody.js"
import { Unauthorized, Unavailable, ValidationException } from "./PassthroughError.js"

/**
 * The group's security middleware: the gateway key as the bearer token.
 *
 * @since 0.1.0
 * @category middleware
 */
export class BedrockAuth extends HttpApiMiddleware.Tag<BedrockAuth>()("BedrockAuth", {
  failure: Schema.Union(Unauthorized, Unavailable),
  provides: CurrentKey,
  security: { bearer: HttpApiSecurity.bearer }
}) {}

const ModelPath = Schema.Struct({ modelId: Schema.String })

const endpoint = <const Name extends string, const Path extends `/${string}`>(
  name: Name,
  path: Path,
  description: string
) =>
  HttpApiEndpoint.post(name, path)
    .setPath(ModelPath)
    .addError(ValidationException)
    .annotate(OpenApi.Description, description)

/**
 * The group.
 *
 * @since 0.1.0
 * @category groups
 */
export class BedrockGroup extends HttpApiGroup.make("bedrock")
  .add(
    endpoint("converse", "/bedrock/model/:modelId/converse", "Bedrock Converse; answered as Bedrock answered.")
      .setPayload(ConverseRequest)
      .addSuccess(Schema.Unknown)
  )
  .add(
    endpoint(
      "converseStream",
      "/bedrock/model/:modelId/converse-stream",
      "Bedrock ConverseStream: application/vnd.amazon.eventstream frames forwarded as they arrive."
    ).setPayload(ConverseRequest).addSuccess(Schema.Unknown)
  )
  .add(
    endpoint("invoke", "/bedrock/model/:modelId/invoke", "Bedrock InvokeModel with the model's native JSON body.")
      .setPayload(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
      .addSuccess(Schema.Unknown)
  )
  .add(
    endpoint(
      "invokeStream",
      "/bedrock/model/:modelId/invoke-with-response-stream",
      "Bedrock InvokeModelWithResponseStream: event-stream chunk frames forwarded as they arrive."
    ).setPayload(Schema.Record({ key: Schema.String, value: Schema.Unknown })).addSuccess(Schema.Unknown)
  )
  .add(
    endpoint("countTokens", "/bedrock/model/:modelId/count-tokens", "Bedrock CountTokens (not charged).")
      .setPayload(CountTokensRequest)
      .addSuccess(Schema.Struct({ inputTokens: Schema.Int }))
  )
  .middleware(BedrockAuth)
  .annotate(OpenApi.Title, "Bedrock Runtime passthrough")
{}
