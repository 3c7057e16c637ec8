/**
 * Scrubbing of AWS credentials, signatures and security tokens from anything that may reach an error, a log line or
 * a span.
 *
 * @internal
 */

/** The text that replaces every scrubbed secret. */
export const REDACTED = "[REDACTED]"

const MIN_KNOWN_SECRET_LENGTH = 8
const MAX_DEPTH = 8

const knownSecrets = new Set<string>()

const SECRET_ENV_VARS = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] as const

/** Remember a secret value (a secret access key, a session token) so that `redact` scrubs it wherever it appears. */
export const registerSecret = (secret: string | undefined): void => {
  if (secret !== undefined && secret.length >= MIN_KNOWN_SECRET_LENGTH) {
    knownSecrets.add(secret)
  }
}

/** Forget a secret registered with `registerSecret` (tests, credential rotation). */
export const unregisterSecret = (secret: string): void => {
  knownSecrets.delete(secret)
}

const currentSecrets = (): ReadonlyArray<string> => {
  const secrets = new Set(knownSecrets)
  const env = typeof process === "object" && process !== null ? process.env : undefined
  if (env !== undefined) {
    for (const name of SECRET_ENV_VARS) {
      const value = env[name]
      if (value !== undefined && value.length >= MIN_KNOWN_SECRET_LENGTH) {
        secrets.add(value)
      }
    }
  }
  return Array.from(secrets).sort((a, b) => b.length - a.length)
}

const PATTERNS: ReadonlyArray<readonly [RegExp, string]> = [
  // Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...
  [/AWS4-HMAC-SHA256\s+[^\r\n"'`]*/g, `AWS4-HMAC-SHA256 ${REDACTED}`],
  // presigned URL query parameters and header-style pairs
  [/(X-Amz-(?:Security-Token|Signature|Credential)\s*["']?\s*[=:]\s*["']?)[^\s"'&,;`]+/gi, `$1${REDACTED}`],
  [/(\bSignature\s*=\s*)[0-9a-f]{16,}/gi, `$1${REDACTED}`],
  [/(\bCredential\s*=\s*)[^\s"',;&`]+/gi, `$1${REDACTED}`],
  // JSON / INI / env style key-value pairs
  [
    /((?:aws_)?(?:secret_?access_?key|session_?token|security_?token|secretKey|sessionToken)\s*["']?\s*[=:]\s*["']?)[^\s"',;&`}]+/gi,
    `$1${REDACTED}`
  ],
  // access key ids: long-term (AKIA) and temporary (ASIA), and the other IAM unique-id prefixes
  [/\b(?:AKIA|ASIA|AIDA|AROA|AIPA|ANPA|ANVA|AGPA|ABIA|ACCA)[A-Z0-9]{16}\b/g, REDACTED],
  // STS session tokens share recognisable base64 prefixes
  [/\b(?:IQoJb3JpZ2lu|FwoGZXIvYXdz|FQoGZXIvYXdz)[A-Za-z0-9/+=]{16,}/g, REDACTED]
]

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** Scrub credentials, signatures and tokens from a string. */
export const redact = (text: string): string => {
  let result = text
  for (const secret of currentSecrets()) {
    if (result.includes(secret)) {
      result = result.replace(new RegExp(escapeRegExp(secret), "g"), REDACTED)
    }
  }
  for (const [pattern, replacement] of PATTERNS) {
    result = result.replace(pattern, replacement)
  }
  return result
}

const SENSITIVE_KEY =
  /^(?:authorization|x-amz-security-token|x-amz-signature|x-amz-credential|secret.*|.*secretaccesskey|.*sessiontoken|.*session_token|.*secret_access_key|password|credentials?)$/i

/** Deep-copy a value (strings, arrays, plain objects, errors) with every string redacted and sensitive keys blanked. */
export const redactValue = (value: unknown): unknown => redactAt(value, 0, new WeakSet())

const redactAt = (value: unknown, depth: number, seen: WeakSet<object>): unknown => {
  if (typeof value === "string") return redact(value)
  if (value === null || typeof value !== "object") return value
  if (seen.has(value) || depth >= MAX_DEPTH) return "[Circular or too deep]"
  seen.add(value)
  if (Array.isArray(value)) return value.map((item) => redactAt(item, depth + 1, seen))
  const out: Record<string, unknown> = {}
  if (value instanceof Error) {
    out.name = value.name
    out.message = redact(value.message)
  }
  for (const [key, item] of Object.entries(value)) {
    out[key] = SENSITIVE_KEY.test(key) ? REDACTED : redactAt(item, depth + 1, seen)
  }
  return out
}
