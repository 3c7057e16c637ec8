/**
 * The handlers of the health group: `GET /health/live` answers while the process serves requests;
 * `GET /health/ready` answers 200 when every store answers within 3 s, 503 naming the ones that do not.
 *
 * @since 0.1.0
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as Effect from "effect/Effect"
import { Api } from "../../Api.js"
import { KeyStore } from "../../keys/KeyStore.js"
import { Counters } from "../../limits/Counters.js"
import { UsageStore } from "../../usage/UsageStore.js"
import { NotReady } from "./HealthApi.js"

/**
 * The health handlers.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = HttpApiBuilder.group(
  Api,
  "health",
  (handlers) =>
    handlers
      .handle("live", () => Effect.succeed({ status: "ok" as const }))
      .handle("ready", () =>
        Effect.gen(function*() {
          const checks = {
            keys: (yield* KeyStore).ping,
            limits: (yield* Counters).ping,
            usage: (yield* UsageStore).ping
          }
          const results = yield* Effect.all(
            Object.entries(checks).map(([name, ping]) =>
              Effect.map(Effect.either(Effect.timeout(ping, "3 seconds")), (result) => [name, result._tag] as const)
            ),
            { concurrency: "unbounded" }
          )
          const failing = results.filter(([, outcome]) => outcome === "Left").map(([name]) => name)
          return failing.length === 0
            ? { status: "ok" as const }
            : yield* new NotReady({ status: "unavailable", failing })
        }))
)
