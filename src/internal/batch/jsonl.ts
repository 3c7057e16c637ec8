/**
 * JSONL files for the CLI, streamed: input lines as batch records, results as output lines, the submission state.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { createReadStream, createWriteStream } from "node:fs"
import { readFile, rename, writeFile } from "node:fs/promises"
import * as Message from "../../Message.js"
import * as Response from "../../Response.js"
import { InvalidRecord } from "./errors.js"
import type { BatchRecord } from "./records.js"
import type { RecordResult } from "./results.js"

/** A file could not be read or written. */
export class FileError extends Data.TaggedError("FileError")<{ readonly message: string }> {}

const fileError = (path: string) => (cause: unknown) => new FileError({ message: `${path}: ${String(cause)}` })

const textOf = (content: unknown): string | undefined =>
  typeof content === "string"
    ? content
    : Array.isArray(content) && content.every((block) => typeof block?.text === "string")
    ? content.map((block: { text: string }) => block.text).join("")
    : undefined

/**
 * One input line as a record: `{"recordId", "modelInput"}` (Bedrock's own format: a native body) or
 * `{"recordId", "messages": [{"role", "content"}], "system", "maxTokens"}` with text content (Converse-shaped).
 */
export const recordOfLine = (line: string, index: number): Either.Either<BatchRecord, InvalidRecord> => {
  const invalid = (message: string, recordId = `#${index}`) =>
    Either.left(new InvalidRecord({ recordId, index, message: `line ${index + 1}: ${message}` }))
  let value: Record<string, unknown>
  try {
    value = JSON.parse(line) as Record<string, unknown>
  } catch {
    return invalid("not valid JSON")
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return invalid("not a JSON object")
  const recordId = typeof value["recordId"] === "string" ? value["recordId"] : undefined
  if (typeof value["modelInput"] === "object" && value["modelInput"] !== null) {
    return Either.right({ recordId, body: value["modelInput"] as Message.JsonObject })
  }
  if (!Array.isArray(value["messages"])) return invalid("needs modelInput or messages", recordId)
  const messages: Array<Message.Message> = []
  for (const message of value["messages"] as Array<{ role?: unknown; content?: unknown }>) {
    const text = textOf(message?.content)
    if (text === undefined || (message.role !== "user" && message.role !== "assistant")) {
      return invalid("each message needs a role (user or assistant) and text content", recordId)
    }
    messages.push(message.role === "user" ? Message.user(text) : Message.assistant(text))
  }
  const system = typeof value["system"] === "string" ? [{ _tag: "Text" as const, text: value["system"] }] : undefined
  const maxTokens = typeof value["maxTokens"] === "number" ? value["maxTokens"] : undefined
  return Either.right({ recordId, messages, system, maxTokens })
}

/** The records of a JSONL file, streamed. */
export const readRecords = (path: string): Stream.Stream<BatchRecord, InvalidRecord | FileError> =>
  Stream.fromAsyncIterable(createReadStream(path), fileError(path)).pipe(
    Stream.decodeText(),
    Stream.splitLines,
    Stream.filter((line) => line.trim() !== ""),
    Stream.zipWithIndex,
    Stream.mapEffect(([line, index]) => recordOfLine(line, index))
  )

const encodeResponse = Schema.encodeSync(Response.Response)

/** One result as a JSONL line: `{"recordId", "response"}` or `{"recordId", "error": {"_tag", "message"}}`. */
export const resultLine = (result: RecordResult): string =>
  `${
    JSON.stringify(
      Either.isRight(result.result)
        ? { recordId: result.recordId, response: encodeResponse(result.result.right) }
        : { recordId: result.recordId, error: { _tag: result.result.left._tag, message: result.result.left.message } }
    )
  }\n`

/**
 * Writes results to `path` through a temporary file renamed at the end, so an interrupted run leaves no partial
 * file and can simply be run again.
 */
export const writeResults = <E>(
  path: string,
  results: Stream.Stream<RecordResult, E>,
  onResult: (count: number) => void
): Effect.Effect<number, E | FileError> =>
  Effect.acquireUseRelease(
    Effect.sync(() => createWriteStream(`${path}.partial`)),
    (out) =>
      Stream.runFoldEffect(results, 0, (count, result) =>
        Effect.async<number>((resume) => {
          onResult(count + 1)
          if (out.write(resultLine(result))) resume(Effect.succeed(count + 1))
          else out.once("drain", () => resume(Effect.succeed(count + 1)))
        })).pipe(
          Effect.tap(() =>
            Effect.tryPromise({
              try: () =>
                new Promise<void>((resolve, reject) =>
                  out.end((error?: Error | null) => error ? reject(error) : resolve())
                ),
              catch: fileError(path)
            })
          ),
          Effect.tap(() => Effect.tryPromise({ try: () => rename(`${path}.partial`, path), catch: fileError(path) }))
        ),
    (out) => Effect.sync(() => out.destroy())
  )

export const writeJson = (path: string, value: unknown): Effect.Effect<void, FileError> =>
  Effect.tryPromise({ try: () => writeFile(path, `${JSON.stringify(value, null, 2)}\n`), catch: fileError(path) })

export const readJson = (path: string): Effect.Effect<unknown, FileError> =>
  Effect.tryPromise({ try: async () => JSON.parse(await readFile(path, "utf8")) as unknown, catch: fileError(path) })
