/**
 * A deadline on making each new connection, separate from the request's: the socket's TCP connection, its TLS
 * handshake (`https`), and over HTTP/2 the server's connection preface (the SETTINGS frame a server sends first,
 * RFC 9113 §3.4). A connection not made in time is destroyed with an error coded `CONNECT_TIMEOUT_CODE`, which fails
 * the request on it (and `errorMapping` turns it into `RequestTimeoutError` `connect`).
 *
 * The deadline is one timer per connection, set when its socket is opened and looked at once when it fires (after the
 * event loop's pending I/O): has TCP connected, has TLS completed, has the server sent a byte (`bytesRead` counts
 * what HTTP/2 reads from the socket, and for TLS only the decrypted bytes, so handshake records do not count as the
 * preface). Nothing is added on the path of the bytes, and a request waiting for a free HTTP/1.1 socket does not spend
 * its connect time waiting.
 *
 * @internal
 */
import * as Http from "node:http"
import type * as Http2 from "node:http2"
import * as Https from "node:https"
import * as Net from "node:net"
import type * as Stream from "node:stream"
import * as Tls from "node:tls"
import { CONNECT_TIMEOUT_CODE } from "../errorMapping.js"

/** What a connection had not done when its deadline passed. */
const missingStep = (socket: Net.Socket, secured: boolean | undefined, http2: boolean): string | undefined => {
  if (socket.connecting) return "the TCP connection was not established"
  if (secured === false) return "the TLS handshake did not complete"
  if (http2 && socket.bytesRead === 0) {
    return "the server accepted the connection but sent no HTTP/2 SETTINGS (its connection preface)"
  }
  return undefined
}

/** The error a connection that was not made in time is destroyed with. */
export const connectTimeoutError = (target: string, timeoutMs: number, missing: string): Error =>
  Object.assign(new Error(`no connection to ${target} within ${timeoutMs} ms: ${missing}`), {
    name: "ConnectTimeoutError",
    code: CONNECT_TIMEOUT_CODE,
    timeoutMs
  })

/** Destroys `socket` with a connect-timeout error unless it is connected `timeoutMs` after now; returns it. */
export const watchConnect = <S extends Net.Socket>(
  socket: S,
  options: { readonly timeoutMs: number; readonly target: string; readonly http2: boolean }
): S => {
  if (!Number.isFinite(options.timeoutMs)) return socket
  let secured: boolean | undefined
  if (socket instanceof Tls.TLSSocket) {
    secured = false
    socket.once("secureConnect", () => {
      secured = true
    })
  }
  const expire = () => {
    const missing = missingStep(socket, secured, options.http2)
    if (missing !== undefined && !socket.destroyed) {
      socket.destroy(connectTimeoutError(options.target, options.timeoutMs, missing))
    }
  }
  // Looked at after the I/O the event loop has waiting (timers run before it): a busy loop that ran late must not
  // take a connection that was made in time for one that was not.
  const timer = setTimeout(() => setImmediate(expire), options.timeoutMs)
  timer.unref()
  socket.once("close", () => clearTimeout(timer))
  return socket
}

/**
 * The options of `http2.connect` that open each session's socket as Node does by default (TCP for `http:`; TLS with
 * ALPN `h2` and the host as server name for `https:`) and watch it with `watchConnect`.
 */
export const http2ConnectOptions = (timeoutMs: number): Http2.SecureClientSessionOptions => ({
  createConnection: (authority: URL, sessionOptions: Http2.SessionOptions): Stream.Duplex => {
    const { createConnection: _, ...options } = sessionOptions as Http2.SecureClientSessionOptions
    const host = authority.hostname.startsWith("[") ? authority.hostname.slice(1, -1) : authority.hostname
    const secure = authority.protocol !== "http:"
    const port = Number(authority.port === "" ? (secure ? 443 : 80) : authority.port)
    const socket = secure
      ? Tls.connect({
        ...options,
        host,
        port,
        ALPNProtocols: ["h2"],
        ...(options.servername === undefined && Net.isIP(host) === 0 ? { servername: host } : {})
      })
      : Net.connect({ ...options, host, port })
    return watchConnect(socket, { timeoutMs, target: authority.host, http2: true })
  }
})

/** Makes `agent` watch every socket it opens with `watchConnect` (HTTP/1.1: TCP, and TLS for `https`). */
const watchingAgent = <A extends Http.Agent>(agent: A, timeoutMs: number): A => {
  const open = agent.createConnection.bind(agent) as (
    options: Http.ClientRequestArgs,
    callback?: (error: Error | null, socket: Stream.Duplex) => void
  ) => Stream.Duplex | null | undefined
  agent.createConnection = (options, callback) => {
    const socket = open(options, callback)
    const target = `${options.host ?? options.hostname ?? "localhost"}:${options.port ?? ""}`
    return socket instanceof Net.Socket ? watchConnect(socket, { timeoutMs, target, http2: false }) : socket
  }
  return agent
}

/** HTTP/1.1 agents (keep-alive and socket pool as given) whose new sockets have a connect deadline. */
export const http1Agents = (
  options: Http.AgentOptions,
  timeoutMs: number
): { readonly httpAgent: Http.Agent; readonly httpsAgent: Https.Agent } => ({
  httpAgent: watchingAgent(new Http.Agent(options), timeoutMs),
  httpsAgent: watchingAgent(new Https.Agent(options), timeoutMs)
})
