/**
 * Every stack of every front door, synthesized offline: cdk-nag's AWS Solutions checks with no unacknowledged
 * finding, and `Template` assertions on what the deployment promises: the tables, the IAM statements exactly, the
 * front doors' streaming settings, the load balancer's timing, the alarms and the dashboard.
 */
import * as cdk from "aws-cdk-lib"
import { Match } from "aws-cdk-lib/assertions"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import { definitions } from "../../src/Tables.js"
import { base, geoProfile, globalProfile, haiku, render, statementsOfRole, synthesized, titan } from "./support.js"

const assetManifest = (synth: Awaited<ReturnType<typeof synthesized>>, stack: "service" | "data") =>
  JSON.parse(
    readFileSync(join(synth.assembly.directory, `${synth.stacks[stack]!.artifactId}.assets.json`), "utf8")
  ) as { files?: Record<string, unknown>; dockerImages?: Record<string, unknown> }

const list = (value: unknown): Array<unknown> => (Array.isArray(value) ? value : [value])
const fm = (region: string, id: string) => `arn:\${AWS::Partition}:bedrock:${region}::foundation-model/${id}`
const profile = (id: string) => `arn:\${AWS::Partition}:bedrock:eu-west-1:\${AWS::AccountId}:inference-profile/${id}`
const invoke = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
const baseModel = "anthropic.claude-sonnet-4-5-20250929-v1:0"

/** The Bedrock statements the base configuration must produce, in order. */
const bedrockStatements = [
  {
    Sid: "InvokeFoundationModels",
    Action: [...invoke, "bedrock:CountTokens"],
    Resource: [fm("eu-west-1", haiku), fm("eu-central-1", titan)]
  },
  { Sid: "InvokeInferenceProfiles", Action: invoke, Resource: [profile(geoProfile), profile(globalProfile)] },
  {
    Sid: "ThroughGeographicProfile1",
    Action: invoke,
    Resource: [fm("eu-west-1", baseModel), fm("eu-central-1", baseModel), fm("eu-west-3", baseModel)],
    Condition: { ArnLike: { "bedrock:InferenceProfileArn": profile(geoProfile) } }
  },
  {
    Sid: "ThroughGlobalProfileInRegion2",
    Action: invoke,
    Resource: fm("eu-west-1", baseModel),
    Condition: { ArnLike: { "bedrock:InferenceProfileArn": profile(globalProfile) } }
  },
  {
    Sid: "ThroughGlobalProfile2",
    Action: invoke,
    Resource: `arn:\${AWS::Partition}:bedrock:::foundation-model/${baseModel}`,
    Condition: {
      ArnLike: { "bedrock:InferenceProfileArn": profile(globalProfile) },
      StringEquals: { "aws:RequestedRegion": "unspecified" }
    }
  },
  {
    Sid: "ApplyGuardrails",
    Action: "bedrock:ApplyGuardrail",
    Resource: "arn:${AWS::Partition}:bedrock:eu-west-1:${AWS::AccountId}:guardrail/abcdefgh1234"
  }
]

const tableStatement = (sid: string, actions: Array<string>, table: string) => ({
  Sid: sid,
  Action: actions,
  Resource: expect.stringMatching(
    new RegExp(`^\\$\\{import:gw-prod-data:ExportsOutputFnGetAtt${table}Table\\w+Arn\\w*\\}$`)
  )
})

