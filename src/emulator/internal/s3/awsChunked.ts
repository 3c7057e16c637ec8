/**
 * Decodes the `aws-chunked` content encoding the AWS SDK uses for streaming uploads with trailing checksums: chunks of
 * `<hex size>[;chunk-signature=...]\r\n<bytes>\r\n`, a zero-size chunk, then trailer lines and an empty line.
 */
import { Transform, type TransformCallback } from "node:stream"

const crlf = Buffer.from("\r\n")

/** A Transform from an `aws-chunked` body to the payload bytes; a malformed body fails the stream. */
export const awsChunkedDecoder = (): Transform => {
  let pending: Buffer = Buffer.alloc(0)
  let remaining = -1
  let done = false
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
      while (!done) {
        if (remaining > 0) {
          if (pending.length === 0) break
          const take = Math.min(remaining, pending.length)
          this.push(pending.subarray(0, take))
          pending = pending.subarray(take)
          remaining -= take
          continue
        }
        if (remaining === 0) {
          if (pending.length < 2) break
          if (!pending.subarray(0, 2).equals(crlf)) {
            return callback(new Error("aws-chunked: a chunk does not end in CRLF"))
          }
          pending = pending.subarray(2)
          remaining = -1
          continue
        }
        const end = pending.indexOf(crlf)
        if (end === -1) {
          if (pending.length > 4096) return callback(new Error("aws-chunked: chunk header too long"))
          break
        }
        const header = pending.subarray(0, end).toString("latin1")
        const size = Number.parseInt(header.split(";")[0] ?? "", 16)
        if (!Number.isFinite(size) || size < 0) return callback(new Error("aws-chunked: invalid chunk size"))
        pending = pending.subarray(end + 2)
        if (size === 0) done = true
        else remaining = size
      }
      callback()
    },
    flush(callback: TransformCallback) {
      callback(done ? undefined : new Error("aws-chunked: the body ended before its last chunk"))
    }
  })
}
