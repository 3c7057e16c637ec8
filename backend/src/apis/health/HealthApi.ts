/**
 * The health group: liveness and readiness. `GET /health/live` answers while the process serves requests; `GET /health/ready`
 * answers 200 when every store answers, 503 naming the ones that do not (a load balancer stops sending traffic).
 *
 * @since 0.1.0
 */
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as Schema from "effect/Schema"

/**
 * The body of a healthy answer.
 *
 * @since 0.1.0
 * @category models
 */
export const Healthy = Schema.Struct({ status: Schema.Literal("ok") })

/**
 * Some store does not answer (503).
 *
 * @since 0.1.0
 * @category errors
 */
export class NotReady extends Schema.TaggedError<NotReady>()("NotReady", {
  status: Schema.Literal("unavailable"),
  failing: Schema.Array(Schema.String)
}, HttpApiSchema.annotations({ status: 503 })) {}

/**
 * The health group.
 *
 * @since 0.1.0
 * @category groups
 */
export class HealthGroup extends HttpApiGroup.make("health")
  .add(HttpApiEndpoint.get("live", "/health/live").addSuccess(Healthy))
  .add(HttpApiEndpoint.get("ready", "/health/ready").addSuccess(Healthy).addError(NotReady))
{}
