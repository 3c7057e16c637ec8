import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer, Redacted, TestClock } from "effect"
import * as Fs from "node:fs"
import * as Http2 from "node:http2"
import * as Net from "node:net"
import * as Tls from "node:tls"
import * as BedrockClient from "../src/BedrockClient.js"
import type * as BedrockError from "../src/BedrockError.js"
import * as BedrockRuntime from "../src/BedrockRuntime.js"
import { ClientConfig, ConnectionConfig, type HttpProtocol, StaticCredentials } from "../src/Config.js"
import * as EmbeddingsClient from "../src/EmbeddingsClient.js"
import { Emulator } from "../src/emulator/Emulator.js"
import { http2ConnectOptions } from "../src/internal/transport/connectTimeout.js"
import { captureLogs } from "./support/env.js"
import { haiku, liveLayer } from "./support/live.js"

/** A loopback TCP server that accepts every connection and never sends a byte; counts what it accepted. */
const silentServer = Effect.acquireRelease(
  Effect.async<{ readonly server: Net.Server; readonly sockets: Set<Net.Socket>; readonly accepted: () => number }>(
    (resume) => {
      const sockets = new Set<Net.Socket>()
      let accepted = 0
      const server = Net.createServer((socket) => {
        accepted++
        sockets.add(socket)
        socket.on("error", () => {}).on("close", () => sockets.delete(socket))
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed({ server, sockets, accepted: () => accepted })))
    }
  ),
  ({ server, sockets }) =>
    Effect.async<void>((resume) => {
      for (const socket of sockets) socket.destroy()
      server.close(() => resume(Effect.void))
    })
).pipe(Effect.map((silent) => ({ ...silent, port: (silent.server.address() as Net.AddressInfo).port })))

const credentials = new StaticCredentials({ accessKeyId: "AKIAFAKEFAKEFAKE0000", secretAccessKey: Redacted.make("x") })

const runtimeAt = (endpoint: string, protocol: HttpProtocol, connectTimeout: Duration.DurationInput) =>
  BedrockRuntime.layer(
    new ClientConfig({
      region: "us-east-1",
      endpoint,
      credentials,
      requestTimeout: Duration.millis(1_500),
      connection: new ConnectionConfig({ protocol, connectTimeout: Duration.decode(connectTimeout) })
    })
  )

const converseAt = (endpoint: string, protocol: HttpProtocol, connectTimeout: Duration.DurationInput = "150 millis") =>
  Effect.flatMap(
    BedrockRuntime.BedrockRuntime,
    (runtime) => runtime.converse({ modelId: haiku, messages: [{ role: "user", content: [{ text: "Hello" }] }] })
  ).pipe(
    Effect.provide(runtimeAt(endpoint, protocol, connectTimeout))
  )

const timeoutOf = (error: BedrockError.BedrockError) => {
  assert.strictEqual(error._tag, "RequestTimeoutError", error.message)
  return error as BedrockError.RequestTimeoutError
}

describe("the connect timeout (real sockets on loopback, a short configured timeout)", () => {
  it.scoped("HTTP/2: a server that accepts TCP but never sends its SETTINGS: a connect timeout", () =>
    Effect.gen(function*() {
      const silent = yield* silentServer
      const error = timeoutOf(yield* Effect.flip(converseAt(`http://127.0.0.1:${silent.port}`, "http2")))
      assert.strictEqual(error.kind, "connect")
      assert.strictEqual(error.timeoutMs, 150)
      assert.isTrue(error.retryable)
      assert.include(error.message, `no connection to 127.0.0.1:${silent.port} within 150 ms`)
      assert.include(error.message, "sent no HTTP/2 SETTINGS")
    }))

  it.scoped("https: a server that never completes the TLS handshake: a connect timeout (HTTP/2, 1.1)", () =>
    Effect.gen(function*() {
      const silent = yield* silentServer
      for (const protocol of ["http2", "http1.1"] as const) {
        const error = timeoutOf(yield* Effect.flip(converseAt(`https://127.0.0.1:${silent.port}`, protocol)))
        assert.strictEqual(error.kind, "connect", protocol)
        assert.include(error.message, "the TLS handshake did not complete", protocol)
      }
    }))

  it.scoped("HTTP/1.1 without TLS: a connection is made once TCP is; a silent server is the request timeout's", () =>
    Effect.gen(function*() {
      const silent = yield* silentServer
      const fiber = yield* Effect.fork(Effect.flip(converseAt(`http://127.0.0.1:${silent.port}`, "http1.1")))
      // Real time past the connect timeout: the connection stands (the request timeout runs on the TestClock).
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 400)))
      assert.strictEqual(silent.accepted(), 1)
      assert.isNull(fiber.unsafePoll())
      yield* TestClock.adjust("1500 millis")
      const error = timeoutOf(yield* Fiber.join(fiber))
      assert.strictEqual(error.kind, "request")
      assert.strictEqual(error.timeoutMs, 1_500)
    }))

  it.scoped("a healthy server is unaffected, also once a kept-alive connection is older than the timeout", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      for (const protocol of ["http2", "http1.1"] as const) {
        yield* Effect.gen(function*() {
          const runtime = yield* BedrockRuntime.BedrockRuntime
          const call = runtime.converse({ modelId: haiku, messages: [{ role: "user", content: [{ text: "Hi" }] }] })
          yield* call
          yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 400)))
          const again = yield* call
          assert.strictEqual(again.output?.message?.role, "assistant", protocol)
        }).pipe(Effect.provide(runtimeAt(emulator.url, protocol, "300 millis")))
      }
    }).pipe(Effect.provide(Emulator.layer())))

  it.scopedLive("through the client: each retry logged at Info; the last error says the attempts made", () =>
    Effect.gen(function*() {
      const silent = yield* silentServer
      const logs = captureLogs()
      const error = yield* BedrockClient.generate("Hello").pipe(
        Effect.flip,
        Effect.provide(
          BedrockClient.layer({
            model: { modelId: haiku },
            retry: { maxAttempts: 3, baseDelay: Duration.millis(5), jitter: false }
          }).pipe(Layer.provide(runtimeAt(`http://127.0.0.1:${silent.port}`, "http2", "100 millis")))
        ),
        Effect.provide(logs.layer)
      )
      const timeout = timeoutOf(error as BedrockError.BedrockError)
      assert.strictEqual(timeout.kind, "connect")
      assert.strictEqual(timeout.attempts, 3)
      assert.isAtLeast(timeout.elapsedMs ?? 0, 300)
      assert.match(timeout.message, /\(3 attempts, \d+ ms in all\)$/)
      assert.strictEqual(silent.accepted(), 3)
      const retries = logs.lines.filter((line) => line.includes("retrying in"))
      assert.lengthOf(retries, 2)
      assert.match(
        retries[0]!,
        /^INFO bedrock-llm: Converse call 1 attempt 1 of 3 failed \(RequestTimeoutError: no connection/
      )
      assert.match(retries[0]!, /retrying in 5 ms$/)
      assert.match(retries[1]!, /attempt 2 of 3 failed .*retrying in 10 ms$/)
    }))
})