const tableStatements = [
  tableStatement(
    "KeysTable",
    ["dynamodb:DeleteItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan"],
    "Keys"
  ),
  tableStatement("LimitsTable", ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:UpdateItem"], "Limits"),
  tableStatement(
    "UsageTable",
    ["dynamodb:DescribeTable", "dynamodb:Query", "dynamodb:Scan", "dynamodb:UpdateItem"],
    "Usage"
  )
]

const batchBucket = "arn:${AWS::Partition}:s3:::gw-prod-${AWS::AccountId}-eu-west-1-batch"

/** The batch prefix of a fixture: the fargate one configures its own, the others keep the default. */
const batchPrefixOf = (fixture: string) => fixture === "fargate" ? "llm/jobs/" : "bedrock-llm-batch/"

/** What the gateway's role may do for batch inference (the base configuration batches haiku and the EU profile). */
const batchServiceStatements = (prefix: string) => [
  {
    Sid: "ManageBatchJobs",
    Action: ["bedrock:CreateModelInvocationJob", "bedrock:GetModelInvocationJob", "bedrock:StopModelInvocationJob"],
    Resource: [
      "arn:${AWS::Partition}:bedrock:eu-west-1:${AWS::AccountId}:model-invocation-job/*",
      fm("eu-west-1", haiku),
      profile(geoProfile)
    ]
  },
  { Sid: "ListBatchJobs", Action: "bedrock:ListModelInvocationJobs", Resource: "*" },
  {
    Sid: "PassBatchRole",
    Action: "iam:PassRole",
    Resource: expect.stringMatching(/^\$\{import:gw-prod-data:ExportsOutputFnGetAttBatchRole\w+Arn\w*\}$/),
    Condition: { StringEquals: { "iam:PassedToService": "bedrock.amazonaws.com" } }
  },
  {
    Sid: "BatchObjects",
    Action: ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
    Resource: `${batchBucket}/${prefix}*`
  },
  {
    Sid: "ListBatchObjects",
    Action: "s3:ListBucket",
    Resource: batchBucket,
    Condition: { StringLike: { "s3:prefix": [`${prefix}*`] } }
  }
]

const withEffect = (statements: Array<Record<string, unknown>>) => statements.map((s) => ({ Effect: "Allow", ...s }))

/** Every IAM statement of a template, with its policy's logical id. */
const allStatements = (template: ReturnType<Awaited<ReturnType<typeof synthesized>>["template"]>) =>
  Object.entries({
    ...template.findResources("AWS::IAM::Policy"),
    ...template.findResources("AWS::IAM::Role")
  }).flatMap(([id, resource]) => {
    const documents = resource["Type"] === "AWS::IAM::Policy"
      ? [resource["Properties"]["PolicyDocument"]]
      : (resource["Properties"]["Policies"] ?? []).map((policy: any) => policy["PolicyDocument"])
    return documents.flatMap((document: any) =>
      (render(document["Statement"]) as Array<Record<string, unknown>>).map((statement) => ({ id, statement }))
    )
  })

describe.each(["function-url", "rest-api", "fargate", "function-url-dev"] as const)("the %s deployment", (fixture) => {
  let synth: Awaited<ReturnType<typeof synthesized>>
  beforeAll(async () => {
    synth = await synthesized(fixture)
  })

  it("synthesizes offline with no unacknowledged cdk-nag finding, every acknowledgement with its reason", () => {
    expect(synth.violations).toEqual([])
    expect(synth.assembly.stacks.length).toBeGreaterThanOrEqual(2)
    const reasons: Array<[string, string]> = []
    const visit = (construct: cdk.Stack | import("constructs").IConstruct) => {
      for (const entry of construct.node.metadata) {
        if (entry.type === cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY) {
          for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) reasons.push([id, reason])
        }
      }
      for (const child of construct.node.children) visit(child)
    }
    visit(synth.app)
    const ours = reasons.filter(([id]) => id.includes("AwsSolutions-"))
    expect(ours.length).toBeGreaterThan(0)
    for (const [id, reason] of ours) expect(reason.length, id).toBeGreaterThan(60)
  })

  it("has no * action anywhere, and a * resource only where AWS has no resource-level permission", () => {
    for (const stack of Object.keys(synth.stacks) as Array<"data" | "service" | "edge">) {
      for (const { id, statement } of allStatements(synth.template(stack))) {
        for (const action of list(statement["Action"])) expect(String(action), id).not.toContain("*")
        for (const resource of list(statement["Resource"] ?? [])) {
          if (resource === "*") {
            const actions = list(statement["Action"]).sort()
            expect([
              ["ecr:GetAuthorizationToken"],
              ["bedrock:ListModelInvocationJobs"],
              ["bedrock:DeleteModelInvocationLoggingConfiguration", "bedrock:PutModelInvocationLoggingConfiguration"]
            ]).toContainEqual(actions)
          }
        }
      }
    }
  })

  it("makes the service's tables from its own definitions: on-demand, PITR, encrypted, TTL, protected outside dev", () => {
    const data = synth.template("data")
    const prefix = fixture === "function-url-dev" ? "gw-dev" : "gw-prod"
    const tables = definitions({
      keysTable: `${prefix}-keys`,
      limitsTable: `${prefix}-limits`,
      usageTable: `${prefix}-usage`
    })
    data.resourceCountIs("AWS::DynamoDB::Table", 3)
    const dev = fixture === "function-url-dev"
    for (const table of tables) {
      data.hasResource("AWS::DynamoDB::Table", {
        Properties: {
          TableName: table.TableName,
          KeySchema: table.KeySchema,
          AttributeDefinitions: table.AttributeDefinitions,
          BillingMode: "PAY_PER_REQUEST",
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          // SSEEnabled without a key: the AWS managed key (aws/dynamodb).
          SSESpecification: { SSEEnabled: true, KMSMasterKeyId: Match.absent() },
          DeletionProtectionEnabled: !dev,
          ...(table.TableName!.endsWith("-limits")
            ? { TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true } }
            : { TimeToLiveSpecification: Match.absent() })
        },
        DeletionPolicy: dev ? "Delete" : "Retain"
      })
    }
    data.hasResourceProperties("AWS::SecretsManager::Secret", {
      Name: `${prefix}/admin-key`.replace("gw-", "gw/"),
      GenerateSecretString: { PasswordLength: 48, ExcludePunctuation: true, IncludeSpace: false }
    })
  })

  it("never passes the admin key as a plain value: the service reads it from Secrets Manager", () => {
    const service = synth.template("service")
    const rendered = JSON.stringify(service.toJSON())
    expect(rendered).not.toMatch(/BACKEND_ADMIN_KEY"\s*:\s*"/)
    if (fixture === "fargate") {
      service.hasResourceProperties("AWS::ECS::TaskDefinition", {
        ContainerDefinitions: [Match.objectLike({
          Secrets: [{ Name: "BACKEND_ADMIN_KEY", ValueFrom: Match.anyValue() }]
        })]
      })
    } else {
      service.hasResourceProperties("AWS::Lambda::Function", {
        Environment: { Variables: Match.objectLike({ BACKEND_ADMIN_KEY_SECRET_ARN: Match.anyValue() }) }
      })
    }
  })

  it("gives the service's role exactly its Bedrock and table statements", () => {
    if (fixture === "function-url-dev") return
    const service = synth.template("service")
    if (fixture === "fargate") {
      expect(statementsOfRole(service, "FargateTaskRole")).toEqual(
        withEffect([...bedrockStatements, ...tableStatements, ...batchServiceStatements(batchPrefixOf(fixture))])
      )
    } else {
      expect(statementsOfRole(service, "LambdaRole")).toEqual(withEffect([
        ...bedrockStatements,
        ...tableStatements,
        ...batchServiceStatements(batchPrefixOf(fixture)),
        {
          Sid: "ReadAdminKey",
          Action: "secretsmanager:GetSecretValue",
          Resource: expect.stringMatching(/^\$\{import:gw-prod-data:ExportsOutputRefAdminKey\w+\}$/)
        },
        {
          Sid: "WriteLogs",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: expect.stringMatching(/^\$\{LambdaLogs\w+\.Arn\}$/)
        }
      ]))
    }
  })

  it("keeps every log group for the configured days", () => {
    const days = fixture === "function-url-dev" ? base.logRetentionDays : base.logRetentionDays
    const groups = synth.template("service").findResources("AWS::Logs::LogGroup")
    expect(Object.keys(groups).length).toBeGreaterThan(0)
    for (const group of Object.values(groups)) expect(group["Properties"]["RetentionInDays"]).toBe(days)
  })

  it("alarms to SNS on the 5xx rate, Bedrock throttling, p99 latency, a key's budget and the front door", () => {
    const service = synth.template("service")
    service.hasResourceProperties("AWS::SNS::Topic", { KmsMasterKeyId: Match.anyValue() })
    service.hasResourceProperties("AWS::SNS::Subscription", { Protocol: "email", Endpoint: "ops@example.com" })
    const alarms = Object.values(service.findResources("AWS::CloudWatch::Alarm")).map((alarm) => alarm["Properties"])
    const byName = Object.fromEntries(
      alarms.map((alarm) => [String(alarm["AlarmName"]).split("-").slice(2).join("-"), alarm])
    )
    const expected: Record<string, [number, string]> = {
      "5xx-rate": [5, "GreaterThanThreshold"],
      "bedrock-throttling": [10, "GreaterThanOrEqualToThreshold"],
      "p99-latency": [60_000, "GreaterThanThreshold"],
      "key-budget": [75, "GreaterThanOrEqualToThreshold"],
      ...(fixture === "fargate"
        ? {
          "unhealthy-targets": [1, "GreaterThanOrEqualToThreshold"],
          "alb-5xx": [10, "GreaterThanOrEqualToThreshold"]
        }
        : {
          "lambda-errors": [1, "GreaterThanOrEqualToThreshold"],
          "lambda-throttles": [1, "GreaterThanOrEqualToThreshold"]
        })
    } as Record<string, [number, string]>
    expect(Object.keys(byName).sort()).toEqual(Object.keys(expected).sort())
    for (const [name, [threshold, comparison]] of Object.entries(expected)) {
      expect(byName[name]!["Threshold"], name).toBe(threshold)
      expect(byName[name]!["ComparisonOperator"], name).toBe(comparison)
      expect(render(byName[name]!["AlarmActions"]), name).toEqual([
        expect.stringMatching(/^\$\{MonitoringAlarms\w+\}$/)
      ])
    }
    const budget = byName["key-budget"]!["Metrics"][0]
    expect(budget["Expression"]).toBe(
      `SELECT MAX(BudgetUsedPercent) FROM SCHEMA("BedrockLlm/gw-${
        fixture === "function-url-dev" ? "dev" : "prod"
      }", KeyId, Service)`
    )
    const throttles = byName["bedrock-throttling"]!["Metrics"]
    const models = throttles.filter((m: any) => m["MetricStat"] !== undefined).map((m: any) =>
      m["MetricStat"]["Metric"]["Dimensions"][0]["Value"]
    )
    expect(models.sort()).toEqual([haiku, geoProfile, globalProfile, titan].sort())
  })

  it("has a dashboard with Bedrock's metrics per model beside the service's and the front door's", () => {
    const dashboards = synth.template("service").findResources("AWS::CloudWatch::Dashboard")
    const body = JSON.parse(String(render(Object.values(dashboards)[0]!["Properties"]["DashboardBody"])))
    const titles = body.widgets.map((widget: any) => widget.properties.title).filter(Boolean)
    expect(titles).toEqual(expect.arrayContaining([
      "Requests by API",
      "Errors",
      "Latency and time to first token (ms)",
      "Tokens by model",
      "Cost (USD) by key and model",
      "Refusals by key and model; budget used by key (%)",
      "Bedrock invocations",
      "Bedrock latency p99 (ms)",
      "Bedrock throttles and errors",
      "Bedrock tokens",
      "Alarms",
      ...(fixture === "fargate"
        ? ["Load balancer requests, target 5xx, healthy targets", "Tasks: CPU and memory (%)"]
        : ["Lambda invocations, errors, throttles", "Lambda duration and concurrency"])
    ]))
    const invocations = body.widgets.find((widget: any) => widget.properties.title === "Bedrock invocations")
    const modelIds = invocations.properties.metrics.map((metric: Array<string>) => metric[3])
    expect(modelIds.sort()).toEqual([haiku, geoProfile, globalProfile, titan].sort())
    const cost = body.widgets.find((widget: any) => widget.properties.title === "Cost (USD) by key and model")
    expect(JSON.stringify(cost.properties.metrics)).toContain("MetricName=\\\"CostUsd\\\"")
  })
})

