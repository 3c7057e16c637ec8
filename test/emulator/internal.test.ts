import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Engine from "../../src/emulator/engine/index.js"
import { decodeFrame, eventFrame, padded, splitFrames } from "../../src/emulator/internal/eventStream.js"
import { makeRandomFaults, parseFaults, seededRandom } from "../../src/emulator/internal/faults.js"
import { makeScript } from "../../src/emulator/internal/scenario.js"
import { makeCore } from "../../src/emulator/internal/server.js"
import type { Exchange } from "../../src/emulator/internal/transport.js"
import { parseRoute } from "../../src/emulator/internal/wire.js"

const authorization = {
  "authorization":
    `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=${
      "b".repeat(64)
    }`,
  "x-amz-date": "20260101T000000Z"
}

/** An in-memory exchange whose writes report backpressure every `window` chunks until drained. */
const fakeExchange = (options: {
  readonly url: string
  readonly method?: string
  readonly body?: string
  readonly remoteAddress?: string
  readonly window?: number
}) => {
  const written: Array<Uint8Array> = []
  let status = 0
  let ended = false
  let inFlight = 0
  let maxInFlight = 0
  let release: (() => void) | undefined
  const exchange: Exchange = {
    httpVersion: "2",
    method: options.method ?? "POST",
    url: options.url,
    headers: authorization,
    remoteAddress: options.remoteAddress ?? "127.0.0.1",
    readBody: async () => Buffer.from(options.body ?? "{}"),
    head: (code) => {
      status = code
    },
    write: (chunk) => {
      written.push(chunk)
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      return inFlight < (options.window ?? Infinity)
    },
    drained: () =>
      new Promise((resolve) => {
        release = () => {
          inFlight = 0
          resolve()
        }
      }),
    end: (chunk) => {
      if (chunk !== undefined) written.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk)
      ended = true
    },
    reset: () => undefined,
    disconnect: async () => undefined,
    isClosed: () => ended,
    onClose: () => undefined
  }
  return {
    exchange,
    status: () => status,
    ended: () => ended,
    written,
    maxInFlight: () => maxInFlight,
    drain: () => release?.()
  }
}

const core = (scenario?: unknown) => {
  const script = scenario === undefined ? undefined : makeScript(scenario)
  return makeCore({
    engine: Engine,
    allowBearerToken: true,
    timeToFirstTokenMs: 0,
    tokensPerSecond: 0,
    padding: true,
    maxBodyBytes: 1 << 20,
    script: typeof script === "string" ? undefined : script
  })
}

const tick = Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))

