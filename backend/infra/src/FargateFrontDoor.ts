/**
 * The ECS Fargate front door: the service's container (`backend/Dockerfile`, built at deploy; or a configured image)
 * in private subnets behind an internet-facing Application Load Balancer that serves HTTPS with the configured
 * certificate and redirects HTTP to it.
 *
 * Timing follows the service's drain: on a deployment or scale-in the target is deregistered with a delay equal to
 * the drain deadline (in-flight streams keep going), and the task gets SIGTERM with a stop timeout of the drain
 * deadline plus 10 seconds, so the service drains (`BACKEND_DRAIN_TIMEOUT_MS`) before ECS would kill it. The load
 * balancer's idle timeout is above the per-request deadline, so a long request that sends nothing until it is done
 * (a model that reasons) is not cut (streams send keep-alive comments every 15 seconds anyway), and the service keeps
 * idle connections 5 seconds longer than that (`BACKEND_KEEP_ALIVE_TIMEOUT_MS`), so the load balancer never reuses a
 * connection the task has closed. Health checks hit
 * `/health/ready` (the stores are reachable), and the container has the same check.
 *
 * Scaling: between the configured minimum and maximum tasks, on CPU and on requests per target.
 *
 * @since 0.1.0
 */
import * as cdk from "aws-cdk-lib"
import * as acm from "aws-cdk-lib/aws-certificatemanager"
import * as ec2 from "aws-cdk-lib/aws-ec2"
import * as ecs from "aws-cdk-lib/aws-ecs"
import * as elbv2 from "aws-cdk-lib/aws-elasticloadbalancingv2"
import * as iam from "aws-cdk-lib/aws-iam"
import * as s3 from "aws-cdk-lib/aws-s3"
import type * as secretsmanager from "aws-cdk-lib/aws-secretsmanager"
import { Construct } from "constructs"
import type { Config } from "./Config.js"
import { serviceLogGroup } from "./LogGroups.js"

/**
 * What the Fargate front door needs from the rest of the stack.
 *
 * @since 0.1.0
 * @category models
 */
export interface FargateFrontDoorProps {
  readonly config: Config
  /** The container image: built from the Dockerfile at deploy, or an image URI. */
  readonly image: ecs.ContainerImage
  readonly environment: Record<string, string>
  readonly adminKey: secretsmanager.ISecret
  readonly statements: ReadonlyArray<iam.PolicyStatement>
}

/**
 * The container's port.
 *
 * @since 0.1.0
 * @category constants
 */
export const containerPort = 8080

const acknowledge = (scope: Construct, id: string, reason: string) =>
  cdk.Validations.of(scope).acknowledge({ id, reason })

/**
 * The service on Fargate behind its load balancer.
 *
 * @since 0.1.0
 * @category constructs
 */
export class FargateFrontDoor extends Construct {
  readonly vpc: ec2.Vpc
  readonly cluster: ecs.Cluster
  readonly service: ecs.FargateService
  readonly loadBalancer: elbv2.ApplicationLoadBalancer
  readonly targetGroup: elbv2.ApplicationTargetGroup
  readonly taskRole: iam.Role
  readonly url: string

  constructor(scope: Construct, id: string, props: FargateFrontDoorProps) {
    super(scope, id)
    const { config } = props
    const prefix = `${config.name}-${config.stage}`
    const domain = config.domain!
    const idleTimeoutSeconds = Math.min(4000, config.requestTimeoutSeconds + 30)

    const flowLogs = serviceLogGroup(this, "FlowLogs", config)
    this.vpc = new ec2.Vpc(this, "Vpc", {
      maxAzs: 2,
      natGateways: 1,
      subnetConfiguration: [
        { name: "public", subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: "private", subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 }
      ],
      flowLogs: { all: { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs) } }
    })
    // DynamoDB through the VPC's route tables (free), not the NAT gateway.
    this.vpc.addGatewayEndpoint("DynamoDb", { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB })

    this.cluster = new ecs.Cluster(this, "Cluster", { clusterName: `${prefix}-gateway`, vpc: this.vpc })
    acknowledge(
      this.cluster,
      "AwsSolutions-ECS4",
      "The service publishes its own request, token, cost and latency metrics (embedded metric format) and the dashboard shows the service's CPU and memory from AWS/ECS; Container Insights would bill per task metric for what is already there."
    )

    const logGroup = serviceLogGroup(this, "Logs", config, `/ecs/${prefix}-gateway`)
    this.taskRole = new iam.Role(this, "TaskRole", {
      assumedBy: new iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
      description: "The bedrock-llm gateway tasks: their Bedrock models and their tables."
    })
    for (const statement of props.statements) this.taskRole.addToPolicy(statement)

