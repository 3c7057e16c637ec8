/**
 * Where the Batch API keeps its files and batches: in the batch bucket (the one `BatchInference` writes its job
 * input and output to), under `<prefix>keys/<key id>/`, so that every instance sees the same state and a key only
 * ever reads its own (another key's id is simply not there). A file is its content plus a JSON object of its
 * metadata; a batch is one JSON object, rewritten as it moves on. A batch that has not ended also has an empty marker
 * under `<prefix>active/<key id>/`, so that the background finalizer finds the unfinished batches of every key without
 * reading the others. Finalizing a batch is claimed with a conditional create (`If-None-Match: *`) so that one
 * instance writes its results and settles its cost. Output files are written line by line with a multipart upload.
 *
 * @since 0.1.0
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client
} from "@aws-sdk/client-s3"
import { type Config as BatchConfig, openLineWriter } from "bedrock-llm/BatchInference"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { StoreError } from "../../StoreError.js"
import { StoredBatch, StoredFile } from "./BatchSchemas.js"

/**
 * @since 0.1.0
 */
export declare namespace BatchStore {
  /**
   * The store.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    readonly putFile: (file: StoredFile, content: Uint8Array | string) => Effect.Effect<void, StoreError>
    /** Starts writing a file's content line by line (multipart); `finish` stores it with its metadata. */
    readonly openFile: (keyId: string, id: string) => Effect.Effect<FileWriter, StoreError>
    /** The key's files, oldest first (file ids sort by creation time). */
    readonly listFiles: (keyId: string) => Effect.Effect<ReadonlyArray<StoredFile>, StoreError>
    /** Deletes a file's metadata and content. */
    readonly deleteFile: (keyId: string, id: string) => Effect.Effect<void, StoreError>
    readonly getFile: (keyId: string, id: string) => Effect.Effect<Option.Option<StoredFile>, StoreError>
    /** The file's content as it was stored. */
    readonly content: (keyId: string, id: string) => Stream.Stream<Uint8Array, StoreError>
    readonly putBatch: (batch: StoredBatch) => Effect.Effect<void, StoreError>
    readonly getBatch: (keyId: string, id: string) => Effect.Effect<Option.Option<StoredBatch>, StoreError>
    /** The key's batches, oldest first (batch ids sort by creation time). */
    readonly listBatches: (keyId: string) => Effect.Effect<ReadonlyArray<StoredBatch>, StoreError>
    /** Marks a batch as not ended, for `listActive`. */
    readonly markActive: (keyId: string, id: string) => Effect.Effect<void, StoreError>
    readonly clearActive: (keyId: string, id: string) => Effect.Effect<void, StoreError>
    /** Every key's batches marked as not ended. */
    readonly listActive: Effect.Effect<ReadonlyArray<{ readonly keyId: string; readonly id: string }>, StoreError>
    /** Claims a batch's finalization: `true` for the one caller that gets it. */
    readonly claimFinalization: (keyId: string, id: string) => Effect.Effect<boolean, StoreError>
  }
}

/**
 * A file being written: lines go out in multipart parts as they fill.
 *
 * @since 0.1.0
 * @category models
 */
export interface FileWriter {
  /** Appends a line (with its newline). */
  readonly write: (line: string) => Effect.Effect<void, StoreError>
  /** Completes the content and stores the metadata, with the bytes written. */
  readonly finish: (file: Omit<StoredFile, "bytes">) => Effect.Effect<StoredFile, StoreError>
  readonly abort: Effect.Effect<void>
}

/**
 * The store's tag.
 *
 * @since 0.1.0
 * @category services
 */
export class BatchStore extends Context.Tag("bedrock-llm-backend/BatchStore")<BatchStore, BatchStore.Service>() {}

const storeError = (operation: string) => (cause: unknown) => {
  const error = cause as { readonly name?: unknown; readonly message?: unknown } | undefined
  return new StoreError({
    store: "batch bucket",
    operation,
    message: `${typeof error?.name === "string" ? error.name : "Error"}: ${
      typeof error?.message === "string" ? error.message : String(cause)
    }`,
    condition: error?.name === "PreconditionFailed"
  })
}

const isMissing = (error: StoreError) => error.message.startsWith("NoSuchKey")

const decodeFile = Schema.decodeUnknown(Schema.parseJson(StoredFile))
const decodeBatch = Schema.decodeUnknown(Schema.parseJson(StoredBatch))

