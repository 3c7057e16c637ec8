/**
 * The emulator's own model catalog: the model ids it answers for, their family (which native body they speak),
 * limits and capabilities, and the resolution of inference-profile ids and ARNs to a catalog entry.
 *
 * @since 0.1.0
 */

/**
 * The native body format a model speaks on InvokeModel.
 *
 * @since 0.1.0
 * @category models
 */
export type Family =
  | "anthropic"
  | "nova"
  | "llama"
  | "titan-text"
  | "mistral"
  | "cohere-command-r"
  | "cohere-command"
  | "jamba"
  | "openai"
  | "titan-embed"
  | "cohere-embed"

/**
 * What a model supports.
 *
 * @since 0.1.0
 * @category models
 */
export interface Capabilities {
  readonly converse: boolean
  readonly tools: boolean
  readonly reasoning: boolean
  readonly cache: boolean
  readonly citations: boolean
  readonly system: boolean
  readonly countTokens: boolean
  readonly crossRegion: boolean
  /** Video content blocks (Nova's video understanding). */
  readonly video: boolean
}

/**
 * A catalog entry, resolved from the model id of a request.
 *
 * @since 0.1.0
 * @category models
 */
export interface ModelInfo {
  /** The foundation model id, e.g. `anthropic.claude-3-haiku-20240307-v1:0`. */
  readonly id: string
  /** The id as requested (profile id, ARN ...). */
  readonly requestedId: string
  readonly family: Family
  readonly name: string
  /** The model name as Anthropic's native body reports it (`model`), or the id for other families. */
  readonly nativeName: string
  readonly maxOutputTokens: number
  readonly contextWindow: number
  readonly capabilities: Capabilities
  /** Embedding models: default and allowed dimensions. */
  readonly dimensions?: { readonly default: number; readonly allowed: ReadonlyArray<number> } | undefined
}

type Entry = Omit<ModelInfo, "requestedId">

const caps = (overrides: Partial<Capabilities>): Capabilities => ({
  converse: true,
  tools: false,
  reasoning: false,
  cache: false,
  citations: false,
  system: true,
  countTokens: false,
  crossRegion: false,
  video: false,
  ...overrides
})

const claude = (
  id: string,
  name: string,
  nativeName: string,
  maxOutputTokens: number,
  extra: Partial<Capabilities> = {}
): Entry => ({
  id,
  name,
  nativeName,
  family: "anthropic",
  maxOutputTokens,
  contextWindow: 200_000,
  capabilities: caps({ tools: true, citations: true, crossRegion: true, ...extra })
})

const modern = { cache: true, countTokens: true }
const thinking = { ...modern, reasoning: true }

