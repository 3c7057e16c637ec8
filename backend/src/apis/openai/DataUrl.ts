/**
 * `data:` URLs (RFC 2397) with base64 content: the only way the OpenAI API takes images and files here, since the
 * gateway never fetches a remote URL (that would let a caller make the service request any address it can reach).
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"

/**
 * A decoded `data:` URL: its media type (lower case, without parameters) and bytes.
 *
 * @since 0.1.0
 * @category models
 */
export interface DataUrl {
  readonly mediaType: string
  readonly bytes: Uint8Array
}

/**
 * Why a URL is not a usable `data:` URL.
 *
 * @since 0.1.0
 * @category models
 */
export type Problem = "remote" | "not-base64" | "malformed"

const dataUrlPattern = /^data:([^,;]*)((?:;[^,;]*)*),/i

/**
 * Reads a `data:<media type>[;parameters];base64,<data>` URL; any other URL is `remote` (never fetched).
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (url: string): Either.Either<DataUrl, Problem> => {
  if (!/^data:/i.test(url)) return Either.left("remote")
  const header = dataUrlPattern.exec(url)
  if (header === null) return Either.left("malformed")
  const parameters = header[2]!.split(";").map((parameter) => parameter.trim().toLowerCase())
  if (!parameters.includes("base64")) return Either.left("not-base64")
  const decoded = Encoding.decodeBase64(url.slice(header[0].length))
  if (Either.isLeft(decoded) || decoded.right.length === 0) return Either.left("malformed")
  return Either.right({ mediaType: header[1]!.trim().toLowerCase(), bytes: decoded.right })
}
