import {
  AccessDeniedException,
  ConverseCommand,
  ConverseStreamCommand,
  InternalServerException,
  ModelErrorException,
  ModelNotReadyException,
  ModelStreamErrorException,
  ModelTimeoutException,
  ServiceQuotaExceededException,
  ServiceUnavailableException,
  ThrottlingException,
  ValidationException
} from "@aws-sdk/client-bedrock-runtime"
import { assert, describe, it, layer } from "@effect/vitest"
import { Effect } from "effect"
import { Emulator, start } from "../../src/emulator/Emulator.js"
import { eventually, hello, protocols, sdkClient, withFault } from "./helpers.js"

const replay = "test/fixtures/recordings"
const novaMicro = "us.amazon.nova-micro-v1:0"
const streamFrames = 12

const converse = () => new ConverseCommand({ modelId: novaMicro, messages: hello })
const converseStream = () => new ConverseStreamCommand({ modelId: novaMicro, messages: hello })

const errorFaults: ReadonlyArray<readonly [string, new(...args: Array<any>) => Error, number]> = [
  ["throttle", ThrottlingException, 429],
  ["model-not-ready", ModelNotReadyException, 429],
  ["internal", InternalServerException, 500],
  ["unavailable", ServiceUnavailableException, 503],
  ["timeout", ModelTimeoutException, 408],
  ["model-error", ModelErrorException, 424],
  ["quota", ServiceQuotaExceededException, 400],
  ["access-denied", AccessDeniedException, 403],
  ["validation", ValidationException, 400]
]

const streamExceptions: ReadonlyArray<readonly [string, new(...args: Array<any>) => Error]> = [
  ["", ModelStreamErrorException],
  [":throttlingException", ThrottlingException],
  [":internalServerException", InternalServerException],
  [":validationException", ValidationException],
  [":serviceUnavailableException", ServiceUnavailableException]
]

/** Reads a stream to its end or its error: how many events arrived, and the error if any. */
const drain = (stream: AsyncIterable<unknown> | undefined) =>
  Effect.promise(async () => {
    let events = 0
    try {
      for await (const _ of stream ?? []) events++
      return { events, error: undefined as unknown }
    } catch (error) {
      return { events, error }
    }
  })

