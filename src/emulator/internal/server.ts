/**
 * The emulator's request pipeline: routing, authentication, faults, then replay, scripted or engine answers,
 * written as JSON or as a paced event stream with backpressure.
 */
import { randomUUID } from "node:crypto"
import { authenticate, type Credentials } from "./auth.js"
import type { JobTable } from "./batch/jobs.js"
import { type BatchReply, handleBatch, isBatchPath } from "./batch/routes.js"
import { corruptCrc, eventFrame, exceptionFrame, padded, splitFrames, truncate } from "./eventStream.js"
import { type Fault, faultKind, type FaultQueue, makeFaultQueue, parseFaults } from "./faults.js"
import type { ReplayBook } from "./replay.js"
import type { Script } from "./scenario.js"
import { makeStats, type StatsCounter } from "./stats.js"
import type { Exchange } from "./transport.js"
import {
  bedrockError,
  coralNamespace,
  errorBody,
  errorTypeHeader,
  type Operation,
  parseRoute,
  type Route,
  validation,
  type WireError
} from "./wire.js"

import type { EngineApi } from "./engineApi.js"

export type { EngineApi }

/** One line of the request log. */
export interface RequestLog {
  readonly requestId: string
  readonly operation: string
  readonly modelId: string | undefined
  /** HTTP status, or 0 when the connection was reset by a fault. */
  readonly status: number
  readonly durationMs: number
  readonly httpVersion: "1.1" | "2"
  readonly faults: ReadonlyArray<string>
}

export interface CoreOptions {
  readonly engine: EngineApi
  readonly credentials?: Credentials | undefined
  readonly allowBearerToken: boolean
  readonly timeToFirstTokenMs: number
  readonly tokensPerSecond: number
  readonly padding: boolean
  readonly maxBodyBytes: number
  readonly randomFaults?: (() => ReadonlyArray<Fault>) | undefined
  readonly script?: Script | undefined
  readonly replay?: ReplayBook | undefined
  readonly onRequest?: ((entry: RequestLog) => void) | undefined
  /** Batch inference jobs, when the emulator serves the control-plane batch operations. */
  readonly batch?: { readonly jobs: JobTable; readonly knownModel: (modelId: string) => boolean } | undefined
}

export interface Core {
  readonly handle: (exchange: Exchange) => void
  readonly stats: StatsCounter
  readonly faults: FaultQueue
  /** Resets counters, the fault plan and the scenario and replay cursors. */
  readonly reset: () => void
  /** Cancels pending delays (latency, pacing) so that closing is immediate. */
  readonly shutdown: () => void
}

interface Frame {
  readonly bytes: Uint8Array
  readonly delta: boolean
}

type Reply =
  | {
    readonly _tag: "Json"
    readonly status: number
    readonly headers: Readonly<Record<string, string>>
    readonly body: string
  }
  | {
    readonly _tag: "Stream"
    readonly headers: Readonly<Record<string, string>>
    readonly frames: ReadonlyArray<Frame>
  }
  | { readonly _tag: "Error"; readonly error: WireError }

type StreamFault = Extract<
  Fault,
  { readonly _tag: "StreamException" | "Truncate" | "BadCrc" | "Stall" | "End" | "Disconnect" }
>

const jsonHeaders = { "content-type": "application/json" }
const eventStreamHeaders = { "content-type": "application/vnd.amazon.eventstream" }
const malformed = "Malformed input request, please reformat your input and try again."

