/** Calls to the gateway's own APIs from the browser: JSON, Server-Sent Events, and refusals as typed failures. */

/** A refusal of the gateway, from any of its APIs' error shapes. */
export interface Failure {
  readonly status: number
  readonly type: string
  readonly code: string | undefined
  readonly message: string
  /** Seconds, from `Retry-After`. */
  readonly retryAfter: number | undefined
}

/** Thrown by `send` for a status that is not 2xx. */
export class ApiError extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message)
  }
}

const asRecord = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null ? value as Record<string, unknown> : {}

/** A failure from an error body (`{"error":{...}}` in OpenAI's, Anthropic's, the agents' or the admin API's shape). */
export const failureOf = (status: number, body: unknown, retryAfter: string | null, fallback = ""): Failure => {
  const error = asRecord(asRecord(body)["error"])
  const retry = retryAfter === null ? Number.NaN : Number(retryAfter)
  return {
    status,
    type: typeof error["type"] === "string" ? error["type"] : "error",
    code: typeof error["code"] === "string" ? error["code"] : undefined,
    message: typeof error["message"] === "string" ? error["message"] : fallback || `HTTP ${status}`,
    retryAfter: Number.isFinite(retry) ? retry : undefined
  }
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** A request with a bearer key; the raw response when it is 2xx, else an `ApiError`. */
export const send = async (
  path: string,
  options: { readonly key: string; readonly method?: string; readonly body?: unknown; readonly signal?: AbortSignal }
): Promise<Response> => {
  const response = await fetch(path, {
    method: options.method ?? (options.body === undefined ? "GET" : "POST"),
    headers: {
      authorization: `Bearer ${options.key}`,
      ...(options.body === undefined ? {} : { "content-type": "application/json" })
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    ...(options.signal === undefined ? {} : { signal: options.signal })
  })
  if (response.ok) return response
  const text = await response.text()
  throw new ApiError(failureOf(response.status, parseJson(text), response.headers.get("retry-after"), text))
}

/** `send`, then the body as JSON. */
export const json = async <A>(
  path: string,
  options: { readonly key: string; readonly method?: string; readonly body?: unknown }
): Promise<A> => (await send(path, options)).json() as Promise<A>

/** One Server-Sent Event. */
export interface SseEvent {
  readonly event: string
  readonly data: string
}

/** The events of a `text/event-stream` body as they arrive (comments skipped). */
export async function* events(response: Response): AsyncGenerator<SseEvent> {
  if (response.body === null) return
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ""
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return
    buffer = (buffer + value).replace(/\r\n?/g, "\n")
    let end = buffer.indexOf("\n\n")
    while (end >= 0) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      end = buffer.indexOf("\n\n")
      let event = "message"
      const data: Array<string> = []
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim()
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""))
      }
      if (data.length > 0) yield { event, data: data.join("\n") }
    }
  }
}

/** Parses an event's data; `undefined` when it is not JSON. */
export const dataOf = (event: SseEvent): unknown => parseJson(event.data)

/** The failure of anything thrown by a call (a network error included). */
export const failureOfThrown = (error: unknown): Failure =>
  error instanceof ApiError
    ? error.failure
    : failureOf(0, undefined, null, error instanceof Error ? error.message : String(error))

const statusOfErrorType: Record<string, number> = {
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  invalid_request_error: 400,
  agent_limit_error: 422,
  rate_limit_error: 429
}

/** The status an error event's `type` stands for (an error after the stream started has no status of its own). */
export const statusOfType = (type: unknown): number => statusOfErrorType[String(type)] ?? 500

/** A failure said for what it is: a title and a sentence. */
export const describe = (failure: Failure): { readonly title: string; readonly detail: string } => {
  const retry = failure.retryAfter === undefined ? "" : `\nRetry in ${duration(failure.retryAfter)}.`
  if (failure.status === 401) return { title: "Invalid key", detail: failure.message }
  if (failure.status === 403) return { title: "Not allowed", detail: failure.message }
  if (failure.status === 429 && (failure.code === "insufficient_quota" || /budget/i.test(failure.message))) {
    return { title: "Budget exhausted", detail: `${failure.message}${retry}` }
  }
  if (failure.status === 429) return { title: "Rate limited", detail: `${failure.message}${retry}` }
  if (failure.status === 404) return { title: "Not found", detail: failure.message }
  if (failure.status === 400 || failure.status === 422) return { title: "Request refused", detail: failure.message }
  if (failure.status === 0) return { title: "Network error", detail: failure.message }
  return { title: `Error ${failure.status}`, detail: `${failure.message}${retry}` }
}

/** Seconds as a short human duration. */
export const duration = (seconds: number): string => {
  if (seconds < 90) return `${seconds} s`
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`
  if (seconds < 36 * 3600) return `${Math.round(seconds / 3600)} h`
  return `${Math.round(seconds / 86400)} days`
}
