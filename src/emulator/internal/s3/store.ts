/**
 * The S3 server's object store: object bytes in files under a temporary directory (so a store of any size costs the
 * process no memory), the index of keys, sizes and ETags in memory.
 */
import { createHash, randomUUID } from "node:crypto"
import { createReadStream, createWriteStream } from "node:fs"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { Readable } from "node:stream"
import { pipeline } from "node:stream/promises"

export interface ObjectInfo {
  readonly key: string
  readonly size: number
  readonly etag: string
  readonly lastModified: Date
  readonly contentType: string
  readonly file: string
}

interface Upload {
  readonly bucket: string
  readonly key: string
  readonly contentType: string
  readonly parts: Map<number, { readonly file: string; readonly size: number; readonly etag: string }>
}

export type StoreError =
  | { readonly code: "NoSuchBucket"; readonly status: 404; readonly message: string }
  | { readonly code: "NoSuchKey"; readonly status: 404; readonly message: string }
  | { readonly code: "NoSuchUpload"; readonly status: 404; readonly message: string }
  | { readonly code: "InvalidPart"; readonly status: 400; readonly message: string }
  | { readonly code: "InvalidPartOrder"; readonly status: 400; readonly message: string }
  | { readonly code: "BucketAlreadyOwnedByYou"; readonly status: 409; readonly message: string }

export type Result<A> = { readonly ok: true; readonly value: A } | { readonly ok: false; readonly error: StoreError }

const ok = <A>(value: A): Result<A> => ({ ok: true, value })
const noBucket = (bucket: string): Result<never> => ({
  ok: false,
  error: { code: "NoSuchBucket", status: 404, message: `The specified bucket does not exist: ${bucket}` }
})
const noKey = (key: string): Result<never> => ({
  ok: false,
  error: { code: "NoSuchKey", status: 404, message: `The specified key does not exist: ${key}` }
})
const noUpload: Result<never> = {
  ok: false,
  error: { code: "NoSuchUpload", status: 404, message: "The specified multipart upload does not exist." }
}

export interface ObjectStore {
  readonly createBucket: (bucket: string) => Result<void>
  readonly hasBucket: (bucket: string) => boolean
  readonly put: (bucket: string, key: string, body: Readable, contentType: string) => Promise<Result<ObjectInfo>>
  readonly head: (bucket: string, key: string) => Result<ObjectInfo>
  /** A stream of the bytes `start..end` (inclusive) of an object. */
  readonly read: (info: ObjectInfo, range?: { readonly start: number; readonly end: number }) => Readable
  readonly remove: (bucket: string, key: string) => Promise<Result<void>>
  /** Keys in lexicographic order, starting after `after`. */
  readonly list: (bucket: string, prefix: string, after: string, max: number) => Result<{
    readonly objects: ReadonlyArray<ObjectInfo>
    readonly truncated: boolean
  }>
  readonly createUpload: (bucket: string, key: string, contentType: string) => Result<string>
  readonly uploadPart: (uploadId: string, partNumber: number, body: Readable) => Promise<Result<string>>
  readonly completeUpload: (
    uploadId: string,
    parts: ReadonlyArray<{ readonly partNumber: number; readonly etag: string }>
  ) => Promise<Result<ObjectInfo>>
  readonly abortUpload: (uploadId: string) => Promise<Result<void>>
  /** Deletes every file of the store. */
  readonly close: () => Promise<void>
}

const quoted = (hex: string) => `"${hex}"`

/** Writes a body to a new file in `dir`, hashing it on the way; resolves with the file, its size and its MD5. */
const writeFile = async (dir: string, body: Readable): Promise<{ file: string; size: number; md5: Buffer }> => {
  const file = join(dir, randomUUID())
  const hash = createHash("md5")
  let size = 0
  body.on("data", (chunk: Buffer) => {
    hash.update(chunk)
    size += chunk.length
  })
  await pipeline(body, createWriteStream(file))
  return { file, size, md5: hash.digest() }
}

