/**
 * The configuration's plain IAM statements (`Permissions`) as CDK policy statements.
 *
 * @since 0.1.0
 */
import * as iam from "aws-cdk-lib/aws-iam"
import type { Statement } from "./Permissions.js"

/**
 * An Allow statement of `Permissions` as a CDK policy statement.
 *
 * @since 0.1.0
 * @category constructors
 */
export const toPolicyStatement = (statement: Statement): iam.PolicyStatement =>
  new iam.PolicyStatement({
    sid: statement.sid,
    effect: iam.Effect.ALLOW,
    actions: [...statement.actions],
    resources: [...statement.resources],
    ...(statement.conditions === undefined ? {} : { conditions: statement.conditions as Record<string, unknown> })
  })
