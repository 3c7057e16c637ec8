/**
 * What the service's role may do, as plain IAM statements computed from the configuration: exactly the Bedrock
 * actions the service calls, on exactly the configured foundation models, inference profiles and guardrails, and
 * exactly the DynamoDB actions each store uses, on its own table; with batch inference, the batch jobs' role and the
 * gateway's own batch permissions. No statement has a `*` action; the only `*` resource is
 * `bedrock:ListModelInvocationJobs`, which has no resource-level permissions.
 *
 * Cross-Region inference profiles follow AWS's documented policies: a geographic profile needs the profile and the
 * foundation model in every destination Region, those model grants conditioned on `bedrock:InferenceProfileArn`
 * (https://docs.aws.amazon.com/bedrock/latest/userguide/geographic-cross-region-inference.html); a global profile
 * needs the profile, the model in the source Region, and the Region-less model ARN with `aws:RequestedRegion`
 * `unspecified` (https://docs.aws.amazon.com/bedrock/latest/userguide/global-cross-region-inference.html).
 *
 * @since 0.1.0
 */
import { batchLayoutOf } from "./BatchLayout.js"
import { type Config, foundationModelOf, kindOf } from "./Config.js"

/**
 * An IAM statement (Allow).
 *
 * @since 0.1.0
 * @category models
 */
export interface Statement {
  readonly sid: string
  readonly actions: ReadonlyArray<string>
  readonly resources: ReadonlyArray<string>
  readonly conditions?: Readonly<Record<string, Readonly<Record<string, string | ReadonlyArray<string>>>>>
}

/**
 * The Bedrock runtime actions behind the library's operations: Converse and InvokeModel are `bedrock:InvokeModel`,
 * ConverseStream and InvokeModelWithResponseStream `bedrock:InvokeModelWithResponseStream`, CountTokens
 * `bedrock:CountTokens`, and a guardrail applied to a call (or ApplyGuardrail itself) `bedrock:ApplyGuardrail`.
 *
 * @since 0.1.0
 * @category constants
 */
export const bedrockActionOf: Readonly<Record<string, string>> = {
  Converse: "bedrock:InvokeModel",
  InvokeModel: "bedrock:InvokeModel",
  ConverseStream: "bedrock:InvokeModelWithResponseStream",
  InvokeModelWithResponseStream: "bedrock:InvokeModelWithResponseStream",
  CountTokens: "bedrock:CountTokens",
  ApplyGuardrail: "bedrock:ApplyGuardrail"
}

const invoke = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]

/**
 * The service's tables, by store.
 *
 * @since 0.1.0
 * @category models
 */
export type Store = "keys" | "limits" | "usage"

/**
 * The DynamoDB actions each store's DynamoDB layer uses (`backend/src/keys/KeyStore.ts`, `limits/Counters.ts`,
 * `usage/UsageStore.ts`); a test records the service's calls on dynalite and checks they are exactly these.
 *
 * @since 0.1.0
 * @category constants
 */
export const tableActions: Readonly<Record<Store, ReadonlyArray<string>>> = {
  keys: ["dynamodb:DeleteItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan"],
  limits: ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:UpdateItem"],
  usage: ["dynamodb:DescribeTable", "dynamodb:Query", "dynamodb:Scan", "dynamodb:UpdateItem"]
}

/**
 * The statements of the tables (their ARNs given, tokens allowed).
 *
 * @since 0.1.0
 * @category constructors
 */
export const tableStatements = (arns: Readonly<Record<Store, string>>): Array<Statement> =>
  (Object.keys(tableActions) as Array<Store>).map((store) => ({
    sid: `${store[0]!.toUpperCase()}${store.slice(1)}Table`,
    actions: tableActions[store],
    resources: [arns[store]]
  }))

const sidOf = (prefix: string, i: number) => `${prefix}${i + 1}`

/**
 * The Bedrock statements of a configuration, for the given account (a token in a stack) and partition.
 *
 * @since 0.1.0
 * @category constructors
 */
export const bedrockStatements = (config: Config, account: string, partition = "aws"): Array<Statement> => {
  const fm = (region: string, id: string) => `arn:${partition}:bedrock:${region}::foundation-model/${id}`
  const profile = (id: string) => `arn:${partition}:bedrock:${config.region}:${account}:inference-profile/${id}`
  const statements: Array<Statement> = []
  const direct = config.models.filter((model) => kindOf(model.id) === "foundation-model")
  if (direct.length > 0) {
    statements.push({
      sid: "InvokeFoundationModels",
      actions: [...invoke, "bedrock:CountTokens"],
      resources: [...new Set(direct.map((model) => fm(model.region ?? config.region, model.id)))]
    })
  }
  const profiles = config.models.filter((model) => kindOf(model.id) !== "foundation-model")
  if (profiles.length > 0) {
    statements.push({
      sid: "InvokeInferenceProfiles",
      actions: invoke,
      resources: [...new Set(profiles.map((model) => profile(model.id)))]
    })
  }
  profiles.forEach((model, i) => {
    const base = foundationModelOf(model.id)
    const condition = { ArnLike: { "bedrock:InferenceProfileArn": profile(model.id) } }
    if (kindOf(model.id) === "geographic-profile") {
      const regions = [...new Set([config.region, ...(model.destinationRegions ?? [])])]
      statements.push({
        sid: sidOf("ThroughGeographicProfile", i),
        actions: invoke,
        resources: regions.map((region) => fm(region, base)),
        conditions: condition
      })
    } else {
      statements.push(
        {
          sid: sidOf("ThroughGlobalProfileInRegion", i),
          actions: invoke,
          resources: [fm(config.region, base)],
          conditions: condition
        },
        {
          sid: sidOf("ThroughGlobalProfile", i),
          actions: invoke,
          resources: [`arn:${partition}:bedrock:::foundation-model/${base}`],
          conditions: { ...condition, StringEquals: { "aws:RequestedRegion": "unspecified" } }
        }
      )
    }
  })
  if (config.guardrails.length > 0) {
    statements.push({
      sid: "ApplyGuardrails",
      actions: ["bedrock:ApplyGuardrail"],
      resources: config.guardrails.map((guardrail) =>
        `arn:${partition}:bedrock:${guardrail.region ?? config.region}:${account}:guardrail/${guardrail.id}`
      )
    })
  }
  return statements
}