const isLoopback = (address: string | undefined): boolean =>
  address !== undefined && (address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127."))

const parseJson = (body: Uint8Array): { readonly ok: true; readonly value: unknown } | { readonly ok: false } => {
  try {
    return { ok: true, value: JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8")) }
  } catch {
    return { ok: false }
  }
}

const engineError = (error: { readonly type: string; readonly status: number; readonly message: string }): Reply => ({
  _tag: "Error",
  error: { type: error.type, status: error.status, message: error.message }
})

const streamExceptionPayload = (exceptionType: string): Record<string, unknown> =>
  exceptionType === "modelStreamErrorException"
    ? {
      message: "The model stream was interrupted by an injected emulator fault.",
      originalStatusCode: 500,
      originalMessage: "Injected fault"
    }
    : {
      message: bedrockError(exceptionType.charAt(0).toUpperCase() + exceptionType.slice(1)).message
    }

/** Builds the request pipeline. */
export const makeCore = (options: CoreOptions): Core => {
  const stats = makeStats()
  const faults = makeFaultQueue()
  const timers = new Set<{ readonly timer: NodeJS.Timeout; readonly resolve: () => void }>()
  let stopped = false

  const sleep = (ms: number): Promise<void> =>
    ms <= 0 || stopped ? Promise.resolve() : new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          timers.delete(entry)
          resolve()
        }, ms),
        resolve
      }
      timers.add(entry)
    })

  const random = options.padding ? Math.random : undefined

  const converseFrames = (
    events: ReadonlyArray<{ readonly type: string; readonly payload: Record<string, unknown> }>
  ) =>
    events.map((event): Frame => ({
      bytes: eventFrame(event.type, random !== undefined ? padded(event.payload, random) : event.payload),
      delta: event.type === "contentBlockDelta"
    }))

  const fromReplay = (route: Route): Reply | undefined => {
    const recording = options.replay?.next(route.operation, route.resourceId)
    if (recording === undefined) return undefined
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(recording.response.headers ?? {})) {
      if (name === "content-type" || name.startsWith("x-amzn-")) headers[name] = value
    }
    if (recording.response.bodyBase64 !== undefined) {
      const bytes = new Uint8Array(Buffer.from(recording.response.bodyBase64, "base64"))
      return {
        _tag: "Stream",
        headers: { ...eventStreamHeaders, ...headers },
        frames: splitFrames(bytes).map((frame) => ({ bytes: frame, delta: true }))
      }
    }
    return {
      _tag: "Json",
      status: recording.response.status,
      headers: { ...jsonHeaders, ...headers },
      body: recording.response.body === undefined ? "" : JSON.stringify(recording.response.body)
    }
  }

  const fromScript = (route: Route, started: number): { reply: Reply; faults: ReadonlyArray<Fault> } | undefined => {
    if (route.operation !== "Converse" && route.operation !== "ConverseStream") return undefined
    const turn = options.script?.next(route.resourceId)
    if (turn === undefined) return undefined
    if (!("_tag" in turn)) return { reply: { _tag: "Error", error: turn }, faults: [] }
    if (turn._tag === "Error") return { reply: { _tag: "Error", error: turn.error }, faults: turn.faults }
    const metrics = turn.body["metrics"] as Record<string, unknown>
    const body = metrics["latencyMs"] === 0
      ? { ...turn.body, metrics: { ...metrics, latencyMs: Math.round(performance.now() - started) } }
      : turn.body
    return {
      reply: route.operation === "Converse"
        ? { _tag: "Json", status: 200, headers: jsonHeaders, body: JSON.stringify(body) }
        : { _tag: "Stream", headers: eventStreamHeaders, frames: converseFrames(options.engine.converseEvents(body)) },
      faults: turn.faults
    }
  }

  const fromEngine = (route: Route, body: Uint8Array): Reply => {
    const parsed = parseJson(body)
    if (!parsed.ok) return { _tag: "Error", error: validation(malformed) }
    const engine = options.engine
    switch (route.operation) {
      case "Converse":
      case "ConverseStream": {
        const result = engine.converse(route.resourceId, parsed.value)
        if (!result.ok) return engineError(result.error)
        return route.operation === "Converse"
          ? { _tag: "Json", status: 200, headers: jsonHeaders, body: JSON.stringify(result.value.body) }
          : { _tag: "Stream", headers: eventStreamHeaders, frames: converseFrames(result.value.events) }
      }
      case "InvokeModel":
      case "InvokeModelWithResponseStream": {
        const result = engine.invoke(route.resourceId, parsed.value)
        if (!result.ok) return engineError(result.error)
        const last = result.value.chunks[result.value.chunks.length - 1]
        const metrics = (last?.["amazon-bedrock-invocationMetrics"] ?? {}) as Record<string, unknown>
        if (route.operation === "InvokeModelWithResponseStream") {
          return {
            _tag: "Stream",
            headers: { ...eventStreamHeaders, "x-amzn-bedrock-content-type": "application/json" },
            frames: result.value.chunks.map((chunk) => ({
              bytes: eventFrame("chunk", { bytes: Buffer.from(JSON.stringify(chunk)).toString("base64") }),
              delta: true
            }))
          }
        }
        const usage = result.value.usage
        const headers: Record<string, string> = { ...jsonHeaders }
        const counts: ReadonlyArray<readonly [string, unknown]> = usage !== undefined
          ? [
            ["x-amzn-bedrock-input-token-count", usage.inputTokens],
            ["x-amzn-bedrock-output-token-count", usage.outputTokens],
            ["x-amzn-bedrock-cache-read-input-token-count", usage.cacheReadInputTokens],
            ["x-amzn-bedrock-cache-write-input-token-count", usage.cacheWriteInputTokens],
            ["x-amzn-bedrock-invocation-latency", usage.latencyMs]
          ]
          : [
            ["x-amzn-bedrock-input-token-count", metrics["inputTokenCount"]],
            ["x-amzn-bedrock-output-token-count", metrics["outputTokenCount"]],
            ["x-amzn-bedrock-invocation-latency", metrics["invocationLatency"]]
          ]
        for (const [name, value] of counts) {
          if (typeof value === "number") headers[name] = String(value)
        }
        return { _tag: "Json", status: 200, headers, body: JSON.stringify(result.value.body) }
      }
      case "CountTokens": {
        const result = engine.countTokens(route.resourceId, parsed.value)
        return result.ok
          ? { _tag: "Json", status: 200, headers: jsonHeaders, body: JSON.stringify(result.value) }
          : engineError(result.error)
      }
      case "ApplyGuardrail": {
        const result = engine.applyGuardrail(route.resourceId, route.guardrailVersion ?? "DRAFT", parsed.value)
        return result.ok
          ? { _tag: "Json", status: 200, headers: jsonHeaders, body: JSON.stringify(result.value) }
          : engineError(result.error)
      }
    }
  }

  const sendJson = (
    exchange: Exchange,
    requestId: string,
    status: number,
    headers: Readonly<Record<string, string>>,
    body: string
  ) => {
    const bytes = Buffer.from(body, "utf8")
    exchange.head(status, { ...headers, "content-length": String(bytes.length), "x-amzn-RequestId": requestId }, false)
    exchange.end(bytes)
  }

  const sendError = (exchange: Exchange, requestId: string, error: WireError) =>
    sendJson(
      exchange,
      requestId,
      error.status,
      { ...jsonHeaders, "x-amzn-ErrorType": errorTypeHeader(error) },
      errorBody(error)
    )

  const sendStream = async (
    exchange: Exchange,
    requestId: string,
    headers: Readonly<Record<string, string>>,
    frames: ReadonlyArray<Frame>,
    fault: StreamFault | undefined,
    operation: Operation
  ): Promise<void> => {
    stats.streamOpened()
    exchange.onClose((aborted) => stats.streamClosed(aborted))
    exchange.head(200, { ...headers, "x-amzn-RequestId": requestId }, true)
    const deltaGap = options.tokensPerSecond > 0 ? 1000 / options.tokensPerSecond : 0
    let deltas = 0
    for (let i = 0; i <= frames.length; i++) {
      if (fault !== undefined && fault.after === i) {
        const next = frames[i]?.bytes ?? eventFrame(
          operation === "ConverseStream" ? "metadata" : "chunk",
          { p: "abcdefghijklmnopqrstuvwxyz" }
        )
        switch (fault._tag) {
          case "StreamException":
            exchange.write(exceptionFrame(fault.exceptionType, streamExceptionPayload(fault.exceptionType)))
            break
          case "Truncate":
            exchange.write(truncate(next))
            break
          case "BadCrc":
            exchange.write(corruptCrc(next))
            break
          case "Stall":
            return
          case "End":
            break
          case "Disconnect":
            return exchange.disconnect(fault.mode)
        }
        exchange.end()
        return
      }
      const frame = frames[i]
      if (frame === undefined) break
      const wait = i === 0 ? options.timeToFirstTokenMs : frame.delta && deltas > 0 ? deltaGap : 0
      if (wait > 0) await sleep(wait)
      if (frame.delta) deltas++
      if (exchange.isClosed()) return
      if (!exchange.write(frame.bytes)) await exchange.drained()
    }
    if (!exchange.isClosed()) exchange.end()
  }

  const control = async (exchange: Exchange, path: string, requestId: string): Promise<void> => {
    if (!isLoopback(exchange.remoteAddress)) {
      return sendError(exchange, requestId, {
        type: "AccessDeniedException",
        status: 403,
        message: "The emulator control endpoints answer loopback clients only."
      })
    }
    if (exchange.method === "GET" && path === "/__emulator/stats") {
      return sendJson(exchange, requestId, 200, jsonHeaders, JSON.stringify(stats.snapshot()))
    }
    if (exchange.method === "POST" && path === "/__emulator/reset") {
      core.reset()
      return sendJson(exchange, requestId, 200, jsonHeaders, "{}")
    }
    if (exchange.method === "POST" && path === "/__emulator/faults") {
      const body = await exchange.readBody(1 << 20)
      const parsed = body === undefined ? { ok: false as const } : parseJson(body)
      const specs = parsed.ok
        ? Array.isArray(parsed.value) ? parsed.value : (parsed.value as { enqueue?: unknown } | null)?.enqueue
        : undefined
      if (!Array.isArray(specs) || !specs.every((spec) => typeof spec === "string")) {
        return sendError(exchange, requestId, validation(`Expected {"enqueue": ["throttle", ...]}.`))
      }
      for (const spec of specs) {
        const result = parseFaults(spec)
        if (!result.ok) return sendError(exchange, requestId, validation(result.message))
      }
      faults.enqueue(...specs)
      return sendJson(exchange, requestId, 200, jsonHeaders, JSON.stringify({ pending: faults.pending() }))
    }
    return sendError(exchange, requestId, {
      type: "UnknownOperationException",
      status: 404,
      message: "Unknown emulator endpoint.",
      namespace: coralNamespace
    })
  }

  /** Reads, authenticates and answers a batch control-plane request; `undefined` for no batch operation. */
  const batchReply = async (
    exchange: Exchange,
    path: string,
    query: string,
    batch: NonNullable<CoreOptions["batch"]>
  ): Promise<BatchReply | undefined> => {
    const body = await exchange.readBody(1 << 20)
    if (body === undefined) return { error: validation("The request body is too large.") }
    const authError = await authenticate(
      { method: exchange.method, path, query, headers: exchange.headers, body },
      { credentials: options.credentials, allowBearerToken: options.allowBearerToken }
    )
    if (authError !== undefined) return { error: authError }
    const parsed = body.length === 0 ? { ok: true as const, value: undefined } : parseJson(body)
    if (!parsed.ok) return { error: validation(malformed) }
    const params = new URLSearchParams(query)
    const reply = handleBatch(batch.jobs, exchange.method, path, params, parsed.value, batch.knownModel)
    if (reply !== undefined) stats.request("ModelInvocationJob")
    return reply
  }

  const serve = async (exchange: Exchange, requestId: string, started: number): Promise<RequestLog | undefined> => {
    const queryStart = exchange.url.indexOf("?")
    const path = queryStart === -1 ? exchange.url : exchange.url.slice(0, queryStart)
    const query = queryStart === -1 ? "" : exchange.url.slice(queryStart + 1)
    if (path.startsWith("/__emulator/")) {
      await control(exchange, path, requestId)
      return undefined
    }
    const route = parseRoute(exchange.method, path)
    const injected: Array<string> = []
    const log = (status: number): RequestLog => ({
      requestId,
      operation: route?.operation ?? `${exchange.method} ${path.slice(0, 200)}`,
      modelId: route?.resourceId,
      status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      httpVersion: exchange.httpVersion,
      faults: injected
    })
    const fail = (error: WireError): RequestLog => {
      sendError(exchange, requestId, error)
      stats.response(error.status)
      return log(error.status)
    }
    if (route === undefined && options.batch !== undefined && isBatchPath(path)) {
      const reply = await batchReply(exchange, path, query, options.batch)
      if (reply !== undefined) {
        if ("error" in reply) return fail(reply.error)
        sendJson(exchange, requestId, reply.status, jsonHeaders, JSON.stringify(reply.body))
        stats.response(reply.status)
        return log(reply.status)
      }
    }
    if (route === undefined) {
      stats.request("Unknown")
      return fail({
        type: "UnknownOperationException",
        status: 404,
        message: "Unknown operation",
        namespace: coralNamespace,
        body: "<UnknownOperationException/>"
      })
    }
    stats.request(route.operation)
    const body = await exchange.readBody(options.maxBodyBytes)
    if (body === undefined) {
      if (exchange.isClosed()) return log(0)
      return fail(validation("Input is too long for requested model."))
    }
    const authError = await authenticate(
      { method: exchange.method, path, query, headers: exchange.headers, body },
      { credentials: options.credentials, allowBearerToken: options.allowBearerToken }
    )
    if (authError !== undefined) return fail(authError)

    const planned: Array<Fault> = [...(faults.take() ?? [])]
    const header = exchange.headers["x-emulator-fault"]
    if (typeof header === "string") {
      const parsed = parseFaults(header)
      if (!parsed.ok) return fail(validation(`Invalid x-emulator-fault header: ${parsed.message}`))
      planned.push(...parsed.faults)
    }
    if (options.randomFaults !== undefined) planned.push(...options.randomFaults())

    const applyFaults = async (list: ReadonlyArray<Fault>): Promise<RequestLog | undefined> => {
      for (const fault of list) {
        if (fault._tag === "Latency") {
          stats.fault("latency")
          injected.push(`latency=${fault.ms}`)
          await sleep(fault.ms)
        }
      }
      for (const fault of list) {
        if (fault._tag === "Reset") {
          stats.fault("reset")
          injected.push("reset")
          exchange.reset()
          return log(0)
        }
        if (fault._tag === "Error") {
          stats.fault(fault.kind)
          injected.push(fault.kind)
          return fail(fault.error)
        }
      }
      return undefined
    }
    const early = await applyFaults(planned)
    if (early !== undefined) return early
    if (exchange.isClosed()) return log(0)

    const replayed = fromReplay(route)
    const fromTurn = replayed === undefined ? fromScript(route, started) : undefined
    if (fromTurn !== undefined) {
      const late = await applyFaults(fromTurn.faults)
      if (late !== undefined) return late
    }
    const reply = replayed ?? fromTurn?.reply ?? fromEngine(route, body)
    if (reply._tag === "Error") return fail(reply.error)
    if (reply._tag === "Json") {
      sendJson(exchange, requestId, reply.status, reply.headers, reply.body)
      stats.response(reply.status)
      return log(reply.status)
    }
    const streamFault = [...planned, ...(fromTurn?.faults ?? [])].find((fault): fault is StreamFault =>
      fault._tag === "StreamException" || fault._tag === "Truncate" || fault._tag === "BadCrc" ||
      fault._tag === "Stall" || fault._tag === "End" || fault._tag === "Disconnect"
    )
    if (streamFault !== undefined) {
      stats.fault(faultKind(streamFault))
      injected.push(faultKind(streamFault))
    }
    stats.response(200)
    await sendStream(exchange, requestId, reply.headers, reply.frames, streamFault, route.operation)
    return log(200)
  }

  const core: Core = {
    handle: (exchange) => {
      const started = performance.now()
      const requestId = randomUUID()
      serve(exchange, requestId, started).then(
        (entry) => {
          if (entry !== undefined) options.onRequest?.(entry)
        },
        () => {
          if (exchange.isClosed()) return
          try {
            sendError(exchange, requestId, bedrockError("InternalServerException"))
          } catch {
            exchange.reset()
          }
        }
      )
    },
    stats,
    faults,
    reset: () => {
      stats.reset()
      faults.clear()
      options.script?.reset()
      options.replay?.reset()
    },
    shutdown: () => {
      stopped = true
      for (const entry of timers) {
        clearTimeout(entry.timer)
        entry.resolve()
      }
      timers.clear()
    }
  }
  return core
}