const entries: ReadonlyArray<Entry> = [
  claude("anthropic.claude-3-haiku-20240307-v1:0", "Claude 3 Haiku", "claude-3-haiku-20240307", 4096),
  claude("anthropic.claude-3-sonnet-20240229-v1:0", "Claude 3 Sonnet", "claude-3-sonnet-28k-20240229", 4096),
  claude("anthropic.claude-3-opus-20240229-v1:0", "Claude 3 Opus", "claude-3-opus-20240229", 4096),
  claude("anthropic.claude-3-5-haiku-20241022-v1:0", "Claude 3.5 Haiku", "claude-3-5-haiku-20241022", 8192, modern),
  claude("anthropic.claude-3-5-sonnet-20240620-v1:0", "Claude 3.5 Sonnet", "claude-3-5-sonnet-20240620", 4096),
  claude("anthropic.claude-3-5-sonnet-20241022-v2:0", "Claude 3.5 Sonnet v2", "claude-3-5-sonnet-20241022", 8192, {
    countTokens: true
  }),
  claude(
    "anthropic.claude-3-7-sonnet-20250219-v1:0",
    "Claude 3.7 Sonnet",
    "claude-3-7-sonnet-20250219",
    64_000,
    thinking
  ),
  claude("anthropic.claude-sonnet-4-20250514-v1:0", "Claude Sonnet 4", "claude-sonnet-4-20250514", 64_000, thinking),
  claude(
    "anthropic.claude-sonnet-4-5-20250929-v1:0",
    "Claude Sonnet 4.5",
    "claude-sonnet-4-5-20250929",
    64_000,
    thinking
  ),
  claude("anthropic.claude-sonnet-5", "Claude Sonnet 5", "claude-sonnet-5", 64_000, thinking),
  claude("anthropic.claude-opus-4-20250514-v1:0", "Claude Opus 4", "claude-opus-4-20250514", 32_000, thinking),
  claude("anthropic.claude-opus-4-1-20250805-v1:0", "Claude Opus 4.1", "claude-opus-4-1-20250805", 32_000, thinking),
  claude("anthropic.claude-opus-4-5-20251101-v1:0", "Claude Opus 4.5", "claude-opus-4-5-20251101", 64_000, thinking),
  claude("anthropic.claude-opus-4-8", "Claude Opus 4.8", "claude-opus-4-8", 64_000, thinking),
  claude("anthropic.claude-haiku-4-5-20251001-v1:0", "Claude Haiku 4.5", "claude-haiku-4-5-20251001", 64_000, thinking),
  ...[
    ["amazon.nova-micro-v1:0", "Nova Micro", 10_000, 128_000, false],
    ["amazon.nova-lite-v1:0", "Nova Lite", 10_000, 300_000, true],
    ["amazon.nova-pro-v1:0", "Nova Pro", 10_000, 300_000, true],
    ["amazon.nova-premier-v1:0", "Nova Premier", 32_000, 1_000_000, true]
  ].map(([id, name, out, ctx, video]): Entry => ({
    id: id as string,
    name: name as string,
    nativeName: id as string,
    family: "nova",
    maxOutputTokens: out as number,
    contextWindow: ctx as number,
    capabilities: caps({ tools: true, cache: true, crossRegion: true, video: video as boolean })
  })),
  {
    id: "amazon.nova-2-lite-v1:0",
    name: "Nova 2 Lite",
    nativeName: "amazon.nova-2-lite-v1:0",
    family: "nova",
    maxOutputTokens: 65_535,
    contextWindow: 1_000_000,
    capabilities: caps({ tools: true, cache: true, reasoning: true, crossRegion: true, video: true })
  },
  ...[
    ["meta.llama2-13b-chat-v1", "Llama 2 Chat 13B", 2048, 4096, false, false],
    ["meta.llama2-70b-chat-v1", "Llama 2 Chat 70B", 2048, 4096, false, false],
    ["meta.llama3-8b-instruct-v1:0", "Llama 3 8B Instruct", 2048, 8192, false, false],
    ["meta.llama3-70b-instruct-v1:0", "Llama 3 70B Instruct", 2048, 8192, false, false],
    ["meta.llama3-1-8b-instruct-v1:0", "Llama 3.1 8B Instruct", 2048, 128_000, true, true],
    ["meta.llama3-1-70b-instruct-v1:0", "Llama 3.1 70B Instruct", 2048, 128_000, true, true],
    ["meta.llama3-1-405b-instruct-v1:0", "Llama 3.1 405B Instruct", 4096, 128_000, true, true],
    ["meta.llama3-2-1b-instruct-v1:0", "Llama 3.2 1B Instruct", 2048, 128_000, false, true],
    ["meta.llama3-2-3b-instruct-v1:0", "Llama 3.2 3B Instruct", 2048, 128_000, false, true],
    ["meta.llama3-2-11b-instruct-v1:0", "Llama 3.2 11B Vision Instruct", 2048, 128_000, true, true],
    ["meta.llama3-2-90b-instruct-v1:0", "Llama 3.2 90B Vision Instruct", 2048, 128_000, true, true],
    ["meta.llama3-3-70b-instruct-v1:0", "Llama 3.3 70B Instruct", 2048, 128_000, true, true],
    ["meta.llama4-scout-17b-instruct-v1:0", "Llama 4 Scout 17B Instruct", 8192, 3_500_000, true, true],
    ["meta.llama4-maverick-17b-instruct-v1:0", "Llama 4 Maverick 17B Instruct", 8192, 1_000_000, true, true]
  ].map(([id, name, out, ctx, tools, crossRegion]): Entry => ({
    id: id as string,
    name: name as string,
    nativeName: id as string,
    family: "llama",
    maxOutputTokens: out as number,
    contextWindow: ctx as number,
    capabilities: caps({ tools: tools as boolean, crossRegion: crossRegion as boolean })
  })),
  ...[
    ["amazon.titan-tg1-large", "Titan Text Large", 8192, 8192],
    ["amazon.titan-text-express-v1", "Titan Text G1 - Express", 8192, 8192],
    ["amazon.titan-text-lite-v1", "Titan Text G1 - Lite", 4096, 4096],
    ["amazon.titan-text-premier-v1:0", "Titan Text G1 - Premier", 3072, 32_000]
  ].map(([id, name, out, ctx]): Entry => ({
    id: id as string,
    name: name as string,
    nativeName: id as string,
    family: "titan-text",
    maxOutputTokens: out as number,
    contextWindow: ctx as number,
    capabilities: caps({ system: false })
  })),
  ...[
    ["mistral.mistral-7b-instruct-v0:2", "Mistral 7B Instruct", 8192, 32_000, false, false],
    ["mistral.mixtral-8x7b-instruct-v0:1", "Mixtral 8x7B Instruct", 4096, 32_000, false, false],
    ["mistral.mistral-small-2402-v1:0", "Mistral Small (24.02)", 8192, 32_000, true, true],
    ["mistral.mistral-large-2402-v1:0", "Mistral Large (24.02)", 8192, 32_000, true, true],
    ["mistral.mistral-large-2407-v1:0", "Mistral Large 2 (24.07)", 8192, 128_000, true, true]
  ].map(([id, name, out, ctx, tools, system]): Entry => ({
    id: id as string,
    name: name as string,
    nativeName: id as string,
    family: "mistral",
    maxOutputTokens: out as number,
    contextWindow: ctx as number,
    capabilities: caps({ tools: tools as boolean, system: system as boolean })
  })),
  ...[
    ["cohere.command-r-v1:0", "Command R"],
    ["cohere.command-r-plus-v1:0", "Command R+"]
  ].map(([id, name]): Entry => ({
    id: id!,
    name: name!,
    nativeName: id!,
    family: "cohere-command-r",
    maxOutputTokens: 4096,
    contextWindow: 128_000,
    capabilities: caps({ tools: true })
  })),
  ...[
    ["cohere.command-text-v14", "Command"],
    ["cohere.command-light-text-v14", "Command Light"]
  ].map(([id, name]): Entry => ({
    id: id!,
    name: name!,
    nativeName: id!,
    family: "cohere-command",
    maxOutputTokens: 4096,
    contextWindow: 4096,
    capabilities: caps({ system: false })
  })),
  ...[
    ["ai21.jamba-1-5-mini-v1:0", "Jamba 1.5 Mini"],
    ["ai21.jamba-1-5-large-v1:0", "Jamba 1.5 Large"]
  ].map(([id, name]): Entry => ({
    id: id!,
    name: name!,
    nativeName: id!,
    family: "jamba",
    maxOutputTokens: 4096,
    contextWindow: 256_000,
    capabilities: caps({ tools: true })
  })),
  ...[
    ["openai.gpt-oss-20b-1:0", "gpt-oss-20b"],
    ["openai.gpt-oss-120b-1:0", "gpt-oss-120b"]
  ].map(([id, name]): Entry => ({
    id: id!,
    name: name!,
    nativeName: id!,
    family: "openai",
    maxOutputTokens: 128_000,
    contextWindow: 128_000,
    capabilities: caps({ tools: true })
  })),
  {
    id: "amazon.titan-embed-text-v1",
    name: "Titan Embeddings G1 - Text",
    nativeName: "amazon.titan-embed-text-v1",
    family: "titan-embed",
    maxOutputTokens: 0,
    contextWindow: 8192,
    capabilities: caps({ converse: false, system: false }),
    dimensions: { default: 1536, allowed: [1536] }
  },
  {
    id: "amazon.titan-embed-text-v2:0",
    name: "Titan Text Embeddings V2",
    nativeName: "amazon.titan-embed-text-v2:0",
    family: "titan-embed",
    maxOutputTokens: 0,
    contextWindow: 8192,
    capabilities: caps({ converse: false, system: false }),
    dimensions: { default: 1024, allowed: [256, 512, 1024] }
  },
  ...["cohere.embed-english-v3", "cohere.embed-multilingual-v3"].map((id): Entry => ({
    id,
    name: id.includes("english") ? "Embed English" : "Embed Multilingual",
    nativeName: id,
    family: "cohere-embed",
    maxOutputTokens: 0,
    contextWindow: 512,
    capabilities: caps({ converse: false, system: false }),
    dimensions: { default: 1024, allowed: [1024] }
  })),
  {
    id: "cohere.embed-v4:0",
    name: "Embed v4",
    nativeName: "cohere.embed-v4:0",
    family: "cohere-embed",
    maxOutputTokens: 0,
    contextWindow: 128_000,
    capabilities: caps({ converse: false, system: false, crossRegion: true }),
    dimensions: { default: 1536, allowed: [256, 512, 1024, 1536] }
  }
]

