/**
 * The service half of a deployment: the front door the configuration chooses (`LambdaFrontDoor` or
 * `FargateFrontDoor`) with the service's role or task role holding exactly the statements of `Permissions`, the
 * monitoring, the optional Bedrock model invocation logging, and the optional AWS Budgets budget on Bedrock.
 *
 * @since 0.1.0
 */
import * as cdk from "aws-cdk-lib"
import * as budgets from "aws-cdk-lib/aws-budgets"
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb"
import type * as ecs from "aws-cdk-lib/aws-ecs"
import * as iam from "aws-cdk-lib/aws-iam"
import type * as s3 from "aws-cdk-lib/aws-s3"
import type * as secretsmanager from "aws-cdk-lib/aws-secretsmanager"
import * as cr from "aws-cdk-lib/custom-resources"
import type { Construct } from "constructs"
import { batchLayoutOf } from "./BatchLayout.js"
import { bucketArnOf, objectsFinding } from "./BatchStorage.js"
import type { Config } from "./Config.js"
import { FargateFrontDoor } from "./FargateFrontDoor.js"
import { LambdaFrontDoor } from "./LambdaFrontDoor.js"
import { serviceLogGroup } from "./LogGroups.js"
import { Monitoring } from "./Monitoring.js"
import { batchServiceStatements, bedrockStatements, type Store, tableStatements } from "./Permissions.js"
import { serviceEnvironment } from "./ServiceEnvironment.js"
import { toPolicyStatement } from "./Statements.js"

/**
 * What the service stack is built from.
 *
 * @since 0.1.0
 * @category models
 */
export interface ServiceStackProps extends cdk.StackProps {
  readonly config: Config
  readonly tables: Readonly<Record<Store, dynamodb.ITable>>
  readonly adminKey: secretsmanager.ISecret
  /** The Lambda bundle's directory (Lambda front doors). */
  readonly lambdaCode?: string | undefined
  /** The container image (Fargate). */
  readonly image?: ecs.ContainerImage | undefined
  /** CloudFront's web ACL, when it lives in another stack (us-east-1). */
  readonly cloudFrontWebAclArn?: string | undefined
  /** Batch inference's bucket and the jobs' role (with `config.batch`). */
  readonly batch?: { readonly bucket: s3.IBucket; readonly role: iam.IRole } | undefined
}

/** The id the CDK gives the singleton function behind every AwsCustomResource of a stack. */
const AwsCustomResourceSingleton = "AWS679f53fac002430cb0da5b7982bd2287"

/**
 * The service stack.
 *
 * @since 0.1.0
 * @category stacks
 */
