/**
 * The DynamoDB tables of the service, as `CreateTable` inputs: what a deployment creates (issue 17's CDK follows
 * them) and what the tests create on dynalite. TTL is on `expiresAt` (epoch seconds) in the limits table.
 *
 * @since 0.1.0
 */
import type { CreateTableCommandInput } from "@aws-sdk/client-dynamodb"

/**
 * The three tables, by the names given.
 *
 * @since 0.1.0
 * @category constructors
 */
export const definitions = (names: {
  readonly keysTable: string
  readonly limitsTable: string
  readonly usageTable: string
}): ReadonlyArray<CreateTableCommandInput> => [
  {
    TableName: names.keysTable,
    AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
    BillingMode: "PAY_PER_REQUEST"
  },
  {
    TableName: names.limitsTable,
    AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
    BillingMode: "PAY_PER_REQUEST"
  },
  {
    TableName: names.usageTable,
    AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }, { AttributeName: "sk", AttributeType: "S" }],
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }, { AttributeName: "sk", KeyType: "RANGE" }],
    BillingMode: "PAY_PER_REQUEST"
  }
]
