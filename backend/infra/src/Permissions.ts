/**
 * What the service's role may do, as plain IAM statements computed from the configuration: exactly the Bedrock
 * actions the service calls, on exactly the configured foundation models, inference profiles and guardrails, and
 * exactly the DynamoDB actions each store uses, on its own table. No statement has a `*` action or resource.
 *
 * Cross-Region inference profiles follow AWS's documented policies: a geographic profile needs the profile and the
 * foundation model in every destination Region, those model grants conditioned on `bedrock:InferenceProfileArn`
 * (https://docs.aws.amazon.com/bedrock/latest/userguide/geographic-cross-region-inference.html); a global profile
 * needs the profile, the model in the source Region, and the Region-less model ARN with `aws:RequestedRegion`
 * `unspecified` (https://docs.aws.amazon.com/bedrock/latest/userguide/global-cross-region-inference.html).
 *
 * @since 0.1.0
 */
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
