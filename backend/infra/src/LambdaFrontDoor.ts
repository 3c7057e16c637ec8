/**
 * The Lambda front doors: the service's function (Node.js 24, the esbuild bundle of `backend/src/entry/lambda.ts`,
 * its own log group with the configured retention, a role with only the service's statements), served either
 *
 * - by its Function URL in `RESPONSE_STREAM` mode (auth `NONE`: every request is checked by the gateway's own keys),
 *   with, when a domain is configured, CloudFront in front (the domain's us-east-1 certificate, caching off, every
 *   header but Host forwarded, HTTPS only) and a WAF web ACL on the distribution; or
 * - by an API Gateway REST API whose Lambda proxy integration streams the response (`ResponseTransferMode.STREAM`),
 *   with access logs, a regional WAF web ACL, throttling, and the domain's regional certificate when configured.
 *
 * @since 0.1.0
 */
import * as cdk from "aws-cdk-lib"
import * as apigateway from "aws-cdk-lib/aws-apigateway"
import * as acm from "aws-cdk-lib/aws-certificatemanager"
import * as cloudfront from "aws-cdk-lib/aws-cloudfront"
import * as origins from "aws-cdk-lib/aws-cloudfront-origins"
import * as iam from "aws-cdk-lib/aws-iam"
import * as lambda from "aws-cdk-lib/aws-lambda"
import * as wafv2 from "aws-cdk-lib/aws-wafv2"
import { Construct } from "constructs"
import type { Config } from "./Config.js"
import { serviceLogGroup } from "./LogGroups.js"
import { webAcl } from "./WebAcl.js"

/**
 * What the Lambda front door needs from the rest of the stack.
 *
 * @since 0.1.0
 * @category models
 */
export interface LambdaFrontDoorProps {
  readonly config: Config
  /** The directory of the bundle (`index.mjs`). */
  readonly code: string
  readonly environment: Record<string, string>
  readonly adminKeySecretArn: string
  readonly statements: ReadonlyArray<iam.PolicyStatement>
  /** CloudFront's web ACL from `EdgeStack` (function-url with a domain, outside us-east-1); else made here. */
  readonly cloudFrontWebAclArn?: string | undefined
}

const acknowledge = (scope: Construct, id: string, reason: string) =>
  cdk.Validations.of(scope).acknowledge({ id, reason })

/**
 * The function and its front door.
 *
 * @since 0.1.0
 * @category constructs
 */
export class LambdaFrontDoor extends Construct {
  readonly fn: lambda.Function
  readonly role: iam.Role
  readonly url: string
  readonly functionUrl?: lambda.FunctionUrl
  readonly distribution?: cloudfront.Distribution
  readonly api?: apigateway.RestApi

