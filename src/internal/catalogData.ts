/*
 * Built-in model catalog data.
 *
 * Prices: USD per million tokens, on-demand, us-east-1. Each entry's `pricesAsOf` is the date of the page its price
 * came from when that page carries a date, otherwise the day it was read (2026-11-27). `pricesSource` names the source
 * by the letter below. The official price tables on https://aws.amazon.com/bedrock/pricing/ were not readable in the
 * stored copy used (only its prose: on-demand, batch, cross-region inference at source-region price), so prices come
 * from Anthropic's own pages (Bedrock charges the same list prices for Claude) and from dated third-party tables.
 * Entries marked "unverified" were not found in any page read and carry the AWS list price as last known to the
 * author; re-check them against the AWS pricing page before relying on them.
 *
 * All read on 2026-11-27 through the project's search tool (stored copies, not live pages):
 *  [A] AWS Bedrock User Guide model cards, docs.aws.amazon.com/bedrock/latest/userguide/model-card-*.html (and the
 *      docs.aws.eu mirror): Claude Haiku 4.5 (200K context, 64K output, reasoning, prompt caching min 4,096 tokens);
 *      Nova Lite (300K / 5K, us./eu. profiles, no global); Nova Premier (1M / 25K, reasoning, lifecycle Legacy);
 *      Llama 4 Maverick 17B (1M / 8K, meta.llama4-maverick-17b-instruct-v1:0, us. profile); Llama 3.1 405B (128K /
 *      4K); Mistral 7B Instruct (32K / 4K); "Amazon" model list (Nova 2 Lite, Nova Premier, Nova Lite/Micro/Pro).
 *  [B] Anthropic, "Claude on Amazon Bedrock (legacy)", platform.claude.com/docs/en/build-with-claude/
 *      claude-on-amazon-bedrock-legacy: base Bedrock model ids for Opus 4.6 (anthropic.claude-opus-4-6-v1), Sonnet 4.6
 *      (anthropic.claude-sonnet-4-6), Sonnet 4.5, Sonnet 4, Sonnet 3.7, Opus 4.5, Opus 4.1 ... and their
 *      global/us/eu/jp/apac profiles. Claude Opus 4.7 and later have no ARN-versioned id and are served through the
 *      Messages-API endpoint; they are not in this catalog.
 *  [C] Anthropic model pages, platform.claude.com/docs/<lang>/models/<model>/overview: Sonnet 4.5 (200K / 64K, $3 /
 *      $15, deprecated, retires 2026-11-30), Opus 4.5 (200K / 64K, $5 / $25, legacy).
 *  [D] Anthropic pricing page, docs.anthropic.com/en/docs/about-claude/pricing (undated copy): base input, 5-minute
 *      cache write, cache read and output prices for Opus 4.1/4, Sonnet 4/3.7/3.5, Haiku 3.5, Haiku 3.
 *  [E] clauder-navi.com/en/bedrock-claude-cost (2026, undated) and sam.mehdi.consulting/posts/
 *      saving-money-on-bedrock-is-hard (2026): Bedrock Claude prices equal Anthropic's; Claude 3.5 Sonnet costs $6 /
 *      $30 on Bedrock; from Claude Sonnet 4.5 / Haiku 4.5 / Opus 4.5 on, geo and in-Region endpoints cost 10% more
 *      than global ones (the pricing page lists the global rate); cache write 1.25x input, cache read 0.1x input.
 *  [F] deploybase.ai/articles/claude-api-pricing (prices "as of 2026-03-21"): Opus 4.6 1M / 128K, Sonnet 4.6 1M / 64K,
 *      Opus 4 and 4.1 32K output, Claude 3 Haiku 4K output, Haiku 4.5 $1 / $5.
 *  [G] swfte.com/de/blog/amazon-nova-pro-pricing (May 2026): Nova Pro $0.80 / $3.20, cached input $0.20 (75% off);
 *      pristren.com/blog/amazon-nova-micro-ultra-fast (undated): Nova Micro $0.035 / $0.14 (128K), Lite $0.06 / $0.24.
 *  [H] vercel.com/ai-gateway/models/nova-2-lite and nova-micro (2026): Nova 2 Lite 1M context, $0.30 / $2.50 with
 *      cache read $0.07 (global); $0.33 / $2.75 (regional, i.e. +10%).
 *  [I] inventivehq.com/blog/aws-bedrock-pricing-guide (undated): Titan Text Express $0.20 / $0.60, Lite $0.15 / $0.20,
 *      Titan Embeddings V2 $0.02, Mistral Large (2402) $4 / $12, Mixtral 8x7B $0.45 / $0.70, Mistral 7B $0.15 / $0.20,
 *      Command R+ $3 / $15, Command R $0.50 / $1.50.
 *  [J] atonementlicensing.pages.dev/blog/aws-bedrock-pricing-2026 ("AWS public pricing as of Q1 2026", us-east-1,
 *      taken as 2026-03-31): Titan Text Premier $0.50 / $1.50, Llama 3.3 70B $0.72 / $0.72, Mistral Large 2 (2407)
 *      $2 / $6, Jamba 1.5 Large $2 / $8, Claude 3.5 Haiku $0.80 / $4. (It lists Command R+ at $2.50 / $10; [I]'s
 *      $3 / $15 is kept because it matches the v1:0 model Bedrock serves. Check.)
 *  [K] docs.quantized.us/api/aws-bedrock-embeddings (2026): Titan Embed Text v2 dimensions 256/512/1024, normalize,
 *      one text per call; Cohere Embed v3 `texts` batch. AWS Marketplace listing for Cohere Embed 4: 128K context.
 *  [L] alchemy.run/providers/aws/bedrock/counttokens and AWS "count-tokens" user guide page: CountTokens works for a
 *      subset of models addressed by their bare foundation-model id (Claude); Nova models and inference-profile ids
 *      are rejected. The per-model list was not readable; `countTokensSupported` is true for Claude 3.5 Haiku and
 *      later as the author's best knowledge.
 *
 * Context windows and output limits not covered by [A]/[C]/[F] (Nova Micro/Pro, Titan, Llama 3.x, Mixtral, Mistral
 * Large/Small, Cohere, Jamba, Nova 2 Lite output) follow the AWS inference-parameter pages as last known to the author
 * and are unverified here. Capabilities (tools, streaming tool use, documents, citations) follow the Converse API's
 * "supported models and model features" table as last known to the author; they are conservative where unsure.
 */