for (const protocol of protocols) {
  layer(Emulator.layer({ replay }), { excludeTestServices: true })(`faults over ${protocol}`, (it) => {
    it.scoped("every error fault surfaces as the SDK's own exception class with the table status", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator
        const client = yield* sdkClient(emulator, protocol)
        for (const [fault, ExceptionClass, status] of errorFaults) {
          const error = yield* Effect.tryPromise(() => client.send(withFault(converse(), fault))).pipe(Effect.flip)
          const cause = (error as { cause: any }).cause
          const metadata = cause.$metadata
          assert.instanceOf(cause, ExceptionClass, fault)
          assert.strictEqual(metadata.httpStatusCode, status, fault)
          assert.match(metadata.requestId, /^[0-9a-f-]{36}$/)
        }
        const ok = yield* Effect.promise(() => client.send(converse()))
        assert.strictEqual(ok.stopReason, "end_turn")
      }))

    it.scoped("in-stream exceptions arrive after n events as the SDK's exception classes", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator
        const client = yield* sdkClient(emulator, protocol)
        for (const [suffix, ExceptionClass] of streamExceptions) {
          const response = yield* Effect.promise(() =>
            client.send(withFault(converseStream(), `stream-exception=3${suffix}`))
          )
          const result = yield* drain(response.stream)
          assert.strictEqual(result.events, 3, suffix)
          assert.instanceOf(result.error, ExceptionClass, suffix)
        }
        const clean = yield* Effect.promise(() => client.send(converseStream()))
        const all = yield* drain(clean.stream)
        assert.deepStrictEqual(all, { events: streamFrames, error: undefined })
      }))

    it.scoped("a truncated frame and a corrupted CRC fail the SDK's decoder after the good events", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator
        const client = yield* sdkClient(emulator, protocol)
        const truncated = yield* Effect.promise(() => client.send(withFault(converseStream(), "truncate=4")))
        const afterTruncate = yield* drain(truncated.stream)
        assert.strictEqual(afterTruncate.events, 4)
        assert.match(String(afterTruncate.error), /Truncated event message/)
        const corrupted = yield* Effect.promise(() => client.send(withFault(converseStream(), "bad-crc=2")))
        const afterCrc = yield* drain(corrupted.stream)
        assert.strictEqual(afterCrc.events, 2)
        assert.match(String(afterCrc.error), /checksum/)
      }))

    it.scoped("close, reset and end cut a stream at a frame boundary; the SDK alone cannot always tell", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator
        const client = yield* sdkClient(emulator, protocol)
        for (const fault of ["close", "reset", "end"]) {
          for (const after of [0, 3]) {
            const before = emulator.stats().faultsInjected[fault] ?? 0
            // Over HTTP/1.1 a connection cut before the first event fails `send` itself.
            const result = yield* Effect.tryPromise(() => client.send(withFault(converseStream(), `${fault}=${after}`)))
              .pipe(Effect.matchEffect({
                onFailure: (error) => Effect.succeed({ events: 0, error: error.cause }),
                onSuccess: (response) => drain(response.stream)
              }))
            assert.strictEqual(result.events, after, `${fault}=${after}`)
            assert.strictEqual(emulator.stats().faultsInjected[fault], before + 1)
            // The SDK's HTTP/2 handler ends the events quietly whichever way the connection went; over HTTP/1.1 a cut
            // connection is an error, a body ended early is not. `BedrockRuntime` checks for the final event.
            const quiet = protocol === "http2" || fault === "end"
            if (quiet) assert.isUndefined(result.error, `${fault}=${after}`)
            else assert.match(String((result.error as { code?: string }).code), /ECONNRESET/)
          }
        }
        const clean = yield* Effect.promise(() => client.send(converseStream()))
        assert.deepStrictEqual(yield* drain(clean.stream), { events: streamFrames, error: undefined })
        assert.throws(() => emulator.faults.enqueue("close"), /close needs an event count/)
      }))

    it.scoped("reset destroys the exchange before any response", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator
        const client = yield* sdkClient(emulator, protocol)
        const before = emulator.stats().faultsInjected["reset"] ?? 0
        const error = yield* Effect.tryPromise(() => client.send(withFault(converse(), "reset"))).pipe(Effect.flip)
        const cause = (error as { cause: any }).cause
        assert.strictEqual(cause.$metadata?.httpStatusCode, undefined)
        assert.strictEqual(emulator.stats().faultsInjected["reset"], before + 1)
        const ok = yield* Effect.promise(() => client.send(converse()))
        assert.strictEqual(ok.$metadata.httpStatusCode, 200)
      }))

    it.scoped("latency delays the answer", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator
        const client = yield* sdkClient(emulator, protocol)
        const started = Date.now()
        yield* Effect.promise(() => client.send(withFault(converse(), "latency=150")))
        assert.isAtLeast(Date.now() - started, 140)
      }))

    it.scoped("the fault plan fails the next requests, then the service answers again", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator
        const client = yield* sdkClient(emulator, protocol)
        emulator.faults.enqueue("throttle", "unavailable")
        assert.strictEqual(emulator.faults.pending(), 2)
        const first = yield* Effect.tryPromise(() => client.send(converse())).pipe(Effect.flip)
        const second = yield* Effect.tryPromise(() => client.send(converse())).pipe(Effect.flip)
        assert.instanceOf((first as { cause: unknown }).cause, ThrottlingException)
        assert.instanceOf((second as { cause: unknown }).cause, ServiceUnavailableException)
        const third = yield* Effect.promise(() => client.send(converse()))
        assert.strictEqual(third.stopReason, "end_turn")
        assert.throws(() => emulator.faults.enqueue("no-such-fault"), /unknown emulator fault/)
      }))

    it.scoped("a client abort of a stalled stream is seen and counted by the emulator", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator
        const client = yield* sdkClient(emulator, protocol)
        const before = emulator.stats().streamsAbortedByClient
        const controller = new AbortController()
        const response = yield* Effect.promise(() =>
          client.send(withFault(converseStream(), "stall=2"), { abortSignal: controller.signal })
        )
        const seen = yield* Effect.promise(async () => {
          let events = 0
          try {
            for await (const _ of response.stream ?? []) {
              if (++events === 2) controller.abort()
            }
          } catch {
            // the SDK may end or fail the iteration on abort; either is fine here
          }
          return events
        })
        assert.strictEqual(seen, 2)
        assert.isTrue(yield* eventually(() => emulator.stats().streamsAbortedByClient === before + 1))
        assert.isTrue(yield* eventually(() => emulator.stats().activeStreams === 0))
        assert.isAtLeast(emulator.stats().faultsInjected["stall"] ?? 0, 1)
      }))

    it.scoped("an unparseable fault header is a 400 ValidationException, not a crash", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator
        const client = yield* sdkClient(emulator, protocol)
        const error = yield* Effect.tryPromise(() => client.send(withFault(converse(), "latency=soon"))).pipe(
          Effect.flip
        )
        const cause = (error as { cause: any }).cause
        assert.instanceOf(cause, ValidationException)
        assert.match(cause.message, /latency needs milliseconds/)
      }))
  })
}