describe("the Lambda front doors", () => {
  it("serve the esbuild bundle on Node.js 24 arm64, behind a RESPONSE_STREAM Function URL, CloudFront and WAF", async () => {
    const synth = await synthesized("function-url")
    const service = synth.template("service")
    service.hasResourceProperties("AWS::Lambda::Function", {
      Runtime: "nodejs24.x",
      Architectures: ["arm64"],
      Handler: "index.handler",
      Timeout: 610,
      MemorySize: 1024,
      Environment: {
        Variables: Match.objectLike({
          BACKEND_STORE: "dynamodb",
          BACKEND_EMF_NAMESPACE: "BedrockLlm/gw-prod",
          BACKEND_REQUEST_TIMEOUT_MS: "600000",
          BACKEND_MODEL_ALIASES: JSON.stringify(base.aliases)
        })
      }
    })
    service.hasResourceProperties("AWS::Lambda::Url", { AuthType: "NONE", InvokeMode: "RESPONSE_STREAM" })
    service.hasResourceProperties("AWS::CloudFront::Distribution", {
      DistributionConfig: Match.objectLike({
        Aliases: ["llm.example.com"],
        WebACLId: Match.anyValue(),
        ViewerCertificate: Match.objectLike({ MinimumProtocolVersion: "TLSv1.2_2021" }),
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: "https-only" })
      })
    })
    // CloudFront's web ACL is in us-east-1, in a stack of its own.
    expect(synth.stacks["edge"]!.region).toBe("us-east-1")
    synth.template("edge").hasResourceProperties("AWS::WAFv2::WebACL", {
      Scope: "CLOUDFRONT",
      Rules: Match.arrayWith([Match.objectLike({ Name: "RatePerIp", Action: { Block: {} } })])
    })
    // The function's code is the esbuild bundle, staged as a file asset.
    const manifest = assetManifest(synth, "service")
    const bundles = Object.values(manifest.files ?? {}).filter((asset: any) =>
      existsSync(join(synth.assembly.directory, asset.source.path, "index.mjs"))
    )
    expect(bundles).toHaveLength(1)
    // Model invocation logging, set through the Bedrock API (CloudFormation has no resource for it).
    const [setting] = Object.values(service.findResources("Custom::AWS"))
    const create = JSON.parse(String(render(setting!["Properties"]["Create"])))
    expect(create).toMatchObject({ service: "Bedrock", action: "putModelInvocationLoggingConfiguration" })
    expect(create.parameters.loggingConfig.cloudWatchConfig.logGroupName).toMatch(
      /^\$\{ServiceInvocationLogs\w+\}$|^\$\{InvocationLogs\w+\}$/
    )
  })

  it("streams through the REST API's Lambda proxy integration, with access logs and a regional web ACL", async () => {
    const service = (await synthesized("rest-api")).template("service")
    service.hasResourceProperties("AWS::ApiGateway::Method", {
      HttpMethod: "ANY",
      Integration: Match.objectLike({
        Type: "AWS_PROXY",
        ResponseTransferMode: "STREAM",
        TimeoutInMillis: 600_000,
        Uri: Match.objectLike({
          "Fn::Join": Match.arrayWith([Match.arrayWith([Match.stringLikeRegexp("response-streaming-invocations")])])
        })
      })
    })
    service.hasResourceProperties("AWS::ApiGateway::Stage", {
      StageName: "prod",
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() })
    })
    service.hasResourceProperties("AWS::WAFv2::WebACL", { Scope: "REGIONAL" })
    service.resourceCountIs("AWS::WAFv2::WebACLAssociation", 1)
  })
})