  constructor(scope: Construct, id: string, props: LambdaFrontDoorProps) {
    super(scope, id)
    const { config } = props
    const prefix = `${config.name}-${config.stage}`
    const logGroup = serviceLogGroup(this, "Logs", config, `/aws/lambda/${prefix}-gateway`)
    this.role = new iam.Role(this, "Role", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: "The bedrock-llm gateway function: its Bedrock models, its tables, its admin key, its logs."
    })
    for (const statement of props.statements) this.role.addToPolicy(statement)
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: "ReadAdminKey",
        actions: ["secretsmanager:GetSecretValue"],
        resources: [props.adminKeySecretArn]
      })
    )
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: "WriteLogs",
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [logGroup.logGroupArn]
      })
    )

    this.fn = new lambda.Function(this, "Function", {
      functionName: `${prefix}-gateway`,
      description: "The bedrock-llm gateway (response streaming)",
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: config.architecture === "arm64" ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64,
      handler: "index.handler",
      // Source maps stay out of the package: a smaller download at cold start.
      code: lambda.Code.fromAsset(props.code, { exclude: ["*.map", "*.LEGAL.txt"] }),
      memorySize: config.lambda.memoryMb,
      timeout: cdk.Duration.seconds(config.requestTimeoutSeconds + 10),
      role: this.role,
      logGroup,
      environment: {
        ...props.environment,
        BACKEND_ADMIN_KEY_SECRET_ARN: props.adminKeySecretArn
      },
      ...(config.lambda.reservedConcurrency === undefined
        ? {}
        : { reservedConcurrentExecutions: config.lambda.reservedConcurrency })
    })

    if (config.frontDoor === "function-url") {
      this.functionUrl = this.fn.addFunctionUrl({
        authType: lambda.FunctionUrlAuthType.NONE,
        invokeMode: lambda.InvokeMode.RESPONSE_STREAM
      })
      this.url = this.functionUrl.url
      if (config.domain !== undefined) {
        this.distribution = new cloudfront.Distribution(this, "Distribution", {
          comment: `${prefix} gateway`,
          domainNames: [config.domain.name],
          certificate: acm.Certificate.fromCertificateArn(this, "Certificate", config.domain.certificateArn),
          minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
          httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
          priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
          webAclId: props.cloudFrontWebAclArn ?? webAcl(this, "WebAcl", `${prefix}-gateway-edge`, "CLOUDFRONT").attrArn,
          defaultBehavior: {
            origin: new origins.FunctionUrlOrigin(this.functionUrl, {
              readTimeout: cdk.Duration.seconds(60),
              keepaliveTimeout: cdk.Duration.seconds(60)
            }),
            viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
            allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
            cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
            originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
            compress: false
          }
        })
        this.url = `https://${config.domain.name}/`
        acknowledge(
          this.distribution,
          "AwsSolutions-CFR1",
          "The gateway serves its keys' holders wherever they are; a key's own limits and the web ACL's rate limit apply instead of geo restrictions."
        )
        acknowledge(
          this.distribution,
          "AwsSolutions-CFR3",
          "Every request is logged by the service itself (one JSON line per request in the function's log group, with the request id CloudFront forwards); CloudFront standard logs would need an S3 bucket holding client IPs for no added insight."
        )
      }
    } else {
      const accessLogs = serviceLogGroup(this, "ApiAccessLogs", config, `/aws/apigateway/${prefix}-gateway`)
      this.api = new apigateway.RestApi(this, "Api", {
        restApiName: `${prefix}-gateway`,
        description: "The bedrock-llm gateway (Lambda proxy integration with response streaming)",
        endpointTypes: [apigateway.EndpointType.REGIONAL],
        cloudWatchRole: false,
        binaryMediaTypes: ["*/*"],
        deployOptions: {
          stageName: "prod",
          accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
          accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields(),
          throttlingRateLimit: 1000,
          throttlingBurstLimit: 2000
        },
        ...(config.domain === undefined ? {} : {
          domainName: {
            domainName: config.domain.name,
            certificate: acm.Certificate.fromCertificateArn(this, "Certificate", config.domain.certificateArn),
            endpointType: apigateway.EndpointType.REGIONAL,
            securityPolicy: apigateway.SecurityPolicy.TLS_1_2
          }
        })
      })
      const integration = new apigateway.LambdaIntegration(this.fn, {
        proxy: true,
        responseTransferMode: apigateway.ResponseTransferMode.STREAM,
        timeout: cdk.Duration.seconds(config.requestTimeoutSeconds)
      })
      this.api.root.addMethod("ANY", integration)
      this.api.root.addProxy({ defaultIntegration: integration, anyMethod: true })
      this.url = config.domain === undefined ? this.api.url : `https://${config.domain.name}/`
      new wafv2.CfnWebACLAssociation(this, "WebAclAssociation", {
        resourceArn: this.api.deploymentStage.stageArn,
        webAclArn: webAcl(this, "WebAcl", `${prefix}-gateway-api`, "REGIONAL").attrArn
      })
      acknowledge(
        this.api,
        "AwsSolutions-APIG2",
        "Every body is validated by the service itself against its schemas, with each API's own error shape (a request validator would answer in API Gateway's shape instead)."
      )
      acknowledge(
        this.api,
        "AwsSolutions-APIG4",
        "The service authorizes every request with its own API keys (hashed in DynamoDB, per-key models, APIs, limits and budgets); an API Gateway authorizer would add a second, weaker check."
      )
      acknowledge(
        this.api,
        "AwsSolutions-COG4",
        "Callers are programs holding gateway API keys (OpenAI and Anthropic clients), not Cognito users."
      )
      acknowledge(
        this.api,
        "AwsSolutions-APIG6",
        "Access logs are on (JSON, every request) and the service logs every request itself; execution logging would need the account-wide API Gateway CloudWatch role and could log request bodies (prompts)."
      )
    }
    new cdk.CfnOutput(this, "Url", { value: this.url, description: "The gateway's base URL" })
    new cdk.CfnOutput(this, "LogGroupName", { value: logGroup.logGroupName, description: "The service's logs" })
  }
}
