/**
 * The WAF web ACL in front of the gateway: AWS's managed rule groups for common exploits, known bad inputs and IP
 * reputation, and a per-IP rate limit. The common rule set's 8 KB body limit is only counted, not enforced: chat
 * requests are routinely larger, and the service enforces its own body limit (`BACKEND_MAX_BODY_BYTES`).
 *
 * For CloudFront the ACL must be in us-east-1 (`EdgeStack` holds it when the deployment is elsewhere); for the REST
 * API it is regional.
 *
 * @since 0.1.0
 */
import * as cdk from "aws-cdk-lib"
import * as wafv2 from "aws-cdk-lib/aws-wafv2"
import type { Construct } from "constructs"

const managed = (
  name: string,
  priority: number,
  excluded: ReadonlyArray<string> = []
): wafv2.CfnWebACL.RuleProperty => ({
  name,
  priority,
  overrideAction: { none: {} },
  statement: {
    managedRuleGroupStatement: {
      vendorName: "AWS",
      name,
      ...(excluded.length === 0
        ? {}
        : { ruleActionOverrides: excluded.map((rule) => ({ name: rule, actionToUse: { count: {} } })) })
    }
  },
  visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: name, sampledRequestsEnabled: true }
})

/**
 * Requests per IP address in any 5 minutes above which WAF blocks the address.
 *
 * @since 0.1.0
 * @category constants
 */
export const rateLimitPer5Minutes = 3000

/**
 * A web ACL of the given scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const webAcl = (scope: Construct, id: string, name: string, aclScope: "CLOUDFRONT" | "REGIONAL") =>
  new wafv2.CfnWebACL(scope, id, {
    name,
    scope: aclScope,
    defaultAction: { allow: {} },
    visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: name, sampledRequestsEnabled: true },
    rules: [
      managed("AWSManagedRulesCommonRuleSet", 1, ["SizeRestrictions_BODY"]),
      managed("AWSManagedRulesKnownBadInputsRuleSet", 2),
      managed("AWSManagedRulesAmazonIpReputationList", 3),
      {
        name: "RatePerIp",
        priority: 4,
        action: { block: {} },
        statement: { rateBasedStatement: { limit: rateLimitPer5Minutes, aggregateKeyType: "IP" } },
        visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: `${name}-rate`, sampledRequestsEnabled: true }
      }
    ]
  })

/**
 * The us-east-1 stack holding CloudFront's web ACL when the deployment is in another Region.
 *
 * @since 0.1.0
 * @category stacks
 */
export class EdgeStack extends cdk.Stack {
  readonly webAclArn: string

  constructor(scope: Construct, id: string, name: string, props: cdk.StackProps) {
    super(scope, id, { ...props, crossRegionReferences: true })
    this.webAclArn = webAcl(this, "WebAcl", name, "CLOUDFRONT").attrArn
  }
}
