/**
 * `npm run serve` on the local default serves the Batch API: the printed example (the openai client's files.create
 * and batches.create) runs as printed, and the batch ends on the emulator's timeline with an answer per request.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import OpenAI from "openai"
import { cleanEnv, serve, shell } from "../support/process.js"

/** Retrieves the batch until it has ended (the local timeline ends a small batch in a few seconds); bounded. */
const ended = (client: OpenAI, id: string) =>
  Effect.promise(async () => {
    for (let attempt = 0; attempt < 150; attempt++) {
      const batch = await client.batches.retrieve(id)
      if (!["validating", "in_progress", "finalizing"].includes(batch.status)) return batch
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    throw new Error(`batch ${id} did not end`)
  })

describe("npm run serve with no AWS configuration", () => {
  it.scopedLive(
    "serves the Batch API on the emulator: the printed example submits a batch that completes",
    () =>
      Effect.gen(function*() {
        const served = yield* serve("src/main.ts", cleanEnv())
        const printed = served.stdout().split("\n").find((line) => line.includes("c.batches.create"))
        assert.isDefined(printed, served.stdout())
        const submitted = yield* shell(printed!.trim(), cleanEnv())
        assert.strictEqual(submitted.code, 0, submitted.stderr)
        const [id, status] = submitted.stdout.trim().split(" ")
        assert.match(id!, /^batch_/)
        assert.strictEqual(status, "in_progress")

        const client = new OpenAI({ baseURL: `${served.url}/v1`, apiKey: served.userKey, maxRetries: 0 })
        const batch = yield* ended(client, id!)
        assert.strictEqual(batch.status, "completed")
        assert.deepStrictEqual(batch.request_counts, { total: 2, completed: 2, failed: 0 })
        const text = yield* Effect.promise(async () => (await client.files.content(batch.output_file_id!)).text())
        const lines = text.trim().split("\n").map((line) => JSON.parse(line))
        assert.deepStrictEqual(lines.map((line) => line.custom_id).sort(), ["a", "b"])
        for (const line of lines) assert.strictEqual(line.response.body.object, "chat.completion")

        served.child.kill("SIGTERM")
        assert.strictEqual(yield* Effect.promise(() => served.exited), 0)
      }),
    { timeout: 120_000 }
  )
})