/**
 * The store over an S3 client, in a bucket under a prefix.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (client: S3Client, bucket: string, prefix: string): BatchStore.Service => {
  const folder = (keyId: string) => `${prefix}keys/${keyId}/`
  const fileKey = (keyId: string, id: string) => `${folder(keyId)}files/${id}`
  const batchKey = (keyId: string, id: string) => `${folder(keyId)}batches/${id}.json`

  const put = (operation: string, input: Omit<PutObjectCommandInput, "Bucket">) =>
    Effect.asVoid(Effect.tryPromise({
      try: (signal) => client.send(new PutObjectCommand({ Bucket: bucket, ...input }), { abortSignal: signal }),
      catch: storeError(operation)
    }))

  const body = (key: string) =>
    Effect.tryPromise({
      try: (signal) => client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal }),
      catch: storeError("GetObject")
    }).pipe(Effect.map((object) => object.Body as AsyncIterable<Uint8Array> & { transformToString(): Promise<string> }))

  /** An object's text, or `None` when there is none. */
  const text = (key: string) =>
    body(key).pipe(
      Effect.flatMap((stream) =>
        Effect.tryPromise({ try: () => stream.transformToString(), catch: storeError("GetObject") })
      ),
      Effect.map(Option.some),
      Effect.catchIf(isMissing, () => Effect.succeedNone)
    )

  const decoded = <A>(key: string, decode: (text: string) => Effect.Effect<A, unknown>) =>
    Effect.flatMap(text(key), (found) =>
      Option.match(found, {
        onNone: () => Effect.succeedNone,
        onSome: (json) => Effect.map(Effect.mapError(decode(json), storeError("Decode")), Option.some)
      }))

  const json = (value: unknown) => ({ Body: JSON.stringify(value), ContentType: "application/json" })

  const activeKey = (keyId: string, id: string) => `${prefix}active/${keyId}/${id}`

  const remove = (key: string) =>
    Effect.asVoid(Effect.tryPromise({
      try: (signal) => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal }),
      catch: storeError("DeleteObject")
    }))

  /** The keys of the objects under a prefix, page by page. */
  const keysUnder = (under: string) =>
    Stream.paginateChunkEffect(undefined as string | undefined, (token) =>
      Effect.tryPromise({
        try: (signal) =>
          client.send(
            new ListObjectsV2Command({ Bucket: bucket, Prefix: under, ContinuationToken: token }),
            { abortSignal: signal }
          ),
        catch: storeError("ListObjectsV2")
      }).pipe(Effect.map((page) =>
        [
          Chunk.fromIterable((page.Contents ?? []).flatMap((object) => object.Key === undefined ? [] : [object.Key])),
          page.IsTruncated === true && page.NextContinuationToken !== undefined
            ? Option.some(page.NextContinuationToken)
            : Option.none<string>()
        ] as const
      )))

  /** The JSON objects under a prefix, decoded, sorted by id. */
  const decodedUnder = <A extends { readonly id: string }>(
    under: string,
    decode: (text: string) => Effect.Effect<A, unknown>
  ) =>
    keysUnder(under).pipe(
      Stream.filter((key) => key.endsWith(".json")),
      Stream.mapEffect((key) => decoded(key, decode), { concurrency: 8 }),
      Stream.filterMap((found) => found),
      Stream.runCollect,
      Effect.map((found) => Array.from(found).sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    )

  const openFile: BatchStore.Service["openFile"] = (keyId, id) =>
    Effect.map(
      Effect.mapError(openLineWriter(client, bucket, fileKey(keyId, id)), storeError("CreateMultipartUpload")),
      (writer): FileWriter => ({
        write: (line) => Effect.mapError(writer.write(line), storeError("UploadPart")),
        finish: (file) =>
          Effect.gen(function*() {
            yield* Effect.mapError(writer.complete, storeError("CompleteMultipartUpload"))
            const stored: StoredFile = { ...file, bytes: writer.bytes() }
            yield* put("PutObject", { Key: `${fileKey(keyId, id)}.json`, ...json(stored) })
            return stored
          }),
        abort: writer.abort
      })
    )

  return {
    putFile: (file, content) =>
      Effect.zipRight(
        put("PutObject", { Key: fileKey(file.keyId, file.id), Body: content, ContentType: "application/jsonl" }),
        put("PutObject", { Key: `${fileKey(file.keyId, file.id)}.json`, ...json(file) })
      ),
    openFile,
    getFile: (keyId, id) => decoded(`${fileKey(keyId, id)}.json`, decodeFile),
    listFiles: (keyId) => decodedUnder(`${folder(keyId)}files/`, decodeFile),
    deleteFile: (keyId, id) => Effect.zipRight(remove(`${fileKey(keyId, id)}.json`), remove(fileKey(keyId, id))),
    content: (keyId, id) =>
      Stream.unwrap(Effect.map(
        body(fileKey(keyId, id)),
        (stream) => Stream.fromAsyncIterable(stream, storeError("GetObject"))
      )),
    putBatch: (batch) => put("PutObject", { Key: batchKey(batch.keyId, batch.id), ...json(batch) }),
    getBatch: (keyId, id) => decoded(batchKey(keyId, id), decodeBatch),
    listBatches: (keyId) => decodedUnder(`${folder(keyId)}batches/`, decodeBatch),
    markActive: (keyId, id) => put("PutObject", { Key: activeKey(keyId, id), ...json({}) }),
    clearActive: (keyId, id) => remove(activeKey(keyId, id)),
    listActive: keysUnder(`${prefix}active/`).pipe(
      Stream.filterMap((key) => {
        const [keyId, id] = key.slice(`${prefix}active/`.length).split("/")
        return keyId === undefined || id === undefined ? Option.none() : Option.some({ keyId, id })
      }),
      Stream.runCollect,
      Effect.map(Chunk.toReadonlyArray)
    ),
    claimFinalization: (keyId, id) =>
      // The claim's body says when it was taken; an empty one would go out without a Content-Length.
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        put("PutObject", {
          Key: `${batchKey(keyId, id)}.finalizing`,
          ...json({ claimedAt: new Date(now).toISOString() }),
          IfNoneMatch: "*"
        })).pipe(
          Effect.as(true),
          Effect.catchIf((error) => error.condition, () => Effect.succeed(false))
        )
  }
}

/**
 * The store in the batch configuration's bucket (its S3 endpoint, region and credentials), under
 * `<prefix>gateway/`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (config: BatchConfig): Layer.Layer<BatchStore> =>
  Layer.scoped(
    BatchStore,
    Effect.map(
      Effect.acquireRelease(
        Effect.sync(() =>
          new S3Client({
            region: config.region ?? "us-east-1",
            ...(config.credentials === undefined ? {} : { credentials: config.credentials }),
            ...(config.s3Endpoint === undefined ? {} : { endpoint: config.s3Endpoint, forcePathStyle: true })
          })
        ),
        (client) => Effect.sync(() => client.destroy())
      ),
      (client) => make(client, config.bucket, `${config.prefix ?? "bedrock-llm-batch/"}gateway/`)
    )
  )
