/**
 * A deployment as a CDK app: the data stack, the service stack of the configured front door, and, for CloudFront in
 * a deployment outside us-east-1, the edge stack with its web ACL. cdk-nag's AWS Solutions checks run on every
 * synthesis through CDK's `Validations`: an unacknowledged finding stops it, and every acknowledgement states why.
 *
 * @since 0.1.0
 */
import * as cdk from "aws-cdk-lib"
import { Platform } from "aws-cdk-lib/aws-ecr-assets"
import * as ecs from "aws-cdk-lib/aws-ecs"
import { AwsSolutionsChecks } from "cdk-nag"
import { fileURLToPath } from "node:url"
import type { Config } from "./Config.js"
import { DataStack } from "./DataStack.js"
import { ServiceStack } from "./ServiceStack.js"
import { EdgeStack } from "./WebAcl.js"

/**
 * The repository's root: the container image's build context (`backend/Dockerfile`, `.dockerignore`).
 *
 * @since 0.1.0
 * @category constants
 */
export const repositoryRoot = fileURLToPath(new URL("../../..", import.meta.url))

/** The stacks reference each other strongly (the data stack cannot drop what the service stack uses). */
const crossStackReferences = "@aws-cdk/core:defaultCrossStackReferences"

/**
 * How a deployment is synthesized.
 *
 * @since 0.1.0
 * @category models
 */
export interface AppOptions {
  readonly config: Config
  /** The Lambda bundle's directory (`dist/lambda` of `npm run build -w bedrock-llm-backend`). */
  readonly lambdaCode?: string | undefined
  /** Where the cloud assembly is written. */
  readonly outdir?: string | undefined
  readonly context?: Record<string, unknown> | undefined
  /** An app to add the stacks to (the CLI's, which carries its context and output directory). */
  readonly app?: cdk.App | undefined
}

/**
 * The app and its stacks.
 *
 * @since 0.1.0
 * @category models
 */
export interface Deployment {
  readonly app: cdk.App
  readonly data: DataStack
  readonly service: ServiceStack
  readonly edge?: EdgeStack | undefined
}

/**
 * The container image of a configuration: its image URI, or `backend/Dockerfile` built at deploy (synthesis only
 * stages the build context; no Docker engine is needed until `cdk deploy`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const imageOf = (config: Config): ecs.ContainerImage =>
  config.fargate.image !== undefined
    ? ecs.ContainerImage.fromRegistry(config.fargate.image)
    : ecs.ContainerImage.fromAsset(repositoryRoot, {
      file: "backend/Dockerfile",
      platform: config.architecture === "arm64" ? Platform.LINUX_ARM64 : Platform.LINUX_AMD64,
      ignoreMode: cdk.IgnoreMode.DOCKER
    })

/**
 * Builds the app of a validated configuration.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeApp = (options: AppOptions): Deployment => {
  const { config } = options
  const app = options.app ?? new cdk.App({
    ...(options.outdir === undefined ? {} : { outdir: options.outdir }),
    context: { [crossStackReferences]: "strong", ...options.context }
  })
  cdk.Validations.of(app).addPlugins(new AwsSolutionsChecks(app))
  const env = { region: config.region, ...(config.account === undefined ? {} : { account: config.account }) }
  const prefix = `${config.name}-${config.stage}`
  const tags = { application: "bedrock-llm-gateway", stage: config.stage }

  const data = new DataStack(app, `${prefix}-data`, config, {
    env,
    description: "bedrock-llm gateway: DynamoDB tables and the admin key",
    terminationProtection: config.stage !== "dev",
    tags
  })
  const needsEdge = config.frontDoor === "function-url" && config.domain !== undefined
  const edge = needsEdge && config.region !== "us-east-1"
    ? new EdgeStack(app, `${prefix}-edge`, `${prefix}-gateway-edge`, {
      env: { ...env, region: "us-east-1" },
      description: "bedrock-llm gateway: CloudFront's WAF web ACL (us-east-1)",
      tags
    })
    : undefined
  const service = new ServiceStack(app, `${prefix}-gateway`, {
    env,
    description: `bedrock-llm gateway: the ${config.frontDoor} front door, its IAM, monitoring and alarms`,
    config,
    tables: data.tables,
    adminKey: data.adminKey,
    lambdaCode: options.lambdaCode,
    image: config.frontDoor === "fargate" ? imageOf(config) : undefined,
    cloudFrontWebAclArn: edge?.webAclArn,
    batch: data.batch,
    crossRegionReferences: edge !== undefined,
    tags
  })
  service.addStackDependency(data)
  return { app, data, service, edge }
}
