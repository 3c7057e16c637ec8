/**
 * The agents group: the deployer's agents (`GET /v1/agents`), their runs (`POST /v1/agents/{name}/runs`, the final
 * answer as JSON or the run's events as Server-Sent Events), and the key's conversations
 * (`GET /v1/conversations`, `GET` and `DELETE /v1/conversations/{id}`), behind `AgentsAuth` (the gateway key as a
 * bearer token).
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
import { AgentList, ConversationJson, ConversationList, RunRequest, RunResult } from "./AgentRun.js"
import { BadRequest, Unauthorized, Unavailable } from "./AgentsError.js"

/**
 * The group's security middleware.
 *
 * @since 0.1.0
 * @category middleware
 */
export class AgentsAuth extends HttpApiMiddleware.Tag<AgentsAuth>()("AgentsAuth", {
  failure: Schema.Union(Unauthorized, Unavailable),
  provides: CurrentKey,
  security: { bearer: HttpApiSecurity.bearer }
}) {}

const AgentPath = Schema.Struct({ name: Schema.String })
const ConversationPath = Schema.Struct({ id: Schema.String })

/**
 * The group.
 *
 * @since 0.1.0
 * @category groups
 */
export class AgentsGroup extends HttpApiGroup.make("agents")
  .add(HttpApiEndpoint.get("list", "/v1/agents").addSuccess(AgentList))
  .add(
    HttpApiEndpoint.post("run", "/v1/agents/:name/runs")
      .setPath(AgentPath)
      .setPayload(RunRequest)
      .addSuccess(RunResult)
      .addError(BadRequest)
      .annotate(
        OpenApi.Description,
        "Runs an agent on an input, continuing conversation_id when given. With stream: true the answer is " +
          "text/event-stream: run.started, step.started, text.delta, tool.call, tool.result, step.retry, " +
          "step.completed, run.completed (or error)."
      )
  )
  .add(HttpApiEndpoint.get("conversations", "/v1/conversations").addSuccess(ConversationList))
  .add(
    HttpApiEndpoint.get("conversation", "/v1/conversations/:id").setPath(ConversationPath).addSuccess(ConversationJson)
  )
  .add(
    HttpApiEndpoint.del("deleteConversation", "/v1/conversations/:id")
      .setPath(ConversationPath)
      .addSuccess(Schema.Struct({ id: Schema.String, deleted: Schema.Literal(true) }))
  )
  .middleware(AgentsAuth)
  .annotate(OpenApi.Title, "Agents and conversations")
{}
