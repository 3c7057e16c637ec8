/**
 * A small but real S3 REST server on loopback (path-style addressing) over an `ObjectStore`: buckets, PutObject,
 * multipart uploads (create, upload part, complete, abort), GetObject with byte ranges, HeadObject, DeleteObject and
 * ListObjectsV2, with S3's XML bodies and error codes, so that `@aws-sdk/client-s3` works against it unchanged. It checks
 * that requests are signed in SigV4's form but does not verify signatures.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo, Socket } from "node:net"
import type { Readable } from "node:stream"
import { awsChunkedDecoder } from "./awsChunked.js"
import type { ObjectInfo, ObjectStore, StoreError } from "./store.js"

const xmlns = "http://s3.amazonaws.com/doc/2006-03-01/"

const escapeXml = (text: string): string =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll("\"", "&quot;")

const xml = (root: string, inner: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${xmlns}">${inner}</${root}>`

const element = (name: string, value: string | number | boolean): string =>
  `<${name}>${escapeXml(String(value))}</${name}>`

const sendXml = (response: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
  const bytes = Buffer.from(body, "utf8")
  response.writeHead(status, { "content-type": "application/xml", "content-length": bytes.length, ...headers })
  response.end(bytes)
}

interface S3Error {
  readonly code: string
  readonly status: number
  readonly message: string
}

const sendError = (response: ServerResponse, error: S3Error | StoreError, resource = "") =>
  sendXml(
    response,
    error.status,
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${element("Code", error.code)}${element("Message", error.message)}${
      element("Resource", resource)
    }</Error>`
  )

const objectHeaders = (info: ObjectInfo): Record<string, string> => ({
  etag: info.etag,
  "last-modified": info.lastModified.toUTCString(),
  "content-type": info.contentType,
  "accept-ranges": "bytes"
})

/** The request body, decoded from `aws-chunked` when the SDK sent it that way. */
const payload = (request: IncomingMessage): Readable => {
  const encoding = String(request.headers["content-encoding"] ?? "")
  const sha = String(request.headers["x-amz-content-sha256"] ?? "")
  return encoding.includes("aws-chunked") || sha.startsWith("STREAMING-")
    ? request.pipe(awsChunkedDecoder())
    : request
}

