/** Test helper: the Server-Sent Events of a fetch response, parsed as they arrive (comments kept apart). */

export interface SseEvent {
  readonly event: string | undefined
  readonly data: string
}

export interface SseRead {
  readonly events: ReadonlyArray<SseEvent>
  /** Comment lines (`: keep-alive`). */
  readonly comments: ReadonlyArray<string>
}

/** Parses the whole text of an event stream. */
export const parseSse = (text: string): SseRead => {
  const events: Array<SseEvent> = []
  const comments: Array<string> = []
  for (const frame of text.split("\n\n")) {
    if (frame.trim() === "") continue
    let event: string | undefined
    const data: Array<string> = []
    for (const line of frame.split("\n")) {
      if (line.startsWith(":")) comments.push(line.slice(1).trim())
      else if (line.startsWith("event: ")) event = line.slice(7)
      else if (line.startsWith("data: ")) data.push(line.slice(6))
    }
    if (event !== undefined || data.length > 0) events.push({ event, data: data.join("\n") })
  }
  return { events, comments }
}

/** Reads a response's event stream to its end. */
export const readSse = async (response: Response): Promise<SseRead> => parseSse(await response.text())

/** Reads events until `until` says stop, then aborts the response (a client that goes away mid-stream). */
export const readSseUntil = async (
  response: Response,
  abort: AbortController,
  until: (events: ReadonlyArray<SseEvent>) => boolean
): Promise<ReadonlyArray<SseEvent>> => {
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  let text = ""
  for (let reads = 0; reads < 10_000; reads++) {
    const { done, value } = await reader.read()
    if (done) break
    text += decoder.decode(value, { stream: true })
    const { events } = parseSse(text.slice(0, text.lastIndexOf("\n\n") + 2))
    if (until(events)) {
      abort.abort()
      return events
    }
  }
  return parseSse(text).events
}

/**
 * After a client went away mid-stream: waits (real time, bounded to 5 s) until the emulator counted the abort and the
 * request's log line is written, and gives that line.
 */
export const afterAbort = async <L extends { readonly path?: string | undefined }>(
  service: {
    readonly logs: ReadonlyArray<L>
    readonly emulator: { readonly stats: () => { streamsAbortedByClient: number } }
  },
  path: (path: string) => boolean
): Promise<L | undefined> => {
  for (let attempt = 0; attempt < 200; attempt++) {
    const found = service.logs.find((log) => log.path !== undefined && path(log.path))
    if (found !== undefined && service.emulator.stats().streamsAbortedByClient > 0) return found
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return undefined
}