/** What a model can do (the encoded form of `ModelCatalog.Capabilities`). */
interface Caps {
  readonly tools: boolean
  readonly streamingToolUse: boolean
  readonly vision: boolean
  readonly documents: boolean
  readonly reasoning: boolean
  readonly promptCaching: boolean
  readonly citations: boolean
  readonly embeddings?: {
    readonly dimensions: readonly [number, ...Array<number>]
    readonly maxBatch: number
    readonly maxInputTokens: number
    readonly normalize?: boolean | undefined
  } | undefined
}

/**
 * One built-in entry as plain data: the encoded form of `ModelCatalog.ModelInfo`, which decodes it (so a family or
 * modality it does not know fails when the catalog loads). Written here without importing `ModelCatalog`, which
 * imports these entries.
 */
export interface Entry {
  readonly id: string
  readonly family: string
  readonly displayName: string
  readonly contextWindow: number
  readonly maxOutputTokens: number
  readonly capabilities: Caps
  readonly inputModalities: readonly [string, ...Array<string>]
  readonly prices: {
    readonly input: number
    readonly output: number
    readonly cacheRead?: number | undefined
    readonly cacheWrite?: number | undefined
    readonly regionalSurcharge?: number | undefined
    readonly batchDiscount?: number | undefined
  }
  readonly pricesAsOf: string
  readonly pricesSource?: string | undefined
  readonly countTokensSupported: boolean
  readonly lifecycle?: "active" | "legacy" | undefined
}

