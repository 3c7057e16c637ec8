/**
 * One TCP port serving HTTP/2 with prior knowledge and HTTP/1.1: the first bytes of each connection are peeked for
 * the HTTP/2 connection preface and the socket is handed to the matching Node server. Both protocols are adapted
 * to one small `Exchange` interface the handler writes to.
 */
import * as http from "node:http"
import * as http2 from "node:http2"
import * as net from "node:net"

/** One request/response exchange, independent of the HTTP version. */
export interface Exchange {
  readonly httpVersion: "1.1" | "2"
  readonly method: string
  /** The request target as sent: raw path plus query. */
  readonly url: string
  readonly headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  readonly remoteAddress: string | undefined
  /** Reads the whole body (an oversized one is consumed and dropped); `undefined` when it exceeds `limit` bytes or the client went away. */
  readonly readBody: (limit: number) => Promise<Uint8Array | undefined>
  /** Sets status and headers; `flush` sends them at once (streams) instead of with the body. */
  readonly head: (status: number, headers: Readonly<Record<string, string>>, flush: boolean) => void
  /** Writes a chunk; `false` means wait for `drained()` (backpressure). */
  readonly write: (chunk: Uint8Array) => boolean
  /** Resolves when the peer can take more data, or the exchange closed. */
  readonly drained: () => Promise<void>
  readonly end: (chunk?: Uint8Array | string) => void
  /** Destroys the stream (HTTP/2 RST_STREAM) or the connection (HTTP/1.1) without a response. */
  readonly reset: () => void
  /**
   * Cuts the TCP connection once what was written so far has left: `close` ends it (FIN), `reset` resets it (RST).
   * Neither the response's end (HTTP/1.1's last chunk, HTTP/2's END_STREAM) nor a GOAWAY is sent.
   */
  readonly disconnect: (mode: DisconnectMode) => Promise<void>
  /** True once the exchange is closed (finished or aborted). */
  readonly isClosed: () => boolean
  /** Registers a callback for the close of the exchange; `aborted` when it closed before the server ended it. */
  readonly onClose: (callback: (aborted: boolean) => void) => void
}

/** How `disconnect` cuts a connection: a FIN (`close`) or a RST (`reset`). */
export type DisconnectMode = "close" | "reset"

const preface = Buffer.from("PRI * HTTP/2.0")

/**
 * Cuts a socket after `flushed` resolves (what was written has been handed to the kernel). A reset waits 20 ms more,
 * so that the peer has read those bytes before the RST arrives (a RST may discard what the peer has not read yet).
 */
const cut = async (socket: net.Socket, mode: DisconnectMode, flushed: Promise<void>): Promise<void> => {
  await flushed
  if (socket.destroyed) return
  if (mode === "close") {
    socket.end()
    return
  }
  await new Promise((resolve) => setTimeout(resolve, 20))
  if (!socket.destroyed) socket.resetAndDestroy()
}

/**
 * Resolves once everything written to an HTTP/2 stream has been taken by the session (its writes have completed) and
 * the session has had a turn of the event loop to hand the frames to the socket. Polled, so that writes cost nothing
 * extra when no fault needs this (bounded: one second).
 */
const streamFlushed = async (stream: http2.ServerHttp2Stream): Promise<void> => {
  for (let i = 0; i < 1000 && stream.writableLength > 0 && !stream.destroyed; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
  await new Promise((resolve) => setImmediate(resolve))
}

/** Resolves once everything written to the socket before the call has been handed to the kernel. */
const socketFlushed = (socket: net.Socket): Promise<void> =>
  new Promise((resolve) => {
    if (socket.destroyed) return resolve()
    socket.write(new Uint8Array(0), () => resolve())
  })

const h1Exchange = (req: http.IncomingMessage, res: http.ServerResponse): Exchange => {
  let closed = false
  let ended = false
  const closeCallbacks: Array<(aborted: boolean) => void> = []
  res.on("close", () => {
    closed = true
    for (const callback of closeCallbacks) callback(!ended)
  })
  return {
    httpVersion: "1.1",
    method: req.method ?? "GET",
    url: req.url ?? "/",
    headers: req.headers,
    remoteAddress: req.socket.remoteAddress,
    readBody: (limit) => readAll(req, limit),
    head: (status, headers, flush) => {
      res.writeHead(status, headers)
      if (flush) res.flushHeaders()
    },
    write: (chunk) => res.write(chunk),
    drained: () => waitFor(res, "drain", () => closed),
    end: (chunk) => {
      ended = true
      if (chunk === undefined) res.end()
      else res.end(chunk)
    },
    reset: () => req.socket.destroy(),
    disconnect: (mode) => cut(req.socket, mode, socketFlushed(req.socket)),
    isClosed: () => closed,
    onClose: (callback) => {
      closeCallbacks.push(callback)
    }
  }
}

let cachedDate = ""
let cachedDateSecond = -1
const httpDate = (): string => {
  const now = Date.now()
  const second = Math.floor(now / 1000)
  if (second !== cachedDateSecond) {
    cachedDateSecond = second
    cachedDate = new Date(now).toUTCString()
  }
  return cachedDate
}

const h2Exchange = (
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  socketOf: (session: http2.Http2Session | undefined) => net.Socket | undefined
): Exchange => {
  let closed = false
  let ended = false
  const closeCallbacks: Array<(aborted: boolean) => void> = []
  stream.on("error", () => undefined)
  stream.on("close", () => {
    closed = true
    for (const callback of closeCallbacks) callback(!ended)
  })
  return {
    httpVersion: "2",
    method: String(headers[":method"] ?? "GET"),
    url: String(headers[":path"] ?? "/"),
    headers,
    remoteAddress: stream.session?.socket?.remoteAddress,
    readBody: (limit) => readAll(stream, limit),
    head: (status, responseHeaders) => {
      if (stream.destroyed || stream.headersSent) return
      stream.respond({ ":status": status, "date": httpDate(), ...responseHeaders })
    },
    write: (chunk) => stream.destroyed ? true : stream.write(chunk),
    drained: () => waitFor(stream, "drain", () => closed),
    end: (chunk) => {
      ended = true
      if (stream.destroyed) return
      if (chunk === undefined) stream.end()
      else stream.end(chunk)
    },
    reset: () => {
      if (!stream.destroyed) stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR)
    },
    disconnect: async (mode) => {
      const socket = socketOf(stream.session)
      if (socket === undefined) return stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR)
      return cut(socket, mode, streamFlushed(stream))
    },
    isClosed: () => closed,
    onClose: (callback) => {
      closeCallbacks.push(callback)
    }
  }
}