/** Opens a store in a fresh temporary directory. */
export const openStore = async (): Promise<ObjectStore> => {
  const dir = await mkdtemp(join(tmpdir(), "bedrock-llm-s3-"))
  const buckets = new Map<string, Map<string, ObjectInfo>>()
  const uploads = new Map<string, Upload>()

  const replace = async (bucket: Map<string, ObjectInfo>, info: ObjectInfo) => {
    const previous = bucket.get(info.key)
    bucket.set(info.key, info)
    if (previous !== undefined) await rm(previous.file, { force: true })
  }

  const store: ObjectStore = {
    createBucket: (bucket) => {
      if (buckets.has(bucket)) {
        return {
          ok: false,
          error: { code: "BucketAlreadyOwnedByYou", status: 409, message: `Bucket ${bucket} already exists.` }
        }
      }
      buckets.set(bucket, new Map())
      return ok(undefined)
    },
    hasBucket: (bucket) => buckets.has(bucket),
    put: async (bucketName, key, body, contentType) => {
      const bucket = buckets.get(bucketName)
      if (bucket === undefined) {
        body.resume()
        return noBucket(bucketName)
      }
      const written = await writeFile(dir, body)
      const info: ObjectInfo = {
        key,
        size: written.size,
        etag: quoted(written.md5.toString("hex")),
        lastModified: new Date(),
        contentType,
        file: written.file
      }
      await replace(bucket, info)
      return ok(info)
    },
    head: (bucketName, key) => {
      const bucket = buckets.get(bucketName)
      if (bucket === undefined) return noBucket(bucketName)
      const info = bucket.get(key)
      return info === undefined ? noKey(key) : ok(info)
    },
    read: (info, range) =>
      range === undefined
        ? createReadStream(info.file)
        : createReadStream(info.file, { start: range.start, end: range.end }),
    remove: async (bucketName, key) => {
      const bucket = buckets.get(bucketName)
      if (bucket === undefined) return noBucket(bucketName)
      const info = bucket.get(key)
      bucket.delete(key)
      if (info !== undefined) await rm(info.file, { force: true })
      return ok(undefined)
    },
    list: (bucketName, prefix, after, max) => {
      const bucket = buckets.get(bucketName)
      if (bucket === undefined) return noBucket(bucketName)
      const keys = Array.from(bucket.keys()).filter((key) => key.startsWith(prefix) && key > after).sort()
      return ok({ objects: keys.slice(0, max).map((key) => bucket.get(key)!), truncated: keys.length > max })
    },
    createUpload: (bucket, key, contentType) => {
      if (!buckets.has(bucket)) return noBucket(bucket)
      const uploadId = randomUUID().replaceAll("-", "")
      uploads.set(uploadId, { bucket, key, contentType, parts: new Map() })
      return ok(uploadId)
    },
    uploadPart: async (uploadId, partNumber, body) => {
      const upload = uploads.get(uploadId)
      if (upload === undefined) {
        body.resume()
        return noUpload
      }
      const written = await writeFile(dir, body)
      const etag = quoted(written.md5.toString("hex"))
      const previous = upload.parts.get(partNumber)
      upload.parts.set(partNumber, { file: written.file, size: written.size, etag })
      if (previous !== undefined) await rm(previous.file, { force: true })
      return ok(etag)
    },
    completeUpload: async (uploadId, parts) => {
      const upload = uploads.get(uploadId)
      if (upload === undefined) return noUpload
      const bucket = buckets.get(upload.bucket)
      if (bucket === undefined) return noBucket(upload.bucket)
      const md5s: Array<Buffer> = []
      let previousNumber = 0
      for (const part of parts) {
        const stored = upload.parts.get(part.partNumber)
        if (stored === undefined || stored.etag !== quoted(part.etag.replaceAll("\"", ""))) {
          return {
            ok: false,
            error: { code: "InvalidPart", status: 400, message: `Part ${part.partNumber} was not uploaded as given.` }
          }
        }
        if (part.partNumber <= previousNumber) {
          return {
            ok: false,
            error: { code: "InvalidPartOrder", status: 400, message: "The list of parts was not in ascending order." }
          }
        }
        previousNumber = part.partNumber
        md5s.push(Buffer.from(stored.etag.slice(1, -1), "hex"))
      }
      const file = join(dir, randomUUID())
      const out = createWriteStream(file)
      let size = 0
      for (const part of parts) {
        const stored = upload.parts.get(part.partNumber)!
        size += stored.size
        await pipeline(createReadStream(stored.file), out, { end: false })
      }
      await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => error ? reject(error) : resolve()))
      uploads.delete(uploadId)
      await Promise.all(Array.from(upload.parts.values(), (part) => rm(part.file, { force: true })))
      const etag = quoted(`${createHash("md5").update(Buffer.concat(md5s)).digest("hex")}-${parts.length}`)
      const info: ObjectInfo = {
        key: upload.key,
        size,
        etag,
        lastModified: new Date(),
        contentType: upload.contentType,
        file
      }
      await replace(bucket, info)
      return ok(info)
    },
    abortUpload: async (uploadId) => {
      const upload = uploads.get(uploadId)
      if (upload === undefined) return noUpload
      uploads.delete(uploadId)
      await Promise.all(Array.from(upload.parts.values(), (part) => rm(part.file, { force: true })))
      return ok(undefined)
    },
    close: () => rm(dir, { recursive: true, force: true })
  }
  return store
}