const byId: ReadonlyMap<string, Entry> = new Map(entries.map((e) => [e.id, e]))

/**
 * Every foundation model the emulator knows.
 *
 * @since 0.1.0
 * @category models
 */
export const models: ReadonlyArray<Omit<ModelInfo, "requestedId">> = entries

/**
 * The model that answers for application inference profiles, provisioned and custom models the catalog cannot
 * know.
 *
 * @since 0.1.0
 * @category models
 */
export const defaultModelId = "anthropic.claude-3-5-haiku-20241022-v1:0"

const GEO_PREFIXES = ["us.", "eu.", "apac.", "us-gov.", "jp.", "au.", "ca.", "global."]

const stripGeo = (id: string): string | undefined => {
  for (const prefix of GEO_PREFIXES) if (id.startsWith(prefix)) return id.slice(prefix.length)
  return undefined
}

const lookupProfile = (id: string): Entry | undefined => {
  const base = stripGeo(id)
  if (base === undefined) return undefined
  const entry = byId.get(base)
  return entry !== undefined && entry.capabilities.crossRegion ? entry : undefined
}

const ARN_PREFIX = /^arn:aws(?:-[a-z]+)*:bedrock:[a-z0-9-]*:(\d{12})?:([a-z-]+)\/(.+)$/

/**
 * Resolves a decoded model id (foundation model id, cross-region inference profile id, foundation-model ARN,
 * inference-profile ARN, application-inference-profile ARN) to a catalog entry; undefined when unknown.
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolveModel = (requestedId: string): ModelInfo | undefined => {
  const entry = resolveEntry(requestedId)
  return entry === undefined ? undefined : { ...entry, requestedId }
}

const resolveEntry = (requestedId: string): Entry | undefined => {
  if (requestedId.length > 2048) return undefined
  const direct = byId.get(requestedId) ?? lookupProfile(requestedId)
  if (direct !== undefined) return direct
  const arn = ARN_PREFIX.exec(requestedId)
  if (arn === null) return undefined
  const [, account, resource, name] = arn
  switch (resource) {
    case "foundation-model":
      return account === undefined ? byId.get(name!) : undefined
    case "inference-profile":
      return account === undefined ? undefined : lookupProfile(name!)
    case "application-inference-profile":
    case "provisioned-model":
    case "custom-model-deployment":
      return account === undefined || !/^[a-z0-9]{1,64}$/.test(name!) ? undefined : byId.get(defaultModelId)
    default:
      return undefined
  }
}