const READ = "2026-11-27"

const noCaps: Caps = {
  tools: false,
  streamingToolUse: false,
  vision: false,
  documents: false,
  reasoning: false,
  promptCaching: false,
  citations: false
}

const claudeCaps = (overrides: Partial<Caps> = {}): Caps => ({
  tools: true,
  streamingToolUse: true,
  vision: true,
  documents: true,
  reasoning: false,
  promptCaching: true,
  citations: true,
  ...overrides
})

const claude = (
  id: string,
  displayName: string,
  limits: { readonly context: number; readonly output: number },
  prices: Entry["prices"],
  extra: Partial<Entry> = {}
): Entry => ({
  id,
  family: "anthropic",
  displayName,
  contextWindow: limits.context,
  maxOutputTokens: limits.output,
  capabilities: claudeCaps(),
  inputModalities: ["text", "image", "document"],
  prices,
  pricesAsOf: READ,
  pricesSource: "D",
  countTokensSupported: true,
  ...extra
})

const anthropic: ReadonlyArray<Entry> = [
  claude("anthropic.claude-3-haiku-20240307-v1:0", "Claude 3 Haiku", { context: 200_000, output: 4_096 }, {
    input: 0.25,
    output: 1.25
  }, {
    capabilities: claudeCaps({ promptCaching: false, citations: false, streamingToolUse: false }),
    countTokensSupported: false,
    pricesSource: "D, F"
  }),
  claude("anthropic.claude-3-5-haiku-20241022-v1:0", "Claude 3.5 Haiku", { context: 200_000, output: 8_192 }, {
    input: 0.8,
    output: 4,
    cacheRead: 0.08,
    cacheWrite: 1
  }, {
    capabilities: claudeCaps({ vision: false, documents: false, citations: false }),
    inputModalities: ["text"],
    pricesSource: "D, J"
  }),
  claude("anthropic.claude-3-5-sonnet-20241022-v2:0", "Claude 3.5 Sonnet v2", { context: 200_000, output: 8_192 }, {
    input: 6,
    output: 30
  }, {
    capabilities: claudeCaps({ promptCaching: false }),
    pricesSource: "E (Bedrock extended-access price; Anthropic lists $3 / $15)",
    lifecycle: "legacy"
  }),
  claude("anthropic.claude-3-7-sonnet-20250219-v1:0", "Claude 3.7 Sonnet", { context: 200_000, output: 64_000 }, {
    input: 3,
    output: 15,
    cacheRead: 0.3,
    cacheWrite: 3.75
  }, { capabilities: claudeCaps({ reasoning: true }), lifecycle: "legacy" }),
  claude("anthropic.claude-sonnet-4-20250514-v1:0", "Claude Sonnet 4", { context: 200_000, output: 64_000 }, {
    input: 3,
    output: 15,
    cacheRead: 0.3,
    cacheWrite: 3.75
  }, { capabilities: claudeCaps({ reasoning: true }), lifecycle: "legacy" }),
  claude("anthropic.claude-sonnet-4-5-20250929-v1:0", "Claude Sonnet 4.5", { context: 200_000, output: 64_000 }, {
    input: 3,
    output: 15,
    cacheRead: 0.3,
    cacheWrite: 3.75,
    regionalSurcharge: 0.1
  }, { capabilities: claudeCaps({ reasoning: true }), pricesSource: "C, E", lifecycle: "legacy" }),
  claude("anthropic.claude-sonnet-4-6", "Claude Sonnet 4.6", { context: 1_000_000, output: 64_000 }, {
    input: 3,
    output: 15,
    cacheRead: 0.3,
    cacheWrite: 3.75,
    regionalSurcharge: 0.1
  }, { capabilities: claudeCaps({ reasoning: true }), pricesSource: "B, E, F", pricesAsOf: "2026-03-21" }),
  claude("anthropic.claude-opus-4-20250514-v1:0", "Claude Opus 4", { context: 200_000, output: 32_000 }, {
    input: 15,
    output: 75,
    cacheRead: 1.5,
    cacheWrite: 18.75
  }, { capabilities: claudeCaps({ reasoning: true }), lifecycle: "legacy" }),
  claude("anthropic.claude-opus-4-1-20250805-v1:0", "Claude Opus 4.1", { context: 200_000, output: 32_000 }, {
    input: 15,
    output: 75,
    cacheRead: 1.5,
    cacheWrite: 18.75
  }, { capabilities: claudeCaps({ reasoning: true }), lifecycle: "legacy" }),
  claude("anthropic.claude-opus-4-5-20251101-v1:0", "Claude Opus 4.5", { context: 200_000, output: 64_000 }, {
    input: 5,
    output: 25,
    cacheRead: 0.5,
    cacheWrite: 6.25,
    regionalSurcharge: 0.1
  }, { capabilities: claudeCaps({ reasoning: true }), pricesSource: "C, E", lifecycle: "legacy" }),
  claude("anthropic.claude-opus-4-6-v1", "Claude Opus 4.6", { context: 1_000_000, output: 128_000 }, {
    input: 5,
    output: 25,
    cacheRead: 0.5,
    cacheWrite: 6.25,
    regionalSurcharge: 0.1
  }, { capabilities: claudeCaps({ reasoning: true }), pricesSource: "B, E, F", pricesAsOf: "2026-03-21" }),
  claude("anthropic.claude-haiku-4-5-20251001-v1:0", "Claude Haiku 4.5", { context: 200_000, output: 64_000 }, {
    input: 1,
    output: 5,
    cacheRead: 0.1,
    cacheWrite: 1.25,
    regionalSurcharge: 0.1
  }, { capabilities: claudeCaps({ reasoning: true }), pricesSource: "A, E, F", pricesAsOf: "2026-03-21" })
]