export class ServiceStack extends cdk.Stack {
  readonly url: string
  readonly monitoring: Monitoring
  readonly lambda?: LambdaFrontDoor
  readonly fargate?: FargateFrontDoor

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props)
    const { config } = props
    const statements = [
      ...bedrockStatements(config, cdk.Aws.ACCOUNT_ID, cdk.Aws.PARTITION),
      ...tableStatements({
        keys: props.tables.keys.tableArn,
        limits: props.tables.limits.tableArn,
        usage: props.tables.usage.tableArn
      }),
      ...(props.batch === undefined || config.batch === undefined ? [] : batchServiceStatements(
        { ...config, batch: config.batch },
        { bucket: bucketArnOf(config), role: props.batch.role.roleArn },
        cdk.Aws.ACCOUNT_ID,
        cdk.Aws.PARTITION
      ))
    ].map(toPolicyStatement)
    const environment = {
      ...serviceEnvironment(config, {
        keys: props.tables.keys.tableName,
        limits: props.tables.limits.tableName,
        usage: props.tables.usage.tableName
      }),
      ...(props.batch === undefined || config.batch === undefined ? {} : {
        BACKEND_BATCH_BUCKET: props.batch.bucket.bucketName,
        BACKEND_BATCH_ROLE_ARN: props.batch.role.roleArn,
        BACKEND_BATCH_PREFIX: config.batch.prefix
      })
    }

    if (config.frontDoor === "fargate") {
      if (props.image === undefined) throw new Error("The fargate front door needs a container image.")
      this.fargate = new FargateFrontDoor(this, "Fargate", {
        config,
        image: props.image,
        environment,
        adminKey: props.adminKey,
        statements
      })
      this.url = this.fargate.url
      this.monitoring = new Monitoring(this, "Monitoring", config, {
        _tag: "fargate",
        loadBalancer: this.fargate.loadBalancer,
        targetGroup: this.fargate.targetGroup,
        clusterName: this.fargate.cluster.clusterName,
        serviceName: this.fargate.service.serviceName
      })
    } else {
      if (props.lambdaCode === undefined) throw new Error("The Lambda front doors need the bundle's directory.")
      this.lambda = new LambdaFrontDoor(this, "Lambda", {
        config,
        code: props.lambdaCode,
        environment,
        adminKeySecretArn: props.adminKey.secretArn,
        statements,
        cloudFrontWebAclArn: props.cloudFrontWebAclArn
      })
      this.url = this.lambda.url
      this.monitoring = new Monitoring(this, "Monitoring", config, { _tag: "lambda", fn: this.lambda.fn })
    }

    const serviceRole = this.lambda?.role ?? this.fargate?.taskRole
    if (props.batch !== undefined && config.batch !== undefined && serviceRole !== undefined) {
      const layout = batchLayoutOf(config.batch)
      const findings: Record<string, string> = {
        "AwsSolutions-IAM5[Resource::*]":
          "Batch inference: bedrock:ListModelInvocationJobs has no resource-level permissions, so AWS requires Resource * for it (and for nothing else in this statement).",
        [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:bedrock:${config.region}:<AWS::AccountId>:model-invocation-job/*]`]:
          "Batch inference: Bedrock names each model invocation job when it creates it, so getting and stopping the gateway's jobs is granted on this account's and Region's job ARNs."
      }
      findings[objectsFinding(config, layout.all)] =
        `Batch inference: the gateway writes each submission's records and reads its results under ${layout.prefix}<date>/<tag>/, and keeps the Batch API's files and batches under ${layout.prefix}gateway/keys/<key id>/, object names chosen per job and file, so the grant is on that prefix of the one batch bucket.`
      for (const [id, reason] of Object.entries(findings)) cdk.Validations.of(serviceRole).acknowledge({ id, reason })
    }
    if (config.invocationLogging) this.invocationLogging(config)
    if (config.budgets.monthlyBedrockUsd !== undefined && config.alarmEmail !== undefined) {
      new budgets.CfnBudget(this, "BedrockBudget", {
        budget: {
          budgetName: `${config.name}-${config.stage}-bedrock`,
          budgetType: "COST",
          timeUnit: "MONTHLY",
          budgetLimit: { amount: config.budgets.monthlyBedrockUsd, unit: "USD" },
          costFilters: { Service: ["Amazon Bedrock"] }
        },
        notificationsWithSubscribers: [80, 100].map((threshold) => ({
          notification: {
            notificationType: threshold === 100 ? "FORECASTED" : "ACTUAL",
            comparisonOperator: "GREATER_THAN",
            threshold,
            thresholdType: "PERCENTAGE"
          },
          subscribers: [{ subscriptionType: "EMAIL", address: config.alarmEmail! }]
        }))
      })
    }
    new cdk.CfnOutput(this, "DashboardName", { value: this.monitoring.dashboard.dashboardName })
  }

  /**
   * Bedrock model invocation logging (prompts and answers, per Region and account) to a log group of its own, set
   * with PutModelInvocationLoggingConfiguration (CloudFormation has no resource for it) and removed with the stack.
   */
  private invocationLogging(config: Config) {
    const logGroup = serviceLogGroup(
      this,
      "InvocationLogs",
      config,
      `/aws/bedrock/${config.name}-${config.stage}/invocations`
    )
    const role = new iam.Role(this, "InvocationLoggingRole", {
      assumedBy: new iam.ServicePrincipal("bedrock.amazonaws.com", {
        conditions: {
          StringEquals: { "aws:SourceAccount": cdk.Aws.ACCOUNT_ID },
          ArnLike: { "aws:SourceArn": `arn:${cdk.Aws.PARTITION}:bedrock:${cdk.Aws.REGION}:${cdk.Aws.ACCOUNT_ID}:*` }
        }
      }),
      description: "Lets Bedrock write model invocation logs to the gateway's invocation log group."
    })
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [logGroup.logGroupArn]
      })
    )
    const configuration = {
      loggingConfig: {
        cloudWatchConfig: { logGroupName: logGroup.logGroupName, roleArn: role.roleArn },
        textDataDeliveryEnabled: true,
        imageDataDeliveryEnabled: false,
        embeddingDataDeliveryEnabled: false
      }
    }
    const setting = new cr.AwsCustomResource(this, "InvocationLogging", {
      onCreate: {
        service: "Bedrock",
        action: "putModelInvocationLoggingConfiguration",
        parameters: configuration,
        physicalResourceId: cr.PhysicalResourceId.of(`${config.name}-${config.stage}-invocation-logging`)
      },
      onUpdate: {
        service: "Bedrock",
        action: "putModelInvocationLoggingConfiguration",
        parameters: configuration,
        physicalResourceId: cr.PhysicalResourceId.of(`${config.name}-${config.stage}-invocation-logging`)
      },
      onDelete: { service: "Bedrock", action: "deleteModelInvocationLoggingConfiguration" },
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({
          actions: [
            "bedrock:PutModelInvocationLoggingConfiguration",
            "bedrock:DeleteModelInvocationLoggingConfiguration"
          ],
          resources: ["*"]
        }),
        new iam.PolicyStatement({ actions: ["iam:PassRole"], resources: [role.roleArn] })
      ]),
      installLatestAwsSdk: false,
      logGroup: serviceLogGroup(this, "InvocationLoggingSetterLogs", config)
    })
    setting.node.addDependency(role)
    const setter = this.node.tryFindChild(AwsCustomResourceSingleton)
    if (setter !== undefined) {
      cdk.Validations.of(setter).acknowledge({
        id: "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
        reason:
          "The CDK's AwsCustomResource function (it sets the invocation logging configuration once per deployment) runs with AWSLambdaBasicExecutionRole, which only lets it write its own logs."
      })
    }
    cdk.Validations.of(setting).acknowledge({
      id: "AwsSolutions-IAM5[Resource::*]",
      reason:
        "Only the invocation-logging custom resource has it: bedrock:PutModelInvocationLoggingConfiguration and DeleteModelInvocationLoggingConfiguration have no resource types, so AWS requires Resource *."
    })
  }
}