/**
 * The models batch jobs may invoke: `batch.models`, or every configured model.
 *
 * @since 0.1.0
 * @category utils
 */
export const batchModelsOf = (config: Config): Config["models"] =>
  config.batch?.models === undefined
    ? config.models
    // Non-empty: `batch.models` is non-empty and each of its ids is in `models` (checked by `decode`).
    : config.models.filter((model) => config.batch!.models!.includes(model.id)) as unknown as Config["models"]

/** A job's ARN pattern: Bedrock names a model invocation job when it creates it. */
const jobArns = (config: Config, account: string, partition: string) =>
  `arn:${partition}:bedrock:${config.region}:${account}:model-invocation-job/*`

/**
 * The statements of the Bedrock service role of batch jobs: read the submissions' records (`<prefix>*` then
 * `/input/*`, see `BatchLayout`) and list them, write their results (`<prefix>*` then `/output/*`), and
 * `bedrock:InvokeModel` (what a batch job's records are) on the batch models only, with the same cross-Region
 * profile grants as the service's own (`bedrockStatements`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const batchRoleStatements = (
  config: Config & { readonly batch: NonNullable<Config["batch"]> },
  arns: { readonly bucket: string },
  account: string,
  partition = "aws"
): Array<Statement> => {
  const layout = batchLayoutOf(config.batch)
  return [
    { sid: "ReadBatchInput", actions: ["s3:GetObject"], resources: [`${arns.bucket}/${layout.jobInputs}`] },
    {
      sid: "ListBatchInput",
      actions: ["s3:ListBucket"],
      resources: [arns.bucket],
      conditions: { StringLike: { "s3:prefix": [layout.jobInputs] } }
    },
    { sid: "WriteBatchOutput", actions: ["s3:PutObject"], resources: [`${arns.bucket}/${layout.jobOutputs}`] },
    ...bedrockStatements({ ...config, models: batchModelsOf(config), guardrails: [] }, account, partition).map((
      statement
    ) => ({ ...statement, sid: `Batch${statement.sid}`, actions: ["bedrock:InvokeModel"] }))
  ]
}

/**
 * The trust policy's conditions of the batch role: only Bedrock, for a model invocation job of this account in this
 * Region (the confused-deputy guard AWS documents for the batch inference service role).
 *
 * @since 0.1.0
 * @category constructors
 */
export const batchTrustConditions = (config: Config, account: string, partition = "aws") => ({
  StringEquals: { "aws:SourceAccount": account },
  ArnEquals: { "aws:SourceArn": jobArns(config, account, partition) }
})

/**
 * What the gateway itself needs for batch jobs: create, get and stop its jobs (on job ARNs and the batch models),
 * list them (an action without resource-level permissions: `*`), pass the batch role to Bedrock and nothing else,
 * and, under the batch prefix only, the object actions its S3 calls need (`s3ActionOf`: read, write, delete, the
 * multipart upload's, abort) and listing (`s3:ListBucket` with `s3:prefix` under it, which also makes a missing
 * object's read a `NoSuchKey` rather than an `AccessDenied`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const batchServiceStatements = (
  config: Config & { readonly batch: NonNullable<Config["batch"]> },
  arns: { readonly bucket: string; readonly role: string },
  account: string,
  partition = "aws"
): Array<Statement> => {
  const layout = batchLayoutOf(config.batch)
  const models = bedrockStatements({ ...config, models: batchModelsOf(config), guardrails: [] }, account, partition)
    .filter((statement) => statement.conditions === undefined)
    .flatMap((statement) => statement.resources)
  return [
    {
      sid: "ManageBatchJobs",
      actions: ["bedrock:CreateModelInvocationJob", "bedrock:GetModelInvocationJob", "bedrock:StopModelInvocationJob"],
      resources: [jobArns(config, account, partition), ...models]
    },
    { sid: "ListBatchJobs", actions: ["bedrock:ListModelInvocationJobs"], resources: ["*"] },
    {
      sid: "PassBatchRole",
      actions: ["iam:PassRole"],
      resources: [arns.role],
      conditions: { StringEquals: { "iam:PassedToService": "bedrock.amazonaws.com" } }
    },
    {
      sid: "BatchObjects",
      actions: ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
      resources: [`${arns.bucket}/${layout.all}`]
    },
    {
      sid: "ListBatchObjects",
      actions: ["s3:ListBucket"],
      resources: [arns.bucket],
      conditions: { StringLike: { "s3:prefix": [layout.all] } }
    }
  ]
}
