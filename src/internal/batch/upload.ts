/**
 * Streams a JSONL object to S3 with a multipart upload: lines are gathered into parts of `partBytes` (at least S3's
 * 5 MiB minimum) and each part is sent as soon as it is full, so no more than one part is ever held in memory.
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

export interface ObjectWriter {
  readonly key: string
  readonly write: (line: string) => Effect.Effect<void, BatchServiceError>
  readonly complete: Effect.Effect<void, BatchServiceError>
  readonly abort: Effect.Effect<void>
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
    let buffered: Array<Buffer> = []
    let size = 0

    const sendPart = Effect.suspend(() => {
      const body = Buffer.concat(buffered, size)
      buffered = []
      size = 0
      const partNumber = parts.length + 1
      return Effect.tryPromise({
        try: (signal) =>
          client.send(
            new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: body }),
            { abortSignal: signal }
          ),
        catch: serviceError("UploadPart")
      }).pipe(Effect.map((uploaded) => {
        parts.push({ PartNumber: partNumber, ETag: uploaded.ETag ?? "" })
      }))
    })

    const writer: ObjectWriter = {
      key,
      write: (line) =>
        Effect.suspend(() => {
          const bytes = Buffer.from(line, "utf8")
          buffered.push(bytes)
          size += bytes.length
          return size >= partBytes ? sendPart : Effect.void
        }),
      complete: Effect.gen(function*() {
        if (size > 0 || parts.length === 0) yield* sendPart
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