const novaCaps = (overrides: Partial<Caps> = {}): Caps => ({
  ...noCaps,
  tools: true,
  streamingToolUse: true,
  vision: true,
  documents: true,
  promptCaching: true,
  ...overrides
})

const nova: ReadonlyArray<Entry> = [
  {
    id: "amazon.nova-micro-v1:0",
    family: "amazon-nova",
    displayName: "Amazon Nova Micro",
    contextWindow: 128_000,
    maxOutputTokens: 5_000,
    capabilities: novaCaps({ vision: false, documents: false }),
    inputModalities: ["text"],
    prices: { input: 0.035, output: 0.14, cacheRead: 0.00875 },
    pricesAsOf: READ,
    pricesSource: "G (cache read = 25% of input, as [G] gives for Nova Pro)",
    countTokensSupported: false
  },
  {
    id: "amazon.nova-lite-v1:0",
    family: "amazon-nova",
    displayName: "Amazon Nova Lite",
    contextWindow: 300_000,
    maxOutputTokens: 5_000,
    capabilities: novaCaps(),
    inputModalities: ["text", "image", "document", "video"],
    prices: { input: 0.06, output: 0.24, cacheRead: 0.015 },
    pricesAsOf: READ,
    pricesSource: "A, G",
    countTokensSupported: false
  },
  {
    id: "amazon.nova-pro-v1:0",
    family: "amazon-nova",
    displayName: "Amazon Nova Pro",
    contextWindow: 300_000,
    maxOutputTokens: 5_000,
    capabilities: novaCaps(),
    inputModalities: ["text", "image", "document", "video"],
    prices: { input: 0.8, output: 3.2, cacheRead: 0.2 },
    pricesAsOf: "2026-05-01",
    pricesSource: "G",
    countTokensSupported: false
  },
  {
    id: "amazon.nova-premier-v1:0",
    family: "amazon-nova",
    displayName: "Amazon Nova Premier",
    contextWindow: 1_000_000,
    maxOutputTokens: 25_000,
    capabilities: novaCaps({ reasoning: true }),
    inputModalities: ["text", "image", "document", "video"],
    prices: { input: 2.5, output: 12.5, cacheRead: 0.625 },
    pricesAsOf: READ,
    pricesSource: "unverified (limits from A)",
    countTokensSupported: false,
    lifecycle: "legacy"
  },
  {
    id: "amazon.nova-2-lite-v1:0",
    family: "amazon-nova",
    displayName: "Amazon Nova 2 Lite",
    contextWindow: 1_000_000,
    maxOutputTokens: 65_536,
    capabilities: novaCaps({ reasoning: true }),
    inputModalities: ["text", "image", "document", "video"],
    prices: { input: 0.3, output: 2.5, cacheRead: 0.075, regionalSurcharge: 0.1 },
    pricesAsOf: READ,
    pricesSource: "H (max output unverified)",
    countTokensSupported: false
  }
]

