import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Layer, Redacted } from "effect"
import * as BedrockClient from "../src/BedrockClient.js"
import * as BedrockRuntime from "../src/BedrockRuntime.js"
import { ClientConfig, StaticCredentials } from "../src/Config.js"
import * as Emulator from "../src/emulator/Emulator.js"
import { fakeCredentials, haiku } from "./support/live.js"

describe("the shared HTTP/2 session (ConnectionConfig.multiplex, the default)", () => {
  it.live("concurrent unary calls over the shared session; a session the server drops is replaced by a new one", () =>
    Effect.gen(function*() {
      const first = yield* Effect.promise(() => Emulator.start())
      const config = new ClientConfig({
        region: "us-east-1",
        endpoint: first.url,
        credentials: new StaticCredentials({
          accessKeyId: fakeCredentials.accessKeyId,
          secretAccessKey: Redacted.make(fakeCredentials.secretAccessKey)
        })
      })
      assert.isTrue(config.connection.multiplex)
      const layer = BedrockClient.layer({ model: { modelId: haiku }, retry: { baseDelay: Duration.millis(10) } }).pipe(
        Layer.provide(BedrockRuntime.layer(config))
      )
      yield* Effect.gen(function*() {
        const client = yield* BedrockClient.BedrockClient
        yield* Effect.forEach([1, 2, 3, 4], (i) => client.generate(`hello ${i}`), { concurrency: 4 })
        assert.strictEqual(first.stats().requests, 4)
        // Four concurrent calls, one connection kept open: its client end and its server end, both in this process.
        const sockets = process.getActiveResourcesInfo().filter((name) => name === "TCPSocketWrap").length
        assert.strictEqual(sockets, 2)
        // The server goes away with the session open; a new one listens on the same port.
        yield* Effect.promise(() => first.close())
        const second = yield* Effect.acquireRelease(
          Effect.promise(() => Emulator.start({ port: first.port })),
          (emulator) => Effect.promise(() => emulator.close())
        )
        const response = yield* client.generate("hello again")
        assert.strictEqual(response.stopReason, "end_turn")
        assert.isAtLeast(second.stats().requests, 1)
      }).pipe(Effect.provide(layer), Effect.scoped)
    }))
})
