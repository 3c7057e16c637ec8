import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  UploadPartCommand
} from "@aws-sdk/client-s3"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Readable } from "node:stream"
import { batchEmulator, credentials } from "./helpers.js"

const s3Client = (url: string) =>
  Effect.acquireRelease(
    Effect.sync(() => new S3Client({ endpoint: url, region: "us-east-1", credentials, forcePathStyle: true })),
    (client) => Effect.sync(() => client.destroy())
  )

const send = <A>(run: () => Promise<A>) => Effect.promise(run)

describe("the emulator's S3 server, through @aws-sdk/client-s3", () => {
  it.scoped("puts, gets (with ranges), heads, lists page by page and deletes objects", () =>
    Effect.gen(function*() {
      const emulator = yield* batchEmulator({})
      const s3 = yield* s3Client(emulator.batch!.s3Url)
      yield* send(() => s3.send(new CreateBucketCommand({ Bucket: "data" })))
      for (let index = 0; index < 5; index++) {
        yield* send(() =>
          s3.send(new PutObjectCommand({ Bucket: "data", Key: `k/${index}.txt`, Body: `object ${index}` }))
        )
      }
      // A stream body: the SDK sends it `aws-chunked`, with a trailing CRC32 checksum.
      const streamed = Readable.from([Buffer.from("streamed "), Buffer.from("body of unknown length")])
      yield* send(() =>
        s3.send(new PutObjectCommand({ Bucket: "data", Key: "k/streamed.txt", Body: streamed, ContentLength: 31 }))
      )
      const whole = yield* send(() => s3.send(new GetObjectCommand({ Bucket: "data", Key: "k/streamed.txt" })))
      assert.strictEqual(yield* send(() => whole.Body!.transformToString()), "streamed body of unknown length")
      const range = yield* send(() =>
        s3.send(new GetObjectCommand({ Bucket: "data", Key: "k/3.txt", Range: "bytes=2-5" }))
      )
      assert.strictEqual(yield* send(() => range.Body!.transformToString()), "ject")
      assert.strictEqual(range.ContentRange, "bytes 2-5/8")
      const head = yield* send(() => s3.send(new HeadObjectCommand({ Bucket: "data", Key: "k/1.txt" })))
      assert.strictEqual(head.ContentLength, 8)
      const first = yield* send(() => s3.send(new ListObjectsV2Command({ Bucket: "data", Prefix: "k/", MaxKeys: 4 })))
      assert.strictEqual(first.KeyCount, 4)
      assert.isTrue(first.IsTruncated)
      const second = yield* send(() =>
        s3.send(
          new ListObjectsV2Command({
            Bucket: "data",
            Prefix: "k/",
            MaxKeys: 4,
            ContinuationToken: first.NextContinuationToken
          })
        )
      )
      assert.deepStrictEqual(second.Contents?.map((object) => object.Key), ["k/4.txt", "k/streamed.txt"])
      yield* send(() => s3.send(new DeleteObjectCommand({ Bucket: "data", Key: "k/4.txt" })))
      const gone = yield* Effect.flip(
        Effect.tryPromise(() => s3.send(new GetObjectCommand({ Bucket: "data", Key: "k/4.txt" })))
      )
      assert.instanceOf(gone.error, NoSuchKey)
    }))

  it.scoped("a multipart upload of several parts completes into one object with S3's multipart ETag", () =>
    Effect.gen(function*() {
      const emulator = yield* batchEmulator({})
      const s3 = yield* s3Client(emulator.batch!.s3Url)
      yield* send(() => s3.send(new CreateBucketCommand({ Bucket: "data" })))
      const created = yield* send(() => s3.send(new CreateMultipartUploadCommand({ Bucket: "data", Key: "big.bin" })))
      const parts = [Buffer.alloc(5 * 1024 * 1024, 97), Buffer.alloc(5 * 1024 * 1024, 98), Buffer.from("tail")]
      const uploaded: Array<{ PartNumber: number; ETag: string }> = []
      for (const [index, body] of parts.entries()) {
        const part = yield* send(() =>
          s3.send(
            new UploadPartCommand({
              Bucket: "data",
              Key: "big.bin",
              UploadId: created.UploadId,
              PartNumber: index + 1,
              Body: body
            })
          )
        )
        uploaded.push({ PartNumber: index + 1, ETag: part.ETag! })
      }
      const done = yield* send(() =>
        s3.send(
          new CompleteMultipartUploadCommand({
            Bucket: "data",
            Key: "big.bin",
            UploadId: created.UploadId,
            MultipartUpload: { Parts: uploaded }
          })
        )
      )
      assert.match(done.ETag ?? "", /^"[0-9a-f]{32}-3"$/)
      const tail = yield* send(() =>
        s3.send(new GetObjectCommand({ Bucket: "data", Key: "big.bin", Range: "bytes=-5" }))
      )
      assert.strictEqual(yield* send(() => tail.Body!.transformToString()), "btail")
      const head = yield* send(() => s3.send(new HeadObjectCommand({ Bucket: "data", Key: "big.bin" })))
      assert.strictEqual(head.ContentLength, 10 * 1024 * 1024 + 4)
    }))
})