const titanText = (
  id: string,
  displayName: string,
  contextWindow: number,
  maxOutputTokens: number,
  prices: Entry["prices"],
  pricesSource: string,
  pricesAsOf: string = READ
): Entry => ({
  id,
  family: "amazon-titan-text",
  displayName,
  contextWindow,
  maxOutputTokens,
  capabilities: noCaps,
  inputModalities: ["text"],
  prices,
  pricesAsOf,
  pricesSource,
  countTokensSupported: false,
  lifecycle: "legacy"
})

const titan: ReadonlyArray<Entry> = [
  titanText("amazon.titan-text-express-v1", "Amazon Titan Text G1 - Express", 8_192, 8_192, {
    input: 0.2,
    output: 0.6
  }, "I"),
  titanText(
    "amazon.titan-text-lite-v1",
    "Amazon Titan Text G1 - Lite",
    4_096,
    4_096,
    { input: 0.15, output: 0.2 },
    "I"
  ),
  titanText(
    "amazon.titan-text-premier-v1:0",
    "Amazon Titan Text Premier",
    32_000,
    3_072,
    { input: 0.5, output: 1.5 },
    "J ([I] lists $0.80 / $2.40)",
    "2026-03-31"
  )
]

const embedding = (
  id: string,
  family: "amazon-titan-embed" | "cohere-embed",
  displayName: string,
  embeddings: NonNullable<Caps["embeddings"]>,
  inputPrice: number,
  pricesSource: string,
  inputModalities: Entry["inputModalities"] = ["text"]
): Entry => ({
  id,
  family,
  displayName,
  contextWindow: embeddings.maxInputTokens,
  maxOutputTokens: 0,
  capabilities: { ...noCaps, vision: inputModalities.includes("image"), embeddings },
  inputModalities,
  prices: { input: inputPrice, output: 0 },
  pricesAsOf: READ,
  pricesSource,
  countTokensSupported: false
})

const embeddings: ReadonlyArray<Entry> = [
  embedding(
    "amazon.titan-embed-text-v1",
    "amazon-titan-embed",
    "Amazon Titan Embeddings G1 - Text",
    {
      dimensions: [1536],
      maxBatch: 1,
      maxInputTokens: 8_192
    },
    0.1,
    "unverified"
  ),
  embedding(
    "amazon.titan-embed-text-v2:0",
    "amazon-titan-embed",
    "Amazon Titan Text Embeddings V2",
    {
      dimensions: [256, 512, 1024],
      maxBatch: 1,
      maxInputTokens: 8_192,
      normalize: true
    },
    0.02,
    "I, K"
  ),
  embedding(
    "cohere.embed-english-v3",
    "cohere-embed",
    "Cohere Embed English v3",
    {
      dimensions: [1024],
      maxBatch: 96,
      maxInputTokens: 512
    },
    0.1,
    "unverified"
  ),
  embedding(
    "cohere.embed-multilingual-v3",
    "cohere-embed",
    "Cohere Embed Multilingual v3",
    {
      dimensions: [1024],
      maxBatch: 96,
      maxInputTokens: 512
    },
    0.1,
    "unverified"
  ),
  embedding(
    "cohere.embed-v4:0",
    "cohere-embed",
    "Cohere Embed v4",
    {
      dimensions: [256, 512, 1024, 1536],
      maxBatch: 96,
      maxInputTokens: 128_000
    },
    0.12,
    "unverified (context from K)",
    ["text", "image"]
  )
]

