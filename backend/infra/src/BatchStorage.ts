/**
 * What Bedrock Batch Inference needs in the account: a private bucket for the jobs' JSONL records and the Batch
 * API's files (encrypted, public access blocked, TLS only; everything under the batch prefix deleted after the
 * configured days, incomplete multipart uploads aborted) and the service role Bedrock assumes to run a job, trusted
 * only by Bedrock for this account's model invocation jobs in this Region, allowed to read the submissions' inputs,
 * write their outputs (see `BatchLayout`) and invoke the batch models.
 *
 * @since 0.1.0
 */
import * as cdk from "aws-cdk-lib"
import * as iam from "aws-cdk-lib/aws-iam"
import * as s3 from "aws-cdk-lib/aws-s3"
import { Construct } from "constructs"
import { batchLayoutOf } from "./BatchLayout.js"
import type { Config } from "./Config.js"
import { batchRoleStatements, batchTrustConditions } from "./Permissions.js"
import { toPolicyStatement } from "./Statements.js"

/**
 * The batch bucket's name: the deployment's, its account and Region (bucket names are global), so both stacks and
 * cdk-nag's acknowledgements name its ARN the same way.
 *
 * @since 0.1.0
 * @category utils
 */
export const bucketNameOf = (config: Config, account: string = cdk.Aws.ACCOUNT_ID): string =>
  `${config.name}-${config.stage}-${account}-${config.region}-batch`

/**
 * The batch bucket's ARN.
 *
 * @since 0.1.0
 * @category utils
 */
export const bucketArnOf = (config: Config): string => `arn:${cdk.Aws.PARTITION}:s3:::${bucketNameOf(config)}`

/**
 * The cdk-nag finding of a grant on objects of the batch bucket matching a key pattern, as cdk-nag names it.
 *
 * @since 0.1.0
 * @category utils
 */
export const objectsFinding = (config: Config, pattern: string): string =>
  `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${bucketNameOf(config, "<AWS::AccountId>")}/${pattern}]`

/**
 * The batch bucket and the batch jobs' service role.
 *
 * @since 0.1.0
 * @category constructs
 */
export class BatchStorage extends Construct {
  readonly bucket: s3.Bucket
  readonly role: iam.Role

  constructor(scope: Construct, id: string, config: Config & { readonly batch: NonNullable<Config["batch"]> }) {
    super(scope, id)
    const keep = config.stage !== "dev"
    const layout = batchLayoutOf(config.batch)
    this.bucket = new s3.Bucket(this, "Bucket", {
      bucketName: bucketNameOf(config),
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      lifecycleRules: [
        { id: "ExpireBatchObjects", prefix: layout.prefix, expiration: cdk.Duration.days(config.batch.retentionDays) },
        {
          id: "AbortIncompleteUploads",
          prefix: layout.prefix,
          abortIncompleteMultipartUploadAfter: cdk.Duration.days(config.batch.abortIncompleteUploadDays)
        }
      ],
      removalPolicy: keep ? cdk.RemovalPolicy.RETAIN : cdk.RemovalPolicy.DESTROY
    })
    cdk.Validations.of(this.bucket).acknowledge({
      id: "AwsSolutions-S1",
      reason:
        "The bucket holds transient batch records that expire after the configured days; who reads and writes them is the gateway and Bedrock's batch role only, and CloudTrail data events (an account-level choice) audit object access without another log bucket."
    })

    const stack = cdk.Stack.of(this)
    this.role = new iam.Role(this, "Role", {
      description: "Bedrock assumes it to run the gateway's batch inference jobs",
      assumedBy: new iam.ServicePrincipal("bedrock.amazonaws.com").withConditions(
        batchTrustConditions(config, stack.account, stack.partition) as Record<string, unknown>
      )
    })
    for (
      const statement of batchRoleStatements(config, { bucket: bucketArnOf(config) }, stack.account, stack.partition)
    ) {
      this.role.addToPolicy(toPolicyStatement(statement))
    }
    for (const pattern of [layout.jobInputs, layout.jobOutputs]) {
      cdk.Validations.of(this.role).acknowledge({
        id: objectsFinding(config, pattern),
        reason:
          `Each submission has a folder of its own under ${layout.prefix} (<date>/<tag>/), Bedrock reads its records under input/ and writes its results under output/ with object names it chooses, so the grant is on those folders of this one bucket, nothing else.`
      })
    }
  }
}
