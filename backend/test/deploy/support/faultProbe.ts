/**
 * The probe API of the core's tests plus one endpoint whose body breaks after its first chunk (a defect, not an API
 * error event): what the Lambda handler must report in the response stream's trailers.
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { handlers } from "../../../src/Server.js"
import { ProbeApi, probeHandlers } from "../../support/probe.js"

class FaultGroup extends HttpApiGroup.make("fault")
  .add(HttpApiEndpoint.get("midStream", "/fault/mid-stream").addSuccess(Schema.Unknown))
{}

class FaultProbeApi extends ProbeApi.add(FaultGroup) {}

const faultHandlers = HttpApiBuilder.group(FaultProbeApi, "fault", (group) =>
  Effect.succeed(
    group.handleRaw("midStream", () =>
      Effect.succeed(
        HttpServerResponse.stream(
          Stream.concat(
            Stream.make(new TextEncoder().encode("data: first\n\n")),
            Stream.fromEffect(Effect.zipRight(Effect.sleep("50 millis"), Effect.die(new Error("the body broke"))))
          ),
          { contentType: "text/event-stream" }
        )
      ))
  ))

/** The API with the probe and fault groups, and every handler. */
export const faultProbeApi = HttpApiBuilder.api(FaultProbeApi).pipe(
  Layer.provide(Layer.mergeAll(handlers, probeHandlers, faultHandlers))
)
