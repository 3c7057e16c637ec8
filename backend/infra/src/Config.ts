/**
 * The deployment's one typed configuration (a JSON file, see `config/example.json`), validated before anything is
 * synthesized: a bad value fails with an error that names its path and what was expected, and the rules that span
 * fields (an alias's targets must be configured models, a CloudFront certificate must be in us-east-1, the drain
 * deadline must fit the Fargate stop timeout, ...) are checked with the same kind of message.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

const Region = Schema.String.pipe(
  Schema.pattern(/^[a-z]{2}(-gov)?-[a-z]+-\d$/),
  Schema.annotations({ description: "an AWS Region such as us-east-1" })
)

const Account = Schema.String.pipe(
  Schema.pattern(/^\d{12}$/),
  Schema.annotations({ description: "a 12-digit AWS account id" })
)

const ModelId = Schema.String.pipe(
  Schema.pattern(/^[a-z0-9][a-z0-9.:_-]{2,199}$/),
  Schema.annotations({
    description: "a Bedrock model id or system inference profile id, e.g. anthropic.claude-3-haiku-20240307-v1:0"
  })
)

/**
 * A model the service may call: a foundation model (in `region`, default the deployment's), a geographic cross-Region
 * inference profile (`us.`, `eu.`, `apac.`, ...; its destination Regions are required, they are in its IAM policy),
 * or a global one (`global.`).
 *
 * @since 0.1.0
 * @category models
 */
export const Model = Schema.Struct({
  id: ModelId,
  region: Schema.optional(Region),
  destinationRegions: Schema.optional(Schema.NonEmptyArray(Region))
})

/**
 * @since 0.1.0
 * @category models
 */
export type Model = typeof Model.Type

const AliasTarget = Schema.Union(
  ModelId,
  Schema.Struct({ modelId: ModelId, region: Schema.optional(Region) })
)

const Guardrail = Schema.Struct({
  id: Schema.String.pipe(Schema.pattern(/^[a-z0-9]{12}$/), Schema.annotations({ description: "a guardrail id" })),
  region: Schema.optional(Region)
})

const Arn = (service: string) =>
  Schema.String.pipe(
    Schema.pattern(new RegExp(`^arn:aws[a-z-]*:${service}:`)),
    Schema.annotations({ description: `an ${service} ARN` })
  )

const Domain = Schema.Struct({
  name: Schema.String.pipe(
    Schema.pattern(/^(?!-)[a-z0-9-]{1,63}(\.[a-z0-9-]{1,63})+$/),
    Schema.annotations({ description: "a DNS name such as llm.example.com" })
  ),
  certificateArn: Arn("acm")
})

const Int = (min: number, max: number) => Schema.Int.pipe(Schema.between(min, max))