describe("retries of a stream are logged too", () => {
  it.live("a stream that fails before its first event: each retry at Info with its cause and delay", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      emulator.faults.enqueue("throttle")
      const logs = captureLogs()
      const events = yield* BedrockClient.stream("Hello").pipe(
        BedrockClient.collect,
        Effect.provide(logs.layer)
      )
      assert.strictEqual(events.message.role, "assistant")
      const retries = logs.lines.filter((line) => line.includes("retrying in"))
      assert.lengthOf(retries, 1)
      assert.match(retries[0]!, /^INFO bedrock-llm: ConverseStream call 1 attempt 1 of 4 failed \(ThrottlingError: /)
    }).pipe(Effect.provide(liveLayer({ client: { retry: { baseDelay: Duration.millis(1), jitter: false } } }))))
})

describe("the HTTP/2 connections over TLS the runtime opens (a loopback TLS server with a test certificate)", () => {
  const tlsFixture = (name: string) => Fs.readFileSync(new URL(`./fixtures/tls/${name}`, import.meta.url))
  const key = tlsFixture("localhost-key.pem")
  const cert = tlsFixture("localhost-cert.pem")

  /** A request through `http2.connect` with the runtime's connect options, trusting the test certificate. */
  const request = (port: number) =>
    new Promise<string>((resolve, reject) => {
      const session = Http2.connect(`https://localhost:${port}`, { ...http2ConnectOptions(150), ca: cert })
      session.on("error", () => {})
      const stream = session.request({ ":path": "/" })
      let body = ""
      stream.on("data", (chunk: Buffer) => body += chunk.toString())
      stream.on("end", () => {
        session.close()
        resolve(body)
      })
      stream.on("error", (error) => {
        session.destroy()
        reject(error)
      })
    })

  it("ALPN h2 and the host's name are sent: an HTTP/2 server over TLS answers", async () => {
    const server = Http2.createSecureServer({ key, cert }, (_, response) => response.end("over h2"))
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    try {
      assert.strictEqual(await request((server.address() as Net.AddressInfo).port), "over h2")
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it("a server that completes TLS but never sends its SETTINGS is a connect timeout", async () => {
    const sockets = new Set<Net.Socket>()
    const server = Tls.createServer({ key, cert, ALPNProtocols: ["h2"] }, (socket) => {
      sockets.add(socket)
      socket.on("error", () => {})
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    try {
      const error = await request((server.address() as Net.AddressInfo).port).then(
        () => assert.fail("expected a connect timeout"),
        (e: unknown) => e as NodeJS.ErrnoException
      )
      const cause = (error.cause ?? error) as NodeJS.ErrnoException
      assert.strictEqual(cause.code, "BEDROCK_LLM_CONNECT_TIMEOUT")
      assert.include(cause.message, "sent no HTTP/2 SETTINGS")
      assert.strictEqual(sockets.size, 1)
    } finally {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    }
  })
})

describe("retries of embeddings are logged too", () => {
  it.live("each retry at Info with its cause and delay", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      emulator.faults.enqueue("throttle")
      const logs = captureLogs()
      const client = yield* EmbeddingsClient.EmbeddingsClient
      const vector = yield* Effect.provide(client.embed("a text to embed"), logs.layer)
      assert.isAbove(vector.length, 0)
      const retries = logs.lines.filter((line) => line.includes("retrying in"))
      assert.lengthOf(retries, 1)
      assert.match(
        retries[0]!,
        /^INFO bedrock-llm: embeddings attempt 1 of 4 failed \(ThrottlingError: .*retrying in 1 ms$/
      )
    }).pipe(Effect.provide(
      EmbeddingsClient.layer({
        model: "amazon.titan-embed-text-v2:0",
        retry: { baseDelay: Duration.millis(1), jitter: false },
        cache: false
      }).pipe(Layer.provideMerge(liveLayer()))
    )))
})