const llama = (
  id: string,
  displayName: string,
  limits: { readonly context: number; readonly output: number },
  prices: Entry["prices"],
  options: { readonly tools: boolean; readonly vision: boolean; readonly source: string; readonly asOf?: string }
): Entry => ({
  id,
  family: "meta-llama",
  displayName,
  contextWindow: limits.context,
  maxOutputTokens: limits.output,
  capabilities: { ...noCaps, tools: options.tools, vision: options.vision },
  inputModalities: options.vision ? ["text", "image"] : ["text"],
  prices,
  pricesAsOf: options.asOf ?? READ,
  pricesSource: options.source,
  countTokensSupported: false
})

const meta: ReadonlyArray<Entry> = [
  llama("meta.llama3-1-8b-instruct-v1:0", "Llama 3.1 8B Instruct", { context: 128_000, output: 2_048 }, {
    input: 0.22,
    output: 0.22
  }, { tools: true, vision: false, source: "unverified" }),
  llama("meta.llama3-1-70b-instruct-v1:0", "Llama 3.1 70B Instruct", { context: 128_000, output: 2_048 }, {
    input: 0.72,
    output: 0.72
  }, { tools: true, vision: false, source: "unverified" }),
  llama("meta.llama3-2-1b-instruct-v1:0", "Llama 3.2 1B Instruct", { context: 128_000, output: 2_048 }, {
    input: 0.1,
    output: 0.1
  }, { tools: false, vision: false, source: "unverified" }),
  llama("meta.llama3-2-3b-instruct-v1:0", "Llama 3.2 3B Instruct", { context: 128_000, output: 2_048 }, {
    input: 0.15,
    output: 0.15
  }, { tools: false, vision: false, source: "unverified" }),
  llama("meta.llama3-2-11b-instruct-v1:0", "Llama 3.2 11B Vision Instruct", { context: 128_000, output: 2_048 }, {
    input: 0.16,
    output: 0.16
  }, { tools: true, vision: true, source: "unverified" }),
  llama("meta.llama3-2-90b-instruct-v1:0", "Llama 3.2 90B Vision Instruct", { context: 128_000, output: 2_048 }, {
    input: 0.72,
    output: 0.72
  }, { tools: true, vision: true, source: "unverified" }),
  llama("meta.llama3-3-70b-instruct-v1:0", "Llama 3.3 70B Instruct", { context: 128_000, output: 2_048 }, {
    input: 0.72,
    output: 0.72
  }, { tools: true, vision: false, source: "J", asOf: "2026-03-31" }),
  llama("meta.llama4-scout-17b-instruct-v1:0", "Llama 4 Scout 17B Instruct", { context: 3_500_000, output: 8_192 }, {
    input: 0.17,
    output: 0.66
  }, { tools: true, vision: true, source: "unverified" }),
  llama(
    "meta.llama4-maverick-17b-instruct-v1:0",
    "Llama 4 Maverick 17B Instruct",
    {
      context: 1_000_000,
      output: 8_192
    },
    { input: 0.24, output: 0.97 },
    { tools: true, vision: true, source: "unverified (limits from A)" }
  )
]

const mistralEntry = (
  id: string,
  displayName: string,
  limits: { readonly context: number; readonly output: number },
  prices: Entry["prices"],
  tools: boolean,
  pricesSource: string,
  pricesAsOf: string = READ
): Entry => ({
  id,
  family: "mistral",
  displayName,
  contextWindow: limits.context,
  maxOutputTokens: limits.output,
  capabilities: { ...noCaps, tools },
  inputModalities: ["text"],
  prices,
  pricesAsOf,
  pricesSource,
  countTokensSupported: false
})