const waitFor = (
  emitter: NodeJS.EventEmitter,
  event: string,
  isClosed: () => boolean
): Promise<void> =>
  isClosed() ? Promise.resolve() : new Promise((resolve) => {
    const done = () => {
      emitter.off(event, done)
      emitter.off("close", done)
      resolve()
    }
    emitter.on(event, done)
    emitter.on("close", done)
  })

const readAll = (stream: NodeJS.ReadableStream & NodeJS.EventEmitter, limit: number): Promise<Uint8Array | undefined> =>
  new Promise((resolve) => {
    const chunks: Array<Buffer> = []
    let size = 0
    let settled = false
    const settle = (value: Uint8Array | undefined) => {
      if (settled) return
      settled = true
      stream.off("data", onData)
      stream.off("end", onEnd)
      stream.off("close", onClose)
      stream.off("error", onClose)
      resolve(value)
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= limit) chunks.push(chunk)
      else chunks.length = 0
    }
    const onEnd = () => settle(size > limit ? undefined : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks))
    const onClose = () => settle(undefined)
    stream.on("data", onData)
    stream.on("end", onEnd)
    stream.on("close", onClose)
    stream.on("error", onClose)
  })

/** A listening dual-protocol server. */
export interface Transport {
  readonly address: net.AddressInfo
  /** Stops listening and destroys every open connection. */
  readonly close: () => Promise<void>
}

/** Starts listening; each exchange is passed to `handle`. */
export const listen = (
  options: { readonly host: string; readonly port: number },
  handle: (exchange: Exchange) => void
): Promise<Transport> => {
  const sockets = new Set<net.Socket>()
  const h1 = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => handle(h1Exchange(req, res)))
  h1.on("clientError", (_error, socket) => socket.destroy())
  const h2 = http2.createServer({ settings: { maxConcurrentStreams: 1000 } })
  // A session's `socket` is a proxy that refuses to end or destroy it: the raw socket is kept for `disconnect`.
  const sessionSockets = new WeakMap<http2.Http2Session, net.Socket>()
  let connecting: net.Socket | undefined
  const socketOf = (session: http2.Http2Session | undefined) =>
    session === undefined ? undefined : sessionSockets.get(session)
  h2.on("stream", (stream, headers) => handle(h2Exchange(stream, headers, socketOf)))
  h2.on("sessionError", () => undefined)
  h2.on("session", (session) => {
    if (connecting !== undefined) sessionSockets.set(session, connecting)
    session.on("error", () => undefined)
  })
  const onConnection = (socket: net.Socket) => {
    sockets.add(socket)
    socket.setNoDelay(true)
    socket.on("close", () => sockets.delete(socket))
    socket.on("error", () => socket.destroy())
    let received: Buffer = Buffer.alloc(0)
    const onData = (chunk: Buffer) => {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk])
      const prefix = received.subarray(0, Math.min(received.length, preface.length))
      const maybeH2 = preface.subarray(0, prefix.length).equals(prefix)
      if (maybeH2 && received.length < preface.length) return
      socket.off("data", onData)
      socket.pause()
      socket.unshift(received)
      if (maybeH2) {
        // The server makes the connection's session (and emits "session") synchronously.
        connecting = socket
        h2.emit("connection", socket)
        connecting = undefined
      } else {
        h1.emit("connection", socket)
        socket.resume()
      }
    }
    socket.on("data", onData)
  }
  const server = net.createServer(onConnection)
  return new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(options.port, options.host, () => {
      server.off("error", reject)
      server.on("error", () => undefined)
      resolve({
        address: server.address() as net.AddressInfo,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done())
            h1.closeAllConnections()
            for (const socket of sockets) socket.destroy()
            sockets.clear()
          })
      })
    })
  })
}