describe("emulator internals", () => {
  it("routes decode percent-encoded model ids and reject everything else", () => {
    assert.deepStrictEqual(
      parseRoute("POST", "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.x/converse"),
      { operation: "Converse", resourceId: "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.x" }
    )
    assert.deepStrictEqual(parseRoute("POST", "/guardrail/gr1/version/DRAFT/apply"), {
      operation: "ApplyGuardrail",
      resourceId: "gr1",
      guardrailVersion: "DRAFT"
    })
    assert.strictEqual(parseRoute("GET", "/model/x/converse"), undefined)
    assert.strictEqual(parseRoute("POST", "/model/%E0%A4%A/converse"), undefined)
    assert.strictEqual(parseRoute("POST", "/model//invoke"), undefined)
  })

  it("fault specs parse, and bad ones say why", () => {
    const parsed = parseFaults("latency=20, stream-exception=3:ThrottlingException,bad-crc=1")
    assert.isTrue(parsed.ok)
    assert.deepStrictEqual(parsed.ok ? parsed.faults : [], [
      { _tag: "Latency", ms: 20 },
      { _tag: "StreamException", after: 3, exceptionType: "throttlingException" },
      { _tag: "BadCrc", after: 1 }
    ])
    assert.deepStrictEqual(parseFaults("stall=x"), { ok: false, message: `stall needs an event count: "stall=x"` })
    assert.isFalse(parseFaults("throttle=1").ok)
  })

  it("the seeded PRNG and fault draws are reproducible", () => {
    const a = seededRandom(9)
    const b = seededRandom(9)
    const draws = Array.from({ length: 50 }, () => a())
    assert.deepStrictEqual(draws, Array.from({ length: 50 }, () => b()))
    assert.isTrue(draws.every((x) => x >= 0 && x < 1))
    const faultsA = makeRandomFaults({ seed: 3, throttle: 0.5 })
    const faultsB = makeRandomFaults({ seed: 3, throttle: 0.5 })
    const kindsA = Array.from({ length: 40 }, () => faultsA().length)
    assert.deepStrictEqual(kindsA, Array.from({ length: 40 }, () => faultsB().length))
    const hits = kindsA.filter((n) => n > 0).length
    assert.isTrue(hits > 8 && hits < 32, `${hits} of 40`)
  })

  it("padding is a sorted-in \"p\" member and frames split back exactly", () => {
    const payload = padded({ contentBlockIndex: 0, delta: { text: "hi" } }, () => 0.5)
    assert.deepStrictEqual(Object.keys(payload), ["contentBlockIndex", "delta", "p"])
    assert.match(String(payload["p"]), /^[a-zA-Z0-9]+$/)
    const frames = [eventFrame("messageStart", { role: "assistant" }), eventFrame("metadata", payload)]
    const joined = Buffer.concat(frames)
    const split = splitFrames(joined)
    assert.strictEqual(split.length, 2)
    assert.deepStrictEqual(decodeFrame(split[1]!).payload, payload)
    assert.strictEqual(decodeFrame(split[0]!).headers[":event-type"], "messageStart")
  })

  it("scenarios are validated with a reason", () => {
    assert.match(String(makeScript({ turns: [{ nothing: true }] })), /turns\[0\]/)
    assert.match(String(makeScript({ turns: [{ text: "x", fault: "nope" }] })), /unknown emulator fault/)
    assert.match(String(makeScript({ onExhausted: "loop" })), /onExhausted/)
    const script = makeScript({ turns: [{ text: "one" }], onExhausted: "error" })
    assert.notStrictEqual(typeof script, "string")
    if (typeof script !== "string") {
      assert.strictEqual(script.next("m")?.constructor, Object)
      assert.strictEqual((script.next("m") as { type: string }).type, "ValidationException")
    }
  })

  it.effect("streams respect backpressure: nothing more is written until the peer drains", () =>
    Effect.gen(function*() {
      const turn = { text: Array.from({ length: 40 }, (_, i) => `word${i}`).join(" ") }
      const emulator = core({ turns: [turn] })
      const fake = fakeExchange({
        url: "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream",
        body: JSON.stringify({ messages: [{ role: "user", content: [{ text: "hi" }] }] }),
        window: 3
      })
      emulator.handle(fake.exchange)
      for (let i = 0; i < 20 && !fake.ended(); i++) {
        yield* tick
        assert.isAtMost(fake.maxInFlight(), 3)
        fake.drain()
      }
      assert.isTrue(fake.ended())
      assert.strictEqual(fake.status(), 200)
      assert.isAbove(fake.written.length, 3)
      const text = fake.written.map((bytes) => decodeFrame(bytes).payload as any)
        .map((payload) => payload.delta?.text ?? "").join("")
      assert.strictEqual(text, turn.text)
      emulator.shutdown()
    }))

  it.effect("control endpoints refuse non-loopback clients", () =>
    Effect.gen(function*() {
      const emulator = core()
      const remote = fakeExchange({ url: "/__emulator/stats", method: "GET", remoteAddress: "10.1.2.3" })
      emulator.handle(remote.exchange)
      yield* tick
      assert.strictEqual(remote.status(), 403)
      const local = fakeExchange({ url: "/__emulator/stats", method: "GET", remoteAddress: "::ffff:127.0.0.1" })
      emulator.handle(local.exchange)
      yield* tick
      assert.strictEqual(local.status(), 200)
    }))
})