describe("the Fargate front door", () => {
  it("serves HTTPS with the certificate, redirects HTTP, and times everything to the drain deadline", async () => {
    const service = (await synthesized("fargate")).template("service")
    service.hasResourceProperties("AWS::ElasticLoadBalancingV2::LoadBalancer", {
      Scheme: "internet-facing",
      LoadBalancerAttributes: Match.arrayWith([{ Key: "idle_timeout.timeout_seconds", Value: "630" }])
    })
    service.hasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", {
      Port: 443,
      Protocol: "HTTPS",
      Certificates: [{ CertificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/def-456" }]
    })
    service.hasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", {
      Port: 80,
      DefaultActions: [{
        Type: "redirect",
        RedirectConfig: Match.objectLike({ Protocol: "HTTPS", StatusCode: "HTTP_301" })
      }]
    })
    service.hasResourceProperties("AWS::ElasticLoadBalancingV2::TargetGroup", {
      Port: 8080,
      HealthCheckPath: "/health/ready",
      TargetGroupAttributes: Match.arrayWith([{ Key: "deregistration_delay.timeout_seconds", Value: "45" }])
    })
    service.hasResourceProperties("AWS::ECS::TaskDefinition", {
      Cpu: "1024",
      Memory: "2048",
      RuntimePlatform: { CpuArchitecture: "ARM64", OperatingSystemFamily: "LINUX" },
      ContainerDefinitions: [Match.objectLike({
        StopTimeout: 55,
        ReadonlyRootFilesystem: true,
        HealthCheck: Match.objectLike({ Command: ["CMD", "/nodejs/bin/node", "/app/healthcheck.mjs"] }),
        Environment: Match.arrayWith([
          { Name: "BACKEND_DRAIN_TIMEOUT_MS", Value: "45000" },
          { Name: "BACKEND_KEEP_ALIVE_TIMEOUT_MS", Value: "635000" }
        ])
      })]
    })
    service.hasResourceProperties("AWS::ApplicationAutoScaling::ScalableTarget", { MinCapacity: 2, MaxCapacity: 12 })
    service.hasResourceProperties("AWS::ApplicationAutoScaling::ScalingPolicy", {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        TargetValue: 55,
        PredefinedMetricSpecification: { PredefinedMetricType: "ECSServiceAverageCPUUtilization" }
      })
    })
    service.hasResourceProperties("AWS::ApplicationAutoScaling::ScalingPolicy", {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        TargetValue: 400,
        PredefinedMetricSpecification: Match.objectLike({ PredefinedMetricType: "ALBRequestCountPerTarget" })
      })
    })
    service.hasResourceProperties("AWS::ECS::Service", {
      DeploymentConfiguration: Match.objectLike({ DeploymentCircuitBreaker: { Enable: true, Rollback: true } }),
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: "DISABLED" }) }
    })
  })

  it("builds the image from backend/Dockerfile only at deploy: synthesis stages its context", async () => {
    const synth = await synthesized("fargate")
    const images = Object.values(assetManifest(synth, "service").dockerImages ?? {}).map((image: any) => image.source)
    expect(images).toHaveLength(1)
    expect(images[0]).toMatchObject({ dockerFile: "backend/Dockerfile", platform: "linux/arm64" })
    // The staged context is only what the Dockerfile copies (.dockerignore), not the repository.
    const context = join(synth.assembly.directory, images[0].directory)
    expect(readdirSync(context).sort()).toEqual([
      ".dockerignore",
      "backend",
      "package-lock.json",
      "package.json",
      "src"
    ])
    expect(readdirSync(join(context, "backend")).sort()).toEqual([
      "Dockerfile",
      "infra",
      "package.json",
      "src",
      "tsconfig.json"
    ])
  })
})

