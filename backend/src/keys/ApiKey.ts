/**
 * The gateway's API key format: a readable prefix and a 256-bit random secret in base64url
 * (`sk-bllm-` + 43 characters). Only the secret's SHA-256 is ever stored; comparisons are constant-time.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { createHash, randomBytes, timingSafeEqual } from "node:crypto"

/**
 * The readable prefix of every gateway key (lets secret scanners and people recognise one).
 *
 * @since 0.1.0
 * @category constants
 */
export const prefix = "sk-bllm-"

const secretPattern = /^sk-bllm-[A-Za-z0-9_-]{43}$/

/**
 * A new secret: the prefix and 32 random bytes in base64url.
 *
 * @since 0.1.0
 * @category constructors
 */
export const generate: Effect.Effect<Redacted.Redacted<string>> = Effect.sync(() =>
  Redacted.make(prefix + randomBytes(32).toString("base64url"))
)

/**
 * Whether a presented value has the form of a gateway key (checked before any store lookup).
 *
 * @since 0.1.0
 * @category utils
 */
export const isWellFormed = (secret: string): boolean => secretPattern.test(secret)

/**
 * The lowercase hex SHA-256 of a secret: what the key store keeps and looks keys up by.
 *
 * @since 0.1.0
 * @category utils
 */
export const hash = (secret: Redacted.Redacted<string> | string): string =>
  createHash("sha256").update(typeof secret === "string" ? secret : Redacted.value(secret), "utf8").digest("hex")

/**
 * Compares two hex digests in constant time (false when their lengths differ).
 *
 * @since 0.1.0
 * @category utils
 */
export const sameHash = (a: string, b: string): boolean => {
  const left = Buffer.from(a, "utf8")
  const right = Buffer.from(b, "utf8")
  return left.length === right.length && timingSafeEqual(left, right)
}

/**
 * The last four characters of a secret, shown in listings (`sk-bllm-...abcd`) so people can tell keys apart.
 *
 * @since 0.1.0
 * @category utils
 */
export const hint = (secret: Redacted.Redacted<string>): string => `${prefix}...${Redacted.value(secret).slice(-4)}`

/**
 * A new key id: `key_` and 16 random hex characters. Ids appear in logs, spans and usage; secrets never do.
 *
 * @since 0.1.0
 * @category constructors
 */
export const newId: Effect.Effect<string> = Effect.sync(() => `key_${randomBytes(8).toString("hex")}`)
