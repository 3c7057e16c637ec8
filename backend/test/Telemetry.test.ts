import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import * as ServiceConfig from "../src/ServiceConfig.js"
import * as Telemetry from "../src/Telemetry.js"
import { call, startService } from "./support/service.js"

const model = "anthropic.claude-3-haiku-20240307-v1:0"

/** An OTLP/HTTP collector on loopback that keeps every body it receives, by path. */
const collector = Effect.acquireRelease(
  Effect.async<
    { readonly url: string; readonly bodies: Array<{ path: string; body: string }>; readonly close: () => void }
  >(
    (resume) => {
      const bodies: Array<{ path: string; body: string }> = []
      const server = createServer((request, response) => {
        let body = ""
        request.on("data", (chunk) => (body += String(chunk)))
        request.on("end", () => {
          bodies.push({ path: request.url ?? "", body })
          response.writeHead(200, { "content-type": "application/json" }).end("{}")
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo
        resume(Effect.succeed({ url: `http://127.0.0.1:${port}`, bodies, close: () => server.close() }))
      })
    }
  ),
  (running) => Effect.sync(() => running.close())
)

describe("telemetry", () => {
  it.scopedLive("with OTEL_EXPORTER_OTLP_ENDPOINT, each request's server span and the library's spans under it are exported, without secrets", () =>
    Effect.gen(function*() {
      const otlp = yield* collector
      const settings = ServiceConfig.make({ otlpEndpoint: Option.some(otlp.url), serviceName: "gateway-under-test" })
      const service = yield* startService({
        settings: { otlpEndpoint: settings.otlpEndpoint },
        provide: Telemetry.layer(settings)
      })
      const key = yield* service.createKey()
      const answer = yield* call(`${service.url}/probe/generate`, {
        token: key.secret,
        body: { model, prompt: "Hi", maxTokens: 20 }
      })
      assert.strictEqual(answer.status, 200)
      const traces = yield* Effect.promise(async () => {
        for (let i = 0; i < 100; i++) {
          const found = otlp.bodies.filter((entry) => entry.path === "/v1/traces").map((entry) => entry.body).join("\n")
          if (found.includes("BedrockRuntime.Converse")) return found
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
        return otlp.bodies.map((entry) => entry.body).join("\n")
      })
      assert.include(traces, "gateway-under-test")
      assert.include(traces, "http.server POST")
      assert.include(traces, `chat ${model}`)
      assert.include(traces, "BedrockRuntime.Converse")
      assert.notInclude(traces, key.secret)
      assert.notInclude(traces, service.adminKey)
    }))
})
