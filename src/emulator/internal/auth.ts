/**
 * SigV4 as the service front end checks it: a well-formed `AWS4-HMAC-SHA256` authorization header (or a Bedrock
 * API key as `Bearer`), and optionally the signature itself against configured credentials.
 */
import { Sha256 } from "@aws-crypto/sha256-js"
import { SignatureV4 } from "@smithy/signature-v4"
import { createHash } from "node:crypto"
import { coralNamespace, type WireError } from "./wire.js"

export interface Credentials {
  readonly accessKeyId: string
  readonly secretAccessKey: string
  readonly sessionToken?: string | undefined
}

export interface SignedRequest {
  readonly method: string
  readonly path: string
  readonly query: string
  readonly headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  readonly body: Uint8Array
}

const forbidden = (type: string, message: string): WireError => ({
  type,
  status: 403,
  message,
  namespace: coralNamespace
})

interface ParsedAuthorization {
  readonly accessKeyId: string
  readonly date: string
  readonly region: string
  readonly service: string
  readonly signedHeaders: ReadonlyArray<string>
  readonly signature: string
}

const header = (headers: SignedRequest["headers"], name: string): string | undefined => {
  const value = headers[name]
  return typeof value === "string" ? value : value?.[0]
}

const parseAuthorization = (value: string): ParsedAuthorization | WireError => {
  const space = value.indexOf(" ")
  const algorithm = space === -1 ? value : value.slice(0, space)
  if (algorithm !== "AWS4-HMAC-SHA256") {
    return forbidden(
      "IncompleteSignatureException",
      `Unsupported AWS 'algorithm': '${algorithm.slice(0, 40)}' (the only supported one is 'AWS4-HMAC-SHA256').`
    )
  }
  const params = new Map<string, string>()
  for (const part of value.slice(space + 1).split(",")) {
    const trimmed = part.trim()
    const eq = trimmed.indexOf("=")
    if (eq === -1) {
      return forbidden(
        "IncompleteSignatureException",
        `'${trimmed.slice(0, 60)}' not a valid key=value pair (missing equal-sign) in Authorization header.`
      )
    }
    params.set(trimmed.slice(0, eq), trimmed.slice(eq + 1))
  }
  const missing = ["Credential", "Signature", "SignedHeaders"]
    .filter((name) => !params.get(name))
    .map((name) => `Authorization header requires '${name}' parameter.`)
  if (missing.length > 0) return forbidden("IncompleteSignatureException", missing.join(" "))
  const scope = params.get("Credential")!.split("/")
  if (scope.length !== 5 || !/^\d{8}$/.test(scope[1]!) || scope[4] !== "aws4_request" || scope[0] === "") {
    return forbidden(
      "IncompleteSignatureException",
      "Credential should be scoped to a valid region, service and date: '<access key>/<yyyymmdd>/<region>/bedrock/aws4_request'."
    )
  }
  if (scope[3] !== "bedrock") {
    return forbidden("InvalidSignatureException", "Credential should be scoped to correct service: 'bedrock'.")
  }
  const signature = params.get("Signature")!
  if (!/^[0-9a-f]{64}$/.test(signature)) {
    return forbidden("IncompleteSignatureException", "Signature must be 64 lower-case hexadecimal characters.")
  }
  return {
    accessKeyId: scope[0]!,
    date: scope[1]!,
    region: scope[2]!,
    service: scope[3]!,
    signedHeaders: params.get("SignedHeaders")!.split(";"),
    signature
  }
}

const parseAmzDate = (value: string): Date | undefined => {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value)
  return match === null
    ? undefined
    : new Date(Date.UTC(+match[1]!, +match[2]! - 1, +match[3]!, +match[4]!, +match[5]!, +match[6]!))
}

const queryRecord = (query: string): Record<string, string | Array<string>> => {
  const record: Record<string, string | Array<string>> = {}
  for (const [key, value] of new URLSearchParams(query)) {
    const existing = record[key]
    record[key] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value]
  }
  return record
}

const verifySignature = async (
  request: SignedRequest,
  parsed: ParsedAuthorization,
  signingDate: Date,
  credentials: Credentials
): Promise<WireError | undefined> => {
  const headers: Record<string, string> = {}
  for (const name of parsed.signedHeaders) {
    const value = name === "host" ? header(request.headers, "host") ?? header(request.headers, ":authority") : header(
      request.headers,
      name
    )
    if (value === undefined) {
      return forbidden(
        "IncompleteSignatureException",
        `'${name}' is named as a SignedHeader, but it does not exist in the HTTP request.`
      )
    }
    headers[name] = value
  }
  const declaredHash = headers["x-amz-content-sha256"]
  if (
    declaredHash !== undefined && declaredHash !== "UNSIGNED-PAYLOAD" &&
    declaredHash !== createHash("sha256").update(request.body).digest("hex")
  ) {
    return forbidden(
      "InvalidSignatureException",
      "The provided 'x-amz-content-sha256' header does not match what was computed."
    )
  }
  const signer = new SignatureV4({
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
    region: parsed.region,
    service: parsed.service,
    sha256: Sha256,
    applyChecksum: false
  })
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: "http:",
      hostname: headers["host"] ?? "localhost",
      path: request.path,
      query: queryRecord(request.query),
      headers,
      body: request.body
    },
    { signingDate, signingRegion: parsed.region, signingService: parsed.service }
  )
  const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers["authorization"] ?? ""))?.[1]
  return expected === parsed.signature ? undefined : forbidden(
    "InvalidSignatureException",
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
  )
}

export interface AuthOptions {
  readonly credentials?: Credentials | undefined
  readonly allowBearerToken: boolean
}

/** Checks a request's authentication; `undefined` means accepted. Never echoes a secret or a signature. */
export const authenticate = async (request: SignedRequest, options: AuthOptions): Promise<WireError | undefined> => {
  const authorization = header(request.headers, "authorization")
  if (authorization === undefined || authorization.trim() === "") {
    return {
      ...forbidden("AccessDeniedException", "Authorization header is missing"),
      body: JSON.stringify({ Message: "Authorization header is missing" })
    }
  }
  if (authorization.startsWith("Bearer ")) {
    return options.allowBearerToken && authorization.slice(7).trim() !== ""
      ? undefined
      : forbidden("UnrecognizedClientException", "The security token included in the request is invalid.")
  }
  const parsed = parseAuthorization(authorization)
  if ("type" in parsed) return parsed
  const amzDate = header(request.headers, "x-amz-date")
  const signingDate = amzDate !== undefined ? parseAmzDate(amzDate) : undefined
  if (signingDate === undefined) {
    return forbidden(
      "IncompleteSignatureException",
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
    )
  }
  if (options.credentials === undefined) return undefined
  if (parsed.accessKeyId !== options.credentials.accessKeyId) {
    return forbidden("UnrecognizedClientException", "The security token included in the request is invalid.")
  }
  return verifySignature(request, parsed, signingDate, options.credentials)
}
