/**
 * The stateful half of a deployment, in a stack of its own so the front door can be replaced or torn down without
 * touching it: the service's three DynamoDB tables, made from the service's own definitions (`backend/src/Tables.ts`,
 * so their keys always match what the stores read and write), on-demand, with point-in-time recovery, encrypted with
 * the AWS managed key, TTL on the limits table's `expiresAt`, and deletion protection and retention outside `dev`;
 * and the admin key, generated into Secrets Manager (the service reads it at start; it is never a plain environment
 * value).
 *
 * @since 0.1.0
 */
import * as cdk from "aws-cdk-lib"
import * as dynamodb from "aws-cdk-lib/aws-dynamodb"
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager"
import type { Construct } from "constructs"
import { definitions } from "../../src/Tables.js"
import { BatchStorage } from "./BatchStorage.js"
import type { Config } from "./Config.js"
import type { Store } from "./Permissions.js"

/**
 * The attribute that expires each table's records (epoch seconds), where records expire: budget months and rate-limit
 * windows in the limits table (`backend/src/limits/Counters.ts`). Keys and usage are kept.
 *
 * @since 0.1.0
 * @category constants
 */
export const timeToLive: Readonly<Partial<Record<Store, string>>> = { limits: "expiresAt" }

/**
 * The table names of a deployment.
 *
 * @since 0.1.0
 * @category utils
 */
export const tableNames = (config: Config): Readonly<Record<Store, string>> => ({
  keys: `${config.name}-${config.stage}-keys`,
  limits: `${config.name}-${config.stage}-limits`,
  usage: `${config.name}-${config.stage}-usage`
})

const keyType = { HASH: dynamodb.AttributeType.STRING, S: dynamodb.AttributeType.STRING } as const

/**
 * The data stack.
 *
 * @since 0.1.0
 * @category stacks
 */
export class DataStack extends cdk.Stack {
  readonly tables: Readonly<Record<Store, dynamodb.Table>>
  readonly adminKey: secretsmanager.Secret
  /** Batch inference's bucket and role, with `config.batch`. */
  readonly batch?: BatchStorage | undefined

  constructor(scope: Construct, id: string, config: Config, props: cdk.StackProps) {
    super(scope, id, props)
    const keep = config.stage !== "dev"
    const names = tableNames(config)
    const stores: Array<Store> = ["keys", "limits", "usage"]
    const definitionsByName = new Map(
      definitions({
        keysTable: names.keys,
        limitsTable: names.limits,
        usageTable: names.usage
      }).map((definition) => [definition.TableName!, definition])
    )
    const tables = {} as Record<Store, dynamodb.Table>
    for (const store of stores) {
      const definition = definitionsByName.get(names[store])!
      const attribute = (name: string) => {
        const type = definition.AttributeDefinitions!.find((entry) => entry.AttributeName === name)!.AttributeType
        if (type !== "S") {
          throw new Error(`Table ${names[store]}: key attribute ${name} of type ${type} is not supported`)
        }
        return { name, type: keyType.S }
      }
      const partition = definition.KeySchema!.find((entry) => entry.KeyType === "HASH")!.AttributeName!
      const sort = definition.KeySchema!.find((entry) => entry.KeyType === "RANGE")?.AttributeName
      const ttl = timeToLive[store]
      tables[store] = new dynamodb.Table(this, `${store[0]!.toUpperCase()}${store.slice(1)}Table`, {
        tableName: names[store],
        partitionKey: attribute(partition),
        ...(sort === undefined ? {} : { sortKey: attribute(sort) }),
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: dynamodb.TableEncryption.AWS_MANAGED,
        deletionProtection: keep,
        removalPolicy: keep ? cdk.RemovalPolicy.RETAIN : cdk.RemovalPolicy.DESTROY,
        ...(ttl === undefined ? {} : { timeToLiveAttribute: ttl })
      })
    }
    this.tables = tables

    this.adminKey = new secretsmanager.Secret(this, "AdminKey", {
      secretName: `${config.name}/${config.stage}/admin-key`,
      description: "The admin key of the bedrock-llm gateway (/admin/*); the service reads it at start.",
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
      removalPolicy: keep ? cdk.RemovalPolicy.RETAIN : cdk.RemovalPolicy.DESTROY
    })
    cdk.Validations.of(this.adminKey).acknowledge({
      id: "AwsSolutions-SMG4",
      reason:
        "The admin key is rotated by an operator (docs/DEPLOY.md: put a new value, then redeploy or restart, since the service reads it at start); an automatic rotation Lambda would cut off the operator's CLI without notice."
    })
    new cdk.CfnOutput(this, "AdminKeySecretArn", { value: this.adminKey.secretArn })
    if (config.batch !== undefined) {
      this.batch = new BatchStorage(this, "Batch", { ...config, batch: config.batch })
      new cdk.CfnOutput(this, "BatchBucketName", { value: this.batch.bucket.bucketName })
      new cdk.CfnOutput(this, "BatchRoleArn", { value: this.batch.role.roleArn })
    }
    for (const store of stores) new cdk.CfnOutput(this, `${store}TableName`, { value: tables[store].tableName })
  }
}
