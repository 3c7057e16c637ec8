import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { run } from "../../examples/openai-client.js"
import { startService } from "../support/service.js"
import { clientOf } from "./support.js"

describe("backend/examples/openai-client.ts", () => {
  it.scoped("runs every step against the service", () =>
    Effect.gen(function*() {
      const service = yield* startService()
      const { secret } = yield* service.createKey()
      const lines: Array<string> = []
      yield* Effect.promise(() => run(clientOf(service, secret), (line) => void lines.push(line)))
      const step = (prefix: string) => lines.find((line) => line.startsWith(prefix)) ?? ""
      assert.match(step("models:"), /^models: \d+, e\.g\. /)
      assert.isAbove(step("chat:").length, "chat: ".length)
      assert.match(step("stream usage:"), /^stream usage: \d+ completion tokens$/)
      assert.match(step("tool call:"), /^tool call: get_weather\(\{"location":"Paris"\}\)$/)
      assert.include(step("after the tool:"), "temperature")
      assert.match(step("structured:"), /^structured: \{"name":".*","population":\d+\}$/)
      assert.strictEqual(step("embeddings:"), "embeddings: 2 vectors of 256 dimensions")
      assert.match(step("refused:"), /^refused: 400 n: /)
    }))
})