describe("batch inference's infrastructure", () => {
  let synth: Awaited<ReturnType<typeof synthesized>>
  beforeAll(async () => {
    synth = await synthesized("rest-api")
  })

  it("keeps the records in a private, encrypted, TLS-only bucket where everything under the prefix expires", () => {
    const data = synth.template("data")
    data.hasResource("AWS::S3::Bucket", {
      Properties: {
        BucketName: { "Fn::Join": ["", ["gw-prod-", { Ref: "AWS::AccountId" }, "-eu-west-1-batch"]] },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }]
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] },
        LifecycleConfiguration: {
          Rules: [
            { Id: "ExpireBatchObjects", Prefix: "bedrock-llm-batch/", ExpirationInDays: 7, Status: "Enabled" },
            {
              Id: "AbortIncompleteUploads",
              Prefix: "bedrock-llm-batch/",
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
              Status: "Enabled"
            }
          ]
        }
      },
      DeletionPolicy: "Retain"
    })
    const policies = Object.values(data.findResources("AWS::S3::BucketPolicy"))
    expect(policies).toHaveLength(1)
    expect(render(policies[0]!["Properties"]["PolicyDocument"]["Statement"])).toEqual([
      expect.objectContaining({
        Effect: "Deny",
        Action: "s3:*",
        Condition: { Bool: { "aws:SecureTransport": "false" } }
      })
    ])
  })

  it("runs jobs with a role only Bedrock may assume, for this account's jobs, reading inputs and writing outputs", () => {
    const data = synth.template("data")
    const roles = Object.entries(data.findResources("AWS::IAM::Role")).filter(([id]) => id.startsWith("BatchRole"))
    expect(roles).toHaveLength(1)
    expect(render(roles[0]![1]["Properties"]["AssumeRolePolicyDocument"]["Statement"])).toEqual([{
      Action: "sts:AssumeRole",
      Effect: "Allow",
      Principal: { Service: "bedrock.amazonaws.com" },
      Condition: {
        StringEquals: { "aws:SourceAccount": "123456789012" },
        ArnEquals: { "aws:SourceArn": "arn:${AWS::Partition}:bedrock:eu-west-1:123456789012:model-invocation-job/*" }
      }
    }])
    const profileArn = `arn:\${AWS::Partition}:bedrock:eu-west-1:123456789012:inference-profile/${geoProfile}`
    expect(statementsOfRole(data, "BatchRole")).toEqual(withEffect([
      { Sid: "ReadBatchInput", Action: "s3:GetObject", Resource: `${batchBucket}/bedrock-llm-batch/*/input/*` },
      {
        Sid: "ListBatchInput",
        Action: "s3:ListBucket",
        Resource: batchBucket,
        Condition: { StringLike: { "s3:prefix": ["bedrock-llm-batch/*/input/*"] } }
      },
      { Sid: "WriteBatchOutput", Action: "s3:PutObject", Resource: `${batchBucket}/bedrock-llm-batch/*/output/*` },
      { Sid: "BatchInvokeFoundationModels", Action: "bedrock:InvokeModel", Resource: fm("eu-west-1", haiku) },
      { Sid: "BatchInvokeInferenceProfiles", Action: "bedrock:InvokeModel", Resource: profileArn },
      {
        Sid: "BatchThroughGeographicProfile1",
        Action: "bedrock:InvokeModel",
        Resource: [fm("eu-west-1", baseModel), fm("eu-central-1", baseModel), fm("eu-west-3", baseModel)],
        Condition: { ArnLike: { "bedrock:InferenceProfileArn": profileArn } }
      }
    ]))
  })

  it("tells the service where the bucket and the role are, and the prefix its grants are on", async () => {
    synth.template("service").hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({
          BACKEND_BATCH_BUCKET: Match.anyValue(),
          BACKEND_BATCH_ROLE_ARN: Match.anyValue(),
          BACKEND_BATCH_PREFIX: "bedrock-llm-batch/"
        })
      }
    })
    const fargate = await synthesized("fargate")
    fargate.template("service").hasResourceProperties("AWS::ECS::TaskDefinition", {
      ContainerDefinitions: [Match.objectLike({
        Environment: Match.arrayWith([{ Name: "BACKEND_BATCH_PREFIX", Value: "llm/jobs/" }])
      })]
    })
    fargate.template("data").hasResourceProperties("AWS::S3::Bucket", {
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({ Id: "ExpireBatchObjects", Prefix: "llm/jobs/" }),
          Match.objectLike({ Id: "AbortIncompleteUploads", Prefix: "llm/jobs/" })
        ]
      }
    })
  })
})