describe("configured faults and pacing", () => {
  it.live("seeded fault rates give the same outcome sequence for the same seed", () =>
    Effect.gen(function*() {
      const outcomes = (seed: number) =>
        Effect.scoped(Effect.gen(function*() {
          const emulator = yield* Effect.acquireRelease(
            Effect.promise(() => start({ replay, faults: { seed, throttle: 0.3, internal: 0.2 } })),
            (emulator) => Effect.promise(() => emulator.close())
          )
          const client = yield* sdkClient(emulator, "http2")
          const results: Array<string> = []
          for (let i = 0; i < 20; i++) {
            const result = yield* Effect.tryPromise(() => client.send(converse())).pipe(
              Effect.match({ onFailure: (error) => (error as { cause: Error }).cause.name, onSuccess: () => "ok" })
            )
            results.push(result)
          }
          return { results, stats: emulator.stats() }
        }))
      const first = yield* outcomes(42)
      const again = yield* outcomes(42)
      assert.deepStrictEqual(first.results, again.results)
      assert.include(first.results, "ok")
      assert.include(first.results, "ThrottlingException")
      assert.strictEqual(
        first.results.filter((result) => result === "ThrottlingException").length,
        first.stats.faultsInjected["throttle"] ?? 0
      )
    }))

  it.live("time to first token and tokens per second pace the stream", () =>
    Effect.scoped(Effect.gen(function*() {
      const emulator = yield* Effect.acquireRelease(
        Effect.promise(() => start({ replay, timeToFirstTokenMs: 80, tokensPerSecond: 200 })),
        (emulator) => Effect.promise(() => emulator.close())
      )
      const client = yield* sdkClient(emulator, "http2")
      const started = Date.now()
      const response = yield* Effect.promise(() => client.send(converseStream()))
      const arrivals = yield* Effect.promise(async () => {
        const times: Array<number> = []
        for await (const _ of response.stream ?? []) times.push(Date.now() - started)
        return times
      })
      assert.strictEqual(arrivals.length, streamFrames)
      assert.isAtLeast(arrivals[0]!, 75)
      assert.isAtLeast(arrivals[arrivals.length - 1]! - arrivals[0]!, (streamFrames - 1) * 5 - 10)
    })))
})