/** Plain key characters only: no IAM wildcard (`*`, `?`) or policy variable (`$`) may hide in the grants' resources. */
const BatchPrefix = Schema.String.pipe(
  Schema.pattern(/^(?=.{2,200}$)(?:[A-Za-z0-9!_.'()-]+\/)+$/),
  Schema.annotations({
    description:
      "an S3 key prefix of folders, each ending in /, such as bedrock-llm-batch/ (letters, digits, !_.'()-; at most 200)"
  })
)

/**
 * The front doors: a Lambda function behind its Function URL (CloudFront and WAF in front when a domain is
 * configured), the same function behind an API Gateway REST API with response streaming, or ECS Fargate behind an
 * HTTPS Application Load Balancer.
 *
 * @since 0.1.0
 * @category models
 */
export const FrontDoor = Schema.Literal("function-url", "rest-api", "fargate")

/**
 * @since 0.1.0
 * @category models
 */
export type FrontDoor = typeof FrontDoor.Type

/**
 * The configuration file's schema.
 *
 * @since 0.1.0
 * @category models
 */
export const Config = Schema.Struct({
  /** Prefix of every resource name. */
  name: Schema.optionalWith(
    Schema.String.pipe(
      Schema.pattern(/^[a-z][a-z0-9-]{1,24}$/),
      Schema.annotations({ description: "lowercase letters, digits and -, 2 to 25" })
    ),
    { default: () => "bedrock-llm" }
  ),
  /** `dev` tables may be deleted with the stack; any other stage keeps them (deletion protection, retained). */
  stage: Schema.optionalWith(Schema.String.pipe(Schema.pattern(/^[a-z][a-z0-9]{0,9}$/)), { default: () => "dev" }),
  account: Schema.optional(Account),
  region: Region,
  frontDoor: FrontDoor,
  models: Schema.NonEmptyArray(Model),
  aliases: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Schema.NonEmptyArray(AliasTarget) }), {
    default: () => ({})
  }),
  guardrails: Schema.optionalWith(Schema.Array(Guardrail), { default: () => [] }),
  domain: Schema.optional(Domain),
  alarmEmail: Schema.optional(
    Schema.String.pipe(
      Schema.pattern(/^[^@\s]+@[^@\s]+\.[^@\s]+$/),
      Schema.annotations({ description: "an e-mail address" })
    )
  ),
  budgets: Schema.optionalWith(
    Schema.Struct({
      /** Alarm when a key has spent this share of its monthly budget. */
      keySpendAlarmPercent: Schema.optionalWith(Int(1, 100), { default: () => 80 }),
      /** An AWS Budgets budget on the account's Bedrock cost, with e-mail alerts at 80% and 100%. */
      monthlyBedrockUsd: Schema.optional(Schema.Number.pipe(Schema.positive()))
    }),
    { default: () => ({ keySpendAlarmPercent: 80 }) }
  ),
  alarms: Schema.optionalWith(
    Schema.Struct({
      errorRatePercent: Schema.optionalWith(Schema.Number.pipe(Schema.between(0.1, 100)), { default: () => 5 }),
      p99LatencyMs: Schema.optionalWith(Int(100, 900_000), { default: () => 60_000 }),
      bedrockThrottlesPer5Min: Schema.optionalWith(Int(1, 1_000_000), { default: () => 10 })
    }),
    { default: () => ({ errorRatePercent: 5, p99LatencyMs: 60_000, bedrockThrottlesPer5Min: 10 }) }
  ),
  /** How long in-flight requests and streams may finish on shutdown. */
  drainSeconds: Schema.optionalWith(Int(5, 110), { default: () => 30 }),
  /** The per-request deadline, streams included. */
  requestTimeoutSeconds: Schema.optionalWith(Int(10, 3_600), { default: () => 600 }),
  logRetentionDays: Schema.optionalWith(
    Schema.Literal(
      1,
      3,
      5,
      7,
      14,
      30,
      60,
      90,
      120,
      150,
      180,
      365,
      400,
      545,
      731,
      1096,
      1827,
      2192,
      2557,
      2922,
      3288,
      3653
    ),
    { default: () => 30 as const }
  ),
  /** Bedrock model invocation logging (prompts and answers) to a CloudWatch log group of its own. */
  invocationLogging: Schema.optionalWith(Schema.Boolean, { default: () => false }),
  corsOrigins: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [] }),
  lambda: Schema.optionalWith(
    Schema.Struct({
      memoryMb: Schema.optionalWith(Int(256, 10_240), { default: () => 1024 }),
      reservedConcurrency: Schema.optional(Int(1, 10_000))
    }),
    { default: () => ({ memoryMb: 1024 }) }
  ),
  fargate: Schema.optionalWith(
    Schema.Struct({
      cpu: Schema.optionalWith(Schema.Literal(256, 512, 1024, 2048, 4096), { default: () => 512 as const }),
      memoryMb: Schema.optionalWith(Int(512, 30_720), { default: () => 1024 }),
      minTasks: Schema.optionalWith(Int(1, 100), { default: () => 2 }),
      maxTasks: Schema.optionalWith(Int(1, 1_000), { default: () => 10 }),
      cpuTargetPercent: Schema.optionalWith(Int(10, 90), { default: () => 60 }),
      requestsPerTarget: Schema.optionalWith(Int(1, 100_000), { default: () => 500 }),
      /** Where the image comes from: built from backend/Dockerfile at deploy, or an image URI. */
      image: Schema.optional(Schema.String)
    }),
    {
      default: () => ({
        cpu: 512 as const,
        memoryMb: 1024,
        minTasks: 2,
        maxTasks: 10,
        cpuTargetPercent: 60,
        requestsPerTarget: 500
      })
    }
  ),
  /**
   * Bedrock Batch Inference: a private bucket for the jobs' JSONL and the Batch API's files and batches, all under
   * `prefix` and deleted after `retentionDays` (see `BatchLayout`), and the service role Bedrock runs the jobs with,
   * allowed to invoke `models` (ids among `models` above; default every configured text model) and nothing else.
   */
  batch: Schema.optional(Schema.Struct({
    /** The key prefix of everything batch inference writes; the service gets it as `BACKEND_BATCH_PREFIX`. */
    prefix: Schema.optionalWith(BatchPrefix, { default: () => "bedrock-llm-batch/" }),
    retentionDays: Schema.optionalWith(Int(1, 3_650), { default: () => 14 }),
    /** Days after which an incomplete multipart upload to the bucket is aborted. */
    abortIncompleteUploadDays: Schema.optionalWith(Int(1, 30), { default: () => 1 }),
    models: Schema.optional(Schema.NonEmptyArray(ModelId))
  })),
  /** CPU architecture of the function and the tasks. */
  architecture: Schema.optionalWith(Schema.Literal("arm64", "x86_64"), { default: () => "arm64" as const })
})

/**
 * A validated configuration.
 *
 * @since 0.1.0
 * @category models
 */
export type Config = typeof Config.Type

/**
 * The configuration is invalid; `message` lists every problem, each with its path.
 *
 * @since 0.1.0
 * @category errors
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError"
}

/**
 * The geography prefixes of system-defined inference profiles.
 *
 * @since 0.1.0
 * @category constants
 */
