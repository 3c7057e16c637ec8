import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fc from "fast-check"
import * as http2 from "node:http2"
import { Emulator } from "../../src/emulator/Emulator.js"

// Extends test/emulator/Emulator.test.ts ("malformed bodies are answered 400 ...", random bytes after "{" to
// InvokeModel over HTTP/1.1) to every operation, both protocols, and JSON that is well-formed but of the wrong shape.

const authorization = {
  "authorization":
    `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=${
      "a".repeat(64)
    }`,
  "x-amz-date": "20260101T000000Z"
}

const model = "anthropic.claude-3-haiku-20240307-v1%3A0"
const paths = [
  `/model/${model}/converse`,
  `/model/${model}/converse-stream`,
  `/model/${model}/invoke`,
  `/model/${model}/invoke-with-response-stream`,
  `/model/${model}/count-tokens`,
  "/guardrail/gr-1/version/DRAFT/apply"
]

const body: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 128 }),
  fc.jsonValue({ maxDepth: 4 }).map((value) => new TextEncoder().encode(JSON.stringify(value))),
  fc.record({
    messages: fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.array(fc.record({ role: fc.jsonValue({ maxDepth: 1 }), content: fc.jsonValue({ maxDepth: 3 }) }), {
        maxLength: 3
      })
    ),
    inferenceConfig: fc.jsonValue({ maxDepth: 2 }),
    toolConfig: fc.jsonValue({ maxDepth: 3 }),
    system: fc.jsonValue({ maxDepth: 2 }),
    input: fc.jsonValue({ maxDepth: 3 }),
    content: fc.jsonValue({ maxDepth: 3 }),
    source: fc.jsonValue({ maxDepth: 1 })
  }, { requiredKeys: [] }).map((value) => new TextEncoder().encode(JSON.stringify(value))),
  fc.string({ maxLength: 64 }).map((text) => new TextEncoder().encode(`{"messages": ${text}`))
)

const contentType = fc.constantFrom("application/json", "text/plain", "application/octet-stream", "")

interface Answer {
  readonly status: number
  readonly text: string
}

const overHttp1 = (url: string, path: string, bytes: Uint8Array, type: string): Promise<Answer> =>
  fetch(`${url}${path}`, {
    method: "POST",
    body: bytes,
    headers: { ...authorization, ...(type === "" ? {} : { "content-type": type }) }
  }).then(async (response) => ({ status: response.status, text: await response.text() }))

const overHttp2 = (session: http2.ClientHttp2Session, path: string, bytes: Uint8Array, type: string) =>
  new Promise<Answer>((resolve, reject) => {
    const request = session.request({
      ":method": "POST",
      ":path": path,
      ...authorization,
      ...(type === "" ? {} : { "content-type": type })
    })
    let status = 0
    const chunks: Array<Buffer> = []
    request.on("response", (headers) => {
      status = Number(headers[":status"])
    })
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => resolve({ status, text: Buffer.concat(chunks).toString("utf8") }))
    request.on("error", reject)
    request.end(Buffer.from(bytes))
  })

/** A 400 must say why in `message`; a 200 is a body that happened to be valid. Anything else is a failure. */
const acceptable = (answer: Answer): boolean => {
  if (answer.status === 200) return true
  if (answer.status !== 400) return false
  try {
    const json = JSON.parse(answer.text) as { readonly message?: unknown }
    return typeof json.message === "string" && json.message.length > 0
  } catch {
    return false
  }
}

describe("fuzz: random bodies to every emulator operation", () => {
  it.scopedLive(
    "answered 400 with a message (or 200 when valid), never a 5xx or a crash, over HTTP/1.1 and HTTP/2",
    () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator
        const session = yield* Effect.acquireRelease(
          Effect.sync(() => http2.connect(emulator.url)),
          (session) => Effect.sync(() => session.close())
        )
        const statuses: Record<string, number> = {}
        const bad: Array<string> = []
        const runs = 300
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(
              fc.constantFrom(...paths),
              body,
              contentType,
              fc.boolean(),
              async (path, bytes, type, h2) => {
                const answer = h2
                  ? await overHttp2(session, path, bytes, type)
                  : await overHttp1(emulator.url, path, bytes, type)
                statuses[answer.status] = (statuses[answer.status] ?? 0) + 1
                if (!acceptable(answer)) bad.push(`${path} ${answer.status} ${answer.text.slice(0, 200)}`)
                return acceptable(answer)
              }
            ),
            { seed: 77, numRuns: runs, endOnFailure: true }
          ).catch((error) => {
            bad.push(String(error).slice(0, 1000))
          })
        )
        console.log(`emulator body fuzz: ${runs} cases`, JSON.stringify(statuses))
        assert.deepStrictEqual(bad, [])
        assert.isAbove(statuses["400"] ?? 0, runs / 2)
        const alive = yield* Effect.promise(() => fetch(`${emulator.url}/__emulator/stats`))
        assert.strictEqual(alive.status, 200)
        assert.strictEqual(emulator.stats().responsesByStatus["500"] ?? 0, 0)
      }).pipe(Effect.provide(Emulator.layer())),
    60_000
  )
})