    const task = new ecs.FargateTaskDefinition(this, "Task", {
      family: `${prefix}-gateway`,
      cpu: config.fargate.cpu,
      memoryLimitMiB: config.fargate.memoryMb,
      taskRole: this.taskRole,
      runtimePlatform: {
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
        cpuArchitecture: config.architecture === "arm64" ? ecs.CpuArchitecture.ARM64 : ecs.CpuArchitecture.X86_64
      }
    })
    task.addContainer("gateway", {
      image: props.image,
      essential: true,
      readonlyRootFilesystem: true,
      portMappings: [{ containerPort, protocol: ecs.Protocol.TCP }],
      environment: {
        ...props.environment,
        BACKEND_HOST: "0.0.0.0",
        BACKEND_PORT: String(containerPort),
        // Idle keep-alive connections outlive the load balancer's, so it never sends on one the task has closed.
        BACKEND_KEEP_ALIVE_TIMEOUT_MS: String((idleTimeoutSeconds + 5) * 1000),
        NODE_OPTIONS: "--enable-source-maps"
      },
      secrets: { BACKEND_ADMIN_KEY: ecs.Secret.fromSecretsManager(props.adminKey) },
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: "gateway", mode: ecs.AwsLogDriverMode.NON_BLOCKING }),
      healthCheck: {
        command: ["CMD", "/nodejs/bin/node", "/app/healthcheck.mjs"],
        interval: cdk.Duration.seconds(15),
        timeout: cdk.Duration.seconds(5),
        retries: 3,
        startPeriod: cdk.Duration.seconds(20)
      },
      stopTimeout: cdk.Duration.seconds(config.drainSeconds + 10)
    })
    acknowledge(
      task,
      "AwsSolutions-ECS2",
      "The environment holds only non-secret settings (table names, deadlines, the metrics namespace, model aliases); the admin key comes from Secrets Manager through the task definition's secrets."
    )
    if (task.executionRole !== undefined) {
      acknowledge(
        task.executionRole,
        "AwsSolutions-IAM5[Resource::*]",
        "The execution role's one wildcard is ecr:GetAuthorizationToken on *, which has no resource-level permissions (AWS requires *); pulling is limited to the image's repository and the secret to the admin key."
      )
    }

    const logBucket = new s3.Bucket(this, "LoadBalancerLogs", {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      lifecycleRules: [{ expiration: cdk.Duration.days(config.logRetentionDays) }],
      removalPolicy: config.stage === "dev" ? cdk.RemovalPolicy.DESTROY : cdk.RemovalPolicy.RETAIN,
      autoDeleteObjects: false
    })
    acknowledge(
      logBucket,
      "AwsSolutions-S1",
      "This bucket holds the load balancer's access logs; logging access to the log bucket itself would need yet another bucket."
    )

    const lbSecurityGroup = new ec2.SecurityGroup(this, "LoadBalancerSecurityGroup", {
      vpc: this.vpc,
      description: "The gateway load balancer: HTTPS, and HTTP to redirect it",
      allowAllOutbound: false
    })
    lbSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), "HTTPS")
    lbSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), "HTTP, redirected to HTTPS")
    acknowledge(
      lbSecurityGroup,
      "AwsSolutions-EC23",
      "The gateway is a public API: its load balancer takes HTTPS (and HTTP, only to redirect) from anywhere; every request is authorized by the service's keys."
    )
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, "LoadBalancer", {
      loadBalancerName: `${prefix}-gw`.slice(0, 32),
      vpc: this.vpc,
      internetFacing: true,
      securityGroup: lbSecurityGroup,
      idleTimeout: cdk.Duration.seconds(idleTimeoutSeconds),
      dropInvalidHeaderFields: true
    })
    this.loadBalancer.logAccessLogs(logBucket, "alb")

    const serviceSecurityGroup = new ec2.SecurityGroup(this, "ServiceSecurityGroup", {
      vpc: this.vpc,
      description: "The gateway tasks: only from the load balancer",
      allowAllOutbound: true
    })
    serviceSecurityGroup.addIngressRule(lbSecurityGroup, ec2.Port.tcp(containerPort), "from the load balancer")
    lbSecurityGroup.addEgressRule(serviceSecurityGroup, ec2.Port.tcp(containerPort), "to the tasks")

    this.service = new ecs.FargateService(this, "Service", {
      serviceName: `${prefix}-gateway`,
      cluster: this.cluster,
      taskDefinition: task,
      desiredCount: config.fargate.minTasks,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      assignPublicIp: false,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [serviceSecurityGroup],
      circuitBreaker: { enable: true, rollback: true },
      healthCheckGracePeriod: cdk.Duration.seconds(30)
    })

    const https = this.loadBalancer.addListener("Https", {
      port: 443,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      certificates: [
        elbv2.ListenerCertificate.fromArn(
          acm.Certificate.fromCertificateArn(this, "Certificate", domain.certificateArn).certificateArn
        )
      ],
      sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
      open: false
    })
    this.targetGroup = https.addTargets("Gateway", {
      port: containerPort,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [this.service],
      deregistrationDelay: cdk.Duration.seconds(config.drainSeconds),
      healthCheck: {
        path: "/health/ready",
        healthyHttpCodes: "200",
        interval: cdk.Duration.seconds(15),
        timeout: cdk.Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 2
      }
    })
    this.loadBalancer.addListener("Http", {
      port: 80,
      protocol: elbv2.ApplicationProtocol.HTTP,
      open: false,
      defaultAction: elbv2.ListenerAction.redirect({ protocol: "HTTPS", port: "443", permanent: true })
    })

    const scaling = this.service.autoScaleTaskCount({
      minCapacity: config.fargate.minTasks,
      maxCapacity: config.fargate.maxTasks
    })
    scaling.scaleOnCpuUtilization("Cpu", {
      targetUtilizationPercent: config.fargate.cpuTargetPercent,
      scaleOutCooldown: cdk.Duration.seconds(60),
      scaleInCooldown: cdk.Duration.seconds(300)
    })
    scaling.scaleOnRequestCount("Requests", {
      requestsPerTarget: config.fargate.requestsPerTarget,
      targetGroup: this.targetGroup,
      scaleOutCooldown: cdk.Duration.seconds(60),
      scaleInCooldown: cdk.Duration.seconds(300)
    })

    this.url = `https://${domain.name}/`
    new cdk.CfnOutput(this, "Url", { value: this.url, description: "The gateway's base URL" })
    new cdk.CfnOutput(this, "LogGroupName", { value: logGroup.logGroupName, description: "The service's logs" })
    new cdk.CfnOutput(this, "LoadBalancerDnsName", {
      value: this.loadBalancer.loadBalancerDnsName,
      description: `Point ${domain.name} at this name (CNAME, or an alias record in Route 53)`
    })
  }
}
