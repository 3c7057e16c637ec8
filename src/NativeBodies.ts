/**
 * The native InvokeModel bodies of each model family (Anthropic Claude, Amazon Nova, Meta Llama, Amazon Titan Text,
 * Mistral, Cohere Command, AI21 Jamba) and the lookup of a model id's native body (`forModel`). `BedrockClient` uses them when a
 * request asks for `api: "invoke"`; Converse stays the default.
 *
 * @example
 * ```ts
 * import { BedrockClient, NativeBodies } from "bedrock-llm"
 * import { Option } from "effect"
 *
 * // Which native body a model id speaks (none for a model the library only reaches through Converse).
 * console.log(Option.map(NativeBodies.forModel("meta.llama3-8b-instruct-v1:0"), (body) => body.family))
 * // A call through InvokeModel instead of Converse:
 * const ClientLive = BedrockClient.layer({ model: { modelId: "meta.llama3-8b-instruct-v1:0" }, api: "invoke" })
 * ```
 *
 * @since 0.1.0
 */
import * as Option from "effect/Option"
import { Anthropic } from "./families/Anthropic.js"
import { Cohere } from "./families/Cohere.js"
import { Jamba } from "./families/Jamba.js"
import { Llama } from "./families/Llama.js"
import { Mistral } from "./families/Mistral.js"
import type { NativeBody } from "./families/NativeBody.js"
import { Nova } from "./families/Nova.js"
import { Titan } from "./families/Titan.js"
import * as ModelCatalog from "./ModelCatalog.js"

export {
  /**
   * Anthropic Claude's Messages API.
   *
   * @since 0.1.0
   * @category models
   */
  Anthropic,
  /**
   * Cohere Command R / R+ and the legacy Command text models.
   *
   * @since 0.1.0
   * @category models
   */
  Cohere,
  /**
   * AI21 Jamba's chat body.
   *
   * @since 0.1.0
   * @category models
   */
  Jamba,
  /**
   * Meta Llama with the Llama 3.x chat template.
   *
   * @since 0.1.0
   * @category models
   */
  Llama,
  /**
   * Mistral instruct and chat bodies.
   *
   * @since 0.1.0
   * @category models
   */
  Mistral,
  /**
   * Amazon Nova's messages-v1 body.
   *
   * @since 0.1.0
   * @category models
   */
  Nova,
  /**
   * Amazon Titan Text's completion body.
   *
   * @since 0.1.0
   * @category models
   */
  Titan
}

export {
  /**
   * The contract every family implements, its error and helpers.
   *
   * @since 0.1.0
   * @category models
   */
  type ChunkDecoder,
  /**
   * @since 0.1.0
   * @category models
   */
  type EncodeRequest,
  /**
   * @since 0.1.0
   * @category models
   */
  type InvocationMetrics,
  /**
   * @deprecated Use `NativeBody`.
   * @since 0.1.0
   * @category models
   */
  type ModelImplementation,
  /**
   * @since 0.1.0
   * @category models
   */
  type NativeBody,
  /**
   * @since 0.1.0
   * @category errors
   */
  UnsupportedFeature
} from "./families/NativeBody.js"

/**
 * The native body of every family the library speaks natively, one per catalog family.
 *
 * @since 0.1.0
 * @category models
 */
export const all: ReadonlyArray<NativeBody> = [
  Anthropic,
  Nova,
  Llama,
  Titan,
  Mistral,
  Cohere,
  Jamba
]

/**
 * The native body of a catalog family (none for embeddings and `other`).
 *
 * @since 0.1.0
 * @category utils
 */
export const forFamily = (family: ModelCatalog.Family): Option.Option<NativeBody> =>
  Option.fromNullable(all.find((body) => body.family === family))

const PREFIXES: ReadonlyArray<readonly [string, ModelCatalog.Family]> = [
  ["anthropic.", "anthropic"],
  ["amazon.nova", "amazon-nova"],
  ["amazon.titan-embed", "amazon-titan-embed"],
  ["amazon.titan-", "amazon-titan-text"],
  ["meta.llama", "meta-llama"],
  ["mistral.", "mistral"],
  ["cohere.embed", "cohere-embed"],
  ["cohere.command", "cohere-command"],
  ["ai21.jamba", "ai21-jamba"]
]

/**
 * The family of a model id: from the default catalog, else from the id's provider prefix (so older ids such as
 * `meta.llama2-13b-chat-v1`, `amazon.titan-tg1-large` or `cohere.command-text-v14` resolve too). Application
 * inference profile ARNs name no model: register them in a `ModelCatalog` (the client looks there first).
 *
 * @since 0.1.0
 * @category utils
 */
export const familyOf = (modelId: string): Option.Option<ModelCatalog.Family> =>
  Option.orElse(
    Option.map(ModelCatalog.resolve(modelId), (info) => info.family),
    () => {
      const base = ModelCatalog.parseId(modelId).baseId
      return Option.fromNullable(PREFIXES.find(([prefix]) => base.startsWith(prefix))?.[1])
    }
  )

/**
 * The native body of a model id (via its catalog family), if the library has one.
 *
 * @since 0.1.0
 * @category constructors
 */
export const forModel = (modelId: string): Option.Option<NativeBody> => Option.flatMap(familyOf(modelId), forFamily)
