/**
 * Replay mode: recorded Bedrock interactions (the format of `test/fixtures/recordings/`), served in order per
 * operation and model id.
 */
import * as fs from "node:fs/promises"
import * as path from "node:path"

/** One recorded interaction. */
export interface Recording {
  readonly operation: string
  readonly modelId: string
  readonly request?: { readonly path?: string | undefined } | undefined
  readonly response: {
    readonly status: number
    readonly headers?: Readonly<Record<string, string>> | undefined
    readonly body?: unknown
    readonly bodyBase64?: string | undefined
  }
}

const isRecording = (value: unknown): value is Recording => {
  if (typeof value !== "object" || value === null) return false
  const record = value as Record<string, unknown>
  const response = record["response"] as Record<string, unknown> | undefined
  return typeof record["operation"] === "string" && typeof record["modelId"] === "string" &&
    typeof response === "object" && response !== null && typeof response["status"] === "number"
}

/** Reads a recording file, or every `*.json` recording in a directory (sorted by name). */
export const loadRecordings = async (location: string): Promise<ReadonlyArray<Recording>> => {
  const stat = await fs.stat(location)
  const files = stat.isDirectory()
    ? (await fs.readdir(location)).filter((name) => name.endsWith(".json")).sort().map((name) =>
      path.join(location, name)
    )
    : [location]
  const recordings: Array<Recording> = []
  for (const file of files) {
    const parsed: unknown = JSON.parse(await fs.readFile(file, "utf8"))
    if (isRecording(parsed)) recordings.push(parsed)
  }
  return recordings
}

export interface ReplayBook {
  /** The next recording for this operation and model id (cycling when all were served), if any. */
  readonly next: (operation: string, modelId: string) => Recording | undefined
  readonly reset: () => void
  readonly size: number
}

export const makeReplayBook = (recordings: ReadonlyArray<Recording>): ReplayBook => {
  const byKey = new Map<string, Array<Recording>>()
  for (const recording of recordings) {
    const key = `${recording.operation} ${recording.modelId}`
    const list = byKey.get(key) ?? []
    list.push(recording)
    byKey.set(key, list)
  }
  const cursors = new Map<string, number>()
  return {
    next: (operation, modelId) => {
      const key = `${operation} ${modelId}`
      const list = byKey.get(key)
      if (list === undefined) return undefined
      const cursor = cursors.get(key) ?? 0
      cursors.set(key, cursor + 1)
      return list[cursor % list.length]
    },
    reset: () => cursors.clear(),
    size: recordings.length
  }
}