const readText = async (body: Readable, limit: number): Promise<string | undefined> => {
  const chunks: Array<Buffer> = []
  let size = 0
  for await (const chunk of body) {
    size += (chunk as Buffer).length
    if (size > limit) return undefined
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString("utf8")
}

/** Parses `bytes=a-b`, `bytes=a-` and `bytes=-n`; `undefined` when absent, `"invalid"` when unsatisfiable. */
const parseRange = (
  header: string | undefined,
  size: number
): { readonly start: number; readonly end: number } | undefined | "invalid" => {
  if (header === undefined) return undefined
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (match === null) return undefined
  const [, from = "", to = ""] = match
  if (from === "" && to === "") return undefined
  const start = from === "" ? Math.max(0, size - Number(to)) : Number(from)
  const end = from === "" || to === "" ? size - 1 : Math.min(Number(to), size - 1)
  return start > end || start >= size ? "invalid" : { start, end }
}

const isSigned = (request: IncomingMessage, query: URLSearchParams): boolean => {
  const authorization = request.headers.authorization
  return (typeof authorization === "string" && authorization.startsWith("AWS4-HMAC-SHA256 Credential=")) ||
    query.get("X-Amz-Algorithm") === "AWS4-HMAC-SHA256"
}

const listResult = (
  bucket: string,
  prefix: string,
  max: number,
  listed: { readonly objects: ReadonlyArray<ObjectInfo>; readonly truncated: boolean }
): string => {
  const contents = listed.objects.map((info) =>
    `<Contents>${element("Key", info.key)}${element("LastModified", info.lastModified.toISOString())}${
      element("ETag", info.etag)
    }${element("Size", info.size)}${element("StorageClass", "STANDARD")}</Contents>`
  ).join("")
  const last = listed.objects[listed.objects.length - 1]
  const next = listed.truncated && last !== undefined
    ? element("NextContinuationToken", Buffer.from(last.key).toString("base64url"))
    : ""
  return xml(
    "ListBucketResult",
    `${element("Name", bucket)}${element("Prefix", prefix)}${element("KeyCount", listed.objects.length)}${
      element("MaxKeys", max)
    }${element("IsTruncated", listed.truncated)}${contents}${next}`
  )
}

const completedParts = (body: string): Array<{ partNumber: number; etag: string }> =>
  Array.from(body.matchAll(/<Part>([\s\S]*?)<\/Part>/g), (match) => {
    const part = match[1] ?? ""
    const partNumber = Number(/<PartNumber>(\d+)<\/PartNumber>/.exec(part)?.[1] ?? Number.NaN)
    const etag = (/<ETag>([\s\S]*?)<\/ETag>/.exec(part)?.[1] ?? "").replaceAll("&quot;", "\"")
    return { partNumber, etag }
  })

const handleBucket = (
  store: ObjectStore,
  request: IncomingMessage,
  response: ServerResponse,
  bucket: string,
  query: URLSearchParams
) => {
  switch (request.method) {
    case "PUT": {
      request.resume()
      const created = store.createBucket(bucket)
      if (!created.ok) return sendError(response, created.error, `/${bucket}`)
      response.writeHead(200, { location: `/${bucket}`, "content-length": 0 })
      return response.end()
    }
    case "HEAD":
      response.writeHead(store.hasBucket(bucket) ? 200 : 404, { "content-length": 0 })
      return response.end()
    case "GET": {
      const prefix = query.get("prefix") ?? ""
      const max = Math.min(1000, Math.max(1, Number(query.get("max-keys") ?? 1000) || 1000))
      const token = query.get("continuation-token")
      const after = token !== null ? Buffer.from(token, "base64url").toString("utf8") : query.get("start-after") ?? ""
      const listed = store.list(bucket, prefix, after, max)
      if (!listed.ok) return sendError(response, listed.error, `/${bucket}`)
      return sendXml(response, 200, listResult(bucket, prefix, max, listed.value))
    }
    default:
      return sendError(response, { code: "MethodNotAllowed", status: 405, message: "The method is not allowed." })
  }
}

const handleObject = async (
  store: ObjectStore,
  request: IncomingMessage,
  response: ServerResponse,
  bucket: string,
  key: string,
  query: URLSearchParams
): Promise<void> => {
  const resource = `/${bucket}/${key}`
  const uploadId = query.get("uploadId")
  const contentType = String(request.headers["content-type"] ?? "binary/octet-stream")
  switch (request.method) {
    case "PUT": {
      const partNumber = query.get("partNumber")
      if (uploadId !== null && partNumber !== null) {
        const number = Number(partNumber)
        if (!Number.isInteger(number) || number < 1 || number > 10_000) {
          request.resume()
          return sendError(response, {
            code: "InvalidArgument",
            status: 400,
            message: "Part number must be an integer between 1 and 10000, inclusive."
          })
        }
        const uploaded = await store.uploadPart(uploadId, number, payload(request))
        if (!uploaded.ok) return sendError(response, uploaded.error, resource)
        response.writeHead(200, { etag: uploaded.value, "content-length": 0 })
        return void response.end()
      }
      const put = await store.put(bucket, key, payload(request), contentType)
      if (!put.ok) return sendError(response, put.error, resource)
      response.writeHead(200, { etag: put.value.etag, "content-length": 0 })
      return void response.end()
    }
    case "POST": {
      if (query.has("uploads")) {
        request.resume()
        const created = store.createUpload(bucket, key, contentType)
        if (!created.ok) return sendError(response, created.error, resource)
        return sendXml(
          response,
          200,
          xml(
            "InitiateMultipartUploadResult",
            `${element("Bucket", bucket)}${element("Key", key)}${element("UploadId", created.value)}`
          )
        )
      }
      if (uploadId !== null) {
        const body = await readText(payload(request), 1 << 20)
        if (body === undefined) {
          return sendError(response, { code: "MalformedXML", status: 400, message: "The XML body is too large." })
        }
        const parts = completedParts(body)
        if (parts.length === 0 || parts.some((part) => !Number.isInteger(part.partNumber))) {
          return sendError(response, {
            code: "MalformedXML",
            status: 400,
            message: "The XML you provided was not well-formed or did not validate against our published schema."
          })
        }
        const completed = await store.completeUpload(uploadId, parts)
        if (!completed.ok) return sendError(response, completed.error, resource)
        return sendXml(
          response,
          200,
          xml(
            "CompleteMultipartUploadResult",
            `${element("Location", resource)}${element("Bucket", bucket)}${element("Key", key)}${
              element("ETag", completed.value.etag)
            }`
          )
        )
      }
      request.resume()
      return sendError(response, { code: "MethodNotAllowed", status: 405, message: "The method is not allowed." })
    }
    case "GET":
    case "HEAD": {
      request.resume()
      const found = store.head(bucket, key)
      if (!found.ok) {
        if (request.method === "HEAD") {
          response.writeHead(found.error.status, { "content-length": 0 })
          return void response.end()
        }
        return sendError(response, found.error, resource)
      }
      const info = found.value
      const range = parseRange(request.headers.range, info.size)
      if (range === "invalid") {
        return sendError(response, {
          code: "InvalidRange",
          status: 416,
          message: "The requested range is not satisfiable"
        }, resource)
      }
      const length = range === undefined ? info.size : range.end - range.start + 1
      const headers: Record<string, string | number> = { ...objectHeaders(info), "content-length": length }
      if (range !== undefined) headers["content-range"] = `bytes ${range.start}-${range.end}/${info.size}`
      response.writeHead(range === undefined ? 200 : 206, headers)
      if (request.method === "HEAD" || length === 0) return void response.end()
      store.read(info, range).on("error", () => response.destroy()).pipe(response)
      return
    }
    case "DELETE": {
      request.resume()
      const removed = uploadId !== null ? await store.abortUpload(uploadId) : await store.remove(bucket, key)
      if (!removed.ok) return sendError(response, removed.error, resource)
      response.writeHead(204)
      return void response.end()
    }
    default:
      request.resume()
      return sendError(response, { code: "MethodNotAllowed", status: 405, message: "The method is not allowed." })
  }
}

/** Splits a path-style URL path into bucket and key (both decoded). */
const splitPath = (path: string): { readonly bucket: string; readonly key: string } => {
  const trimmed = path.replace(/^\/+/, "")
  const slash = trimmed.indexOf("/")
  const bucket = decodeURIComponent(slash === -1 ? trimmed : trimmed.slice(0, slash))
  const key = slash === -1 ? "" : decodeURIComponent(trimmed.slice(slash + 1))
  return { bucket, key }
}

export interface RunningS3Server {
  readonly url: string
  readonly port: number
  readonly close: () => Promise<void>
}

/** Starts the S3 server on `host:port` (`port` 0 picks a free one). */
export const listenS3 = async (store: ObjectStore, host: string, port: number): Promise<RunningS3Server> => {
  const sockets = new Set<Socket>()
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://s3.local")
    if (!isSigned(request, url.searchParams)) {
      request.resume()
      return sendError(response, { code: "AccessDenied", status: 403, message: "Requests must be signed with SigV4." })
    }
    const { bucket, key } = splitPath(url.pathname)
    const handled = bucket === ""
      ? Promise.resolve(
        sendError(response, { code: "NotImplemented", status: 501, message: "ListBuckets is not implemented." })
      )
      : key === ""
      ? Promise.resolve(handleBucket(store, request, response, bucket, url.searchParams))
      : handleObject(store, request, response, bucket, key, url.searchParams)
    handled.catch(() => {
      if (!response.headersSent) {
        sendError(response, { code: "InternalError", status: 500, message: "We encountered an internal error." })
      } else response.destroy()
    })
  })
  server.on("connection", (socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(port, host, () => resolve())
  })
  const address = server.address() as AddressInfo
  const urlHost = host.includes(":") ? `[${host}]` : host
  return {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      })
  }
}