const mistral: ReadonlyArray<Entry> = [
  mistralEntry(
    "mistral.mistral-7b-instruct-v0:2",
    "Mistral 7B Instruct",
    { context: 32_000, output: 4_096 },
    {
      input: 0.15,
      output: 0.2
    },
    false,
    "I (limits from A)"
  ),
  mistralEntry(
    "mistral.mixtral-8x7b-instruct-v0:1",
    "Mixtral 8x7B Instruct",
    { context: 32_000, output: 4_096 },
    {
      input: 0.45,
      output: 0.7
    },
    false,
    "I"
  ),
  mistralEntry(
    "mistral.mistral-large-2402-v1:0",
    "Mistral Large (24.02)",
    { context: 32_000, output: 8_192 },
    {
      input: 4,
      output: 12
    },
    true,
    "I"
  ),
  mistralEntry(
    "mistral.mistral-large-2407-v1:0",
    "Mistral Large 2 (24.07)",
    { context: 128_000, output: 8_192 },
    {
      input: 2,
      output: 6
    },
    true,
    "J",
    "2026-03-31"
  ),
  mistralEntry(
    "mistral.mistral-small-2402-v1:0",
    "Mistral Small (24.02)",
    { context: 32_000, output: 8_192 },
    {
      input: 1,
      output: 3
    },
    true,
    "unverified"
  )
]

const cohere: ReadonlyArray<Entry> = [
  {
    id: "cohere.command-r-v1:0",
    family: "cohere-command",
    displayName: "Cohere Command R",
    contextWindow: 128_000,
    maxOutputTokens: 4_000,
    capabilities: { ...noCaps, tools: true },
    inputModalities: ["text"],
    prices: { input: 0.5, output: 1.5 },
    pricesAsOf: READ,
    pricesSource: "I",
    countTokensSupported: false
  },
  {
    id: "cohere.command-r-plus-v1:0",
    family: "cohere-command",
    displayName: "Cohere Command R+",
    contextWindow: 128_000,
    maxOutputTokens: 4_000,
    capabilities: { ...noCaps, tools: true },
    inputModalities: ["text"],
    prices: { input: 3, output: 15 },
    pricesAsOf: READ,
    pricesSource: "I ([J] lists $2.50 / $10)",
    countTokensSupported: false
  }
]

const jamba = (id: string, displayName: string, prices: Entry["prices"], source: string, asOf: string): Entry => ({
  id,
  family: "ai21-jamba",
  displayName,
  contextWindow: 256_000,
  maxOutputTokens: 4_096,
  capabilities: { ...noCaps, tools: true },
  inputModalities: ["text"],
  prices,
  pricesAsOf: asOf,
  pricesSource: source,
  countTokensSupported: false
})

const ai21: ReadonlyArray<Entry> = [
  jamba("ai21.jamba-1-5-mini-v1:0", "AI21 Jamba 1.5 Mini", { input: 0.2, output: 0.4 }, "unverified", READ),
  jamba("ai21.jamba-1-5-large-v1:0", "AI21 Jamba 1.5 Large", { input: 2, output: 8 }, "J", "2026-03-31")
]

/** The built-in entries in encoded form; `ModelCatalog.defaults` decodes them. */
/**
 * Models with batch inference, at half the on-demand price: the Claude, Nova (1) and Llama text models of the
 * "Supported Regions and models for batch inference" page (docs.aws.amazon.com/bedrock/latest/userguide/
 * batch-inference-supported.html) and the batch rate of the Bedrock pricing page's prose, read 2026-12-04.
 */
const batchFamilies = /^(anthropic\.claude-|amazon\.nova-(micro|lite|pro|premier)-v1|meta\.llama)/

const withBatchPrice = (entry: Entry): Entry =>
  batchFamilies.test(entry.id) ? { ...entry, prices: { ...entry.prices, batchDiscount: 0.5 } } : entry

export const catalogEntries: ReadonlyArray<Entry> = [
  ...anthropic,
  ...nova,
  ...titan,
  ...embeddings,
  ...meta,
  ...mistral,
  ...cohere,
  ...ai21
].map(withBatchPrice)
