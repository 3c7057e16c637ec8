/**
 * Streams a JSONL object to S3 with a multipart upload: lines are gathered into parts of `partBytes` (at least S3's
 * 5 MiB minimum) and each part is sent as soon as it is full, so no more than one part is ever held in memory; the
 * next line waits for the part's upload (backpressure on the record stream).
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  type S3Client,
  UploadPartCommand
} from "@aws-sdk/client-s3"
import * as Effect from "effect/Effect"
import { type BatchServiceError, serviceError } from "./errors.js"

/** S3's smallest part (all parts but the last). */
export const minimumPartBytes = 5 * 1024 * 1024

/** An object being written (`BatchInference.LineWriter`). */
export interface ObjectWriter {
  readonly key: string
  /** Bytes written so far. */
  readonly bytes: () => number
  /** Appends a line (the caller gives its newline); waits while a full part is being sent. */
  readonly write: (line: string) => Effect.Effect<void, BatchServiceError>
  readonly complete: Effect.Effect<void, BatchServiceError>
  readonly abort: Effect.Effect<void>
}

/**
 * One part's bytes, encoded straight into a buffer that is reused for every part: no buffer per line and no copy to
 * join them (the buffer grows only for a line larger than a part).
 */
const makePartBuffer = (capacity: number) => {
  let buffer = Buffer.allocUnsafe(capacity)
  let size = 0
  return {
    size: () => size,
    append: (line: string, bytes: number) => {
      if (size + bytes > buffer.length) {
        const grown = Buffer.allocUnsafe(Math.max(buffer.length * 2, size + bytes))
        buffer.copy(grown, 0, 0, size)
        buffer = grown
      }
      size += buffer.write(line, size, "utf8")
    },
    /** The part so far; valid until `clear`. */
    contents: () => buffer.subarray(0, size),
    clear: () => {
      size = 0
    }
  }
}

/** Starts a multipart upload of `bucket/key`. */
export const openObjectWriter = (
  client: S3Client,
  bucket: string,
  key: string,
  partBytes: number
): Effect.Effect<ObjectWriter, BatchServiceError> =>
  Effect.gen(function*() {
    const created = yield* Effect.tryPromise({
      try: (signal) =>
        client.send(
          new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: "application/jsonl" }),
          { abortSignal: signal }
        ),
      catch: serviceError("CreateMultipartUpload")
    })
    const uploadId = created.UploadId ?? ""
    const parts: Array<{ PartNumber: number; ETag: string }> = []
    const part = makePartBuffer(partBytes)
    let total = 0

    const sendPart = Effect.suspend(() => {
      const body = part.contents()
      const partNumber = parts.length + 1
      return Effect.tryPromise({
        try: (signal) =>
          client.send(
            new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: body }),
            { abortSignal: signal }
          ),
        catch: serviceError("UploadPart")
      }).pipe(Effect.map((uploaded) => {
        part.clear()
        parts.push({ PartNumber: partNumber, ETag: uploaded.ETag ?? "" })
      }))
    })

    const writer: ObjectWriter = {
      key,
      bytes: () => total,
      write: (line) =>
        Effect.suspend(() => {
          const bytes = Buffer.byteLength(line, "utf8")
          total += bytes
          const flushFirst = part.size() + bytes > partBytes && part.size() >= minimumPartBytes
          return flushFirst
            ? Effect.zipRight(sendPart, Effect.sync(() => part.append(line, bytes)))
            : Effect.sync(() => part.append(line, bytes))
        }),
      complete: Effect.gen(function*() {
        if (part.size() > 0 || parts.length === 0) yield* sendPart
        yield* Effect.tryPromise({
          try: (signal) =>
            client.send(
              new CompleteMultipartUploadCommand({
                Bucket: bucket,
                Key: key,
                UploadId: uploadId,
                MultipartUpload: { Parts: parts }
              }),
              { abortSignal: signal }
            ),
          catch: serviceError("CompleteMultipartUpload")
        })
      }),
      abort: Effect.promise(() =>
        client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() =>
          undefined
        )
      ).pipe(Effect.asVoid)
    }
    return writer
  })