export const geographies = ["us", "us-gov", "eu", "apac", "jp", "au", "ca"] as const

/**
 * What kind of model id this is.
 *
 * @since 0.1.0
 * @category utils
 */
export const kindOf = (id: string): "foundation-model" | "geographic-profile" | "global-profile" => {
  const prefix = id.split(".")[0]!
  if (prefix === "global") return "global-profile"
  return (geographies as ReadonlyArray<string>).includes(prefix) ? "geographic-profile" : "foundation-model"
}

/**
 * The foundation model a profile routes to (the id without its geography prefix).
 *
 * @since 0.1.0
 * @category utils
 */
export const foundationModelOf = (id: string): string =>
  kindOf(id) === "foundation-model" ? id : id.slice(id.indexOf(".") + 1)

const crossFieldProblems = (config: Config): Array<string> => {
  const problems: Array<string> = []
  const configured = new Set(config.models.map((model) => `${model.region ?? config.region}/${model.id}`))
  config.models.forEach((model, i) => {
    const kind = kindOf(model.id)
    if (kind === "geographic-profile" && model.destinationRegions === undefined) {
      problems.push(
        `models[${i}] (${model.id}): a geographic inference profile needs "destinationRegions", the Regions it routes to (its IAM policy names each one); see the profile's page in the Bedrock console or ListInferenceProfiles`
      )
    }
    if (kind !== "geographic-profile" && model.destinationRegions !== undefined) {
      problems.push(`models[${i}] (${model.id}): "destinationRegions" is only for geographic inference profiles`)
    }
    if (kind !== "foundation-model" && model.region !== undefined && model.region !== config.region) {
      problems.push(`models[${i}] (${model.id}): an inference profile is called from the deployment's Region`)
    }
  })
  for (const [alias, targets] of Object.entries(config.aliases)) {
    targets.forEach((target, i) => {
      const modelId = typeof target === "string" ? target : target.modelId
      const region = typeof target === "string" ? config.region : target.region ?? config.region
      if (!configured.has(`${region}/${modelId}`)) {
        problems.push(
          `aliases.${alias}[${i}]: ${modelId} in ${region} is not in "models", so the service would not be allowed to call it`
        )
      }
    })
  }
  if (config.batch !== undefined && config.name.length + config.stage.length + config.region.length + 21 > 63) {
    problems.push(
      `batch: the batch bucket's name (${config.name}-${config.stage}-<account>-${config.region}-batch) would be longer than S3's 63 characters; shorten "name" or "stage"`
    )
  }
  config.batch?.models?.forEach((id, i) => {
    if (!config.models.some((model) => model.id === id)) {
      problems.push(`batch.models[${i}]: ${id} is not in "models", so batch jobs would not be allowed to invoke it`)
    }
  })
  if (config.domain !== undefined) {
    const certificateRegion = config.domain.certificateArn.split(":")[3]
    const needed = config.frontDoor === "function-url" ? "us-east-1" : config.region
    if (certificateRegion !== needed) {
      problems.push(
        `domain.certificateArn: the ${config.frontDoor} front door needs a certificate in ${needed}${
          config.frontDoor === "function-url" ? " (CloudFront's)" : ""
        }, this one is in ${certificateRegion}`
      )
    }
  }
  if (config.frontDoor === "fargate" && config.domain === undefined) {
    problems.push(`domain: the fargate front door serves HTTPS only, so it needs a domain name and its certificate`)
  }
  if (config.frontDoor !== "fargate" && config.requestTimeoutSeconds > 890) {
    problems.push(
      `requestTimeoutSeconds: ${config.requestTimeoutSeconds} is above what a Lambda invocation can last (900 s, less a margin: 890)`
    )
  }
  if (config.fargate.minTasks > config.fargate.maxTasks) {
    problems.push(
      `fargate.minTasks (${config.fargate.minTasks}) is above fargate.maxTasks (${config.fargate.maxTasks})`
    )
  }
  if (
    config.account === undefined && config.frontDoor === "function-url" && config.domain !== undefined &&
    config.region !== "us-east-1"
  ) {
    problems.push(
      `account: CloudFront's web ACL lives in us-east-1, and a reference across Regions needs the account id`
    )
  }
  return problems
}

/**
 * Validates a parsed configuration file.
 *
 * @since 0.1.0
 * @category constructors
 */
export const decode = (input: unknown): Config => {
  const result = Schema.decodeUnknownEither(Config, { errors: "all", onExcessProperty: "error" })(input)
  if (Either.isLeft(result)) {
    throw new ConfigError(
      `Invalid deployment configuration:\n${ParseResult.TreeFormatter.formatErrorSync(result.left)}`
    )
  }
  const problems = crossFieldProblems(result.right)
  if (problems.length > 0) {
    throw new ConfigError(`Invalid deployment configuration:\n${problems.map((problem) => `- ${problem}`).join("\n")}`)
  }
  return result.right
}
