/**
 * Test harness: a loopback HTTP/2 (prior knowledge, as the AWS SDK speaks to an http:// endpoint) proxy in front of the
 * emulator that keeps every request body it forwards, so that a test can assert what the gateway sent to "Bedrock".
 * Responses are piped back as they come; closed with the scope.
 */
import type * as Emulator from "bedrock-llm/emulator"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Http2 from "node:http2"

export interface Recorded {
  readonly path: string
  readonly body: unknown
}

export interface Recorder {
  /** The emulator as the gateway should see it: same stats, the proxy's url. */
  readonly emulator: Emulator.RunningEmulator
  /** Request bodies in arrival order (JSON-parsed). */
  readonly requests: ReadonlyArray<Recorded>
}

export const startRecorder = (emulator: Emulator.RunningEmulator): Effect.Effect<Recorder, never, Scope.Scope> =>
  Effect.gen(function*() {
    const requests: Array<Recorded> = []
    const upstream = Http2.connect(emulator.url)
    upstream.on("error", () => {})
    const server = Http2.createServer()
    server.on("stream", (stream, headers) => {
      const chunks: Array<Buffer> = []
      const forwarded: Http2.OutgoingHttpHeaders = {}
      for (const [name, value] of Object.entries(headers)) {
        if (!name.startsWith(":") || name === ":method" || name === ":path") forwarded[name] = value
      }
      const request = upstream.request(forwarded)
      stream.on("data", (chunk: Buffer) => {
        chunks.push(chunk)
        request.write(chunk)
      })
      stream.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8")
        let body: unknown = text
        try {
          body = JSON.parse(text)
        } catch {
          // not JSON: kept as text
        }
        requests.push({ path: String(headers[":path"]), body })
        request.end()
      })
      stream.on("close", () => request.close())
      stream.on("error", () => {})
      request.on("error", () => stream.close())
      request.on("response", (responseHeaders) => {
        const back: Http2.OutgoingHttpHeaders = {}
        for (const [name, value] of Object.entries(responseHeaders)) {
          if (!name.startsWith(":") || name === ":status") back[name] = value
        }
        stream.respond(back)
        request.pipe(stream)
      })
    })
    const port = yield* Effect.async<number>((resume) => {
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed((server.address() as { port: number }).port)))
    })
    yield* Effect.addFinalizer(() =>
      Effect.async<void>((resume) => {
        upstream.destroy()
        server.close(() => resume(Effect.void))
        for (const session of sessions) session.destroy()
      })
    )
    const sessions = new Set<Http2.ServerHttp2Session>()
    server.on("session", (session) => {
      sessions.add(session)
      session.on("close", () => sessions.delete(session))
    })
    return { emulator: { ...emulator, url: `http://127.0.0.1:${port}` }, requests }
  })
