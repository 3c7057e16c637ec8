/**
 * The deployment's log groups: each kept for the configured days and removed with its stack (the data that must
 * outlive a stack is in DynamoDB, not in logs).
 *
 * @since 0.1.0
 */
import * as cdk from "aws-cdk-lib"
import * as logs from "aws-cdk-lib/aws-logs"
import type { Construct } from "constructs"
import type { Config } from "./Config.js"

/**
 * A log group with the configuration's retention (`name` undefined: a generated name).
 *
 * @since 0.1.0
 * @category constructors
 */
export const serviceLogGroup = (scope: Construct, id: string, config: Config, name?: string): logs.LogGroup =>
  new logs.LogGroup(scope, id, {
    ...(name === undefined ? {} : { logGroupName: name }),
    retention: config.logRetentionDays as logs.RetentionDays,
    removalPolicy: cdk.RemovalPolicy.DESTROY
  })
