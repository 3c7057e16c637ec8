/**
 * What watches a deployment: an SNS topic (encrypted, TLS only, with the configured e-mail subscribed), alarms to it,
 * and one CloudWatch dashboard with Bedrock's own metrics per configured model (`AWS/Bedrock`) beside the service's
 * (its embedded metric format lines, see `backend/src/Emf.ts`) and the front door's.
 *
 * Alarms: the service's 5xx rate, Bedrock throttling across the configured models, the service's p99 latency, a key
 * whose spend this month has reached the configured share of its budget (a Metrics Insights query over every key), and
 * per front door: the function's errors and throttles, or the load balancer's unhealthy targets and its own 5xx.
 *
 * @since 0.1.0
 */
import * as cdk from "aws-cdk-lib"
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch"
import * as actions from "aws-cdk-lib/aws-cloudwatch-actions"
import * as elbv2 from "aws-cdk-lib/aws-elasticloadbalancingv2"
import * as kms from "aws-cdk-lib/aws-kms"
import type * as lambda from "aws-cdk-lib/aws-lambda"
import * as sns from "aws-cdk-lib/aws-sns"
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions"
import { Construct } from "constructs"
import type { Config } from "./Config.js"
import { metricsNamespace } from "./ServiceEnvironment.js"

/**
 * The front door's resources the monitoring reads.
 *
 * @since 0.1.0
 * @category models
 */
export type Watched =
  | { readonly _tag: "lambda"; readonly fn: lambda.IFunction }
  | {
    readonly _tag: "fargate"
    readonly loadBalancer: elbv2.ApplicationLoadBalancer
    readonly targetGroup: elbv2.ApplicationTargetGroup
    readonly clusterName: string
    readonly serviceName: string
  }

const service = "bedrock-llm-backend"
const fiveMinutes = cdk.Duration.minutes(5)

/**
 * The monitoring construct.
 *
 * @since 0.1.0
 * @category constructs
 */
export class Monitoring extends Construct {
  readonly topic: sns.Topic
  readonly alarms: ReadonlyArray<cloudwatch.Alarm>
  readonly dashboard: cloudwatch.Dashboard

  constructor(scope: Construct, id: string, config: Config, watched: Watched) {
    super(scope, id)
    const namespace = metricsNamespace(config)
    const metric = (name: string, statistic: string, dimensions: Record<string, string> = {}, label?: string) =>
      new cloudwatch.Metric({
        namespace,
        metricName: name,
        statistic,
        period: fiveMinutes,
        dimensionsMap: { Service: service, ...dimensions },
        ...(label === undefined ? {} : { label })
      })
    const search = (name: string, dimensions: string, statistic: string, label: string) =>
      new cloudwatch.MathExpression({
        expression: `SEARCH('{${namespace},${dimensions}} MetricName="${name}"', '${statistic}', 300)`,
        label,
        period: fiveMinutes
      })
    const bedrock = (name: string, modelId: string, statistic = "Sum") =>
      new cloudwatch.Metric({
        namespace: "AWS/Bedrock",
        metricName: name,
        statistic,
        period: fiveMinutes,
        dimensionsMap: { ModelId: modelId },
        label: modelId
      })
    const modelIds = [...new Set(config.models.map((model) => model.id))]

    this.topic = new sns.Topic(this, "Alarms", {
      displayName: `${config.name} ${config.stage} gateway alarms`,
      masterKey: kms.Alias.fromAliasName(this, "SnsKey", "alias/aws/sns"),
      enforceSSL: true
    })
    if (config.alarmEmail !== undefined) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(config.alarmEmail))
    }
    const action = new actions.SnsAction(this.topic)
    const alarms: Array<cloudwatch.Alarm> = []
    const alarm = (alarmId: string, props: cloudwatch.AlarmProps) => {
      const made = new cloudwatch.Alarm(this, alarmId, {
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...props
      })
      made.addAlarmAction(action)
      made.addOkAction(action)
      alarms.push(made)
      return made
    }

    alarm("ServiceErrorRate", {
      alarmName: `${config.name}-${config.stage}-5xx-rate`,
      alarmDescription: `More than ${config.alarms.errorRatePercent}% of the gateway's requests answered 5xx.`,
      metric: new cloudwatch.MathExpression({
        expression: "IF(requests > 0, 100 * errors / requests, 0)",
        usingMetrics: { errors: metric("Errors5xx", "Sum"), requests: metric("Requests", "Sum") },
        label: "5xx rate (%)",
        period: fiveMinutes
      }),
      threshold: config.alarms.errorRatePercent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2
    })
    alarm("BedrockThrottling", {
      alarmName: `${config.name}-${config.stage}-bedrock-throttling`,
      alarmDescription: "Bedrock throttled the gateway's calls to the configured models.",
      metric: new cloudwatch.MathExpression({
        expression: modelIds.map((_, i) => `t${i}`).join(" + "),
        usingMetrics: Object.fromEntries(modelIds.map((id, i) => [`t${i}`, bedrock("InvocationThrottles", id)])),
        label: "Bedrock throttles",
        period: fiveMinutes
      }),
      threshold: config.alarms.bedrockThrottlesPer5Min,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1
    })
    alarm("LatencyP99", {
      alarmName: `${config.name}-${config.stage}-p99-latency`,
      alarmDescription: `The gateway's p99 latency is above ${config.alarms.p99LatencyMs} ms.`,
      metric: metric("Latency", "p99"),
      threshold: config.alarms.p99LatencyMs,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3
    })
    alarm("KeyBudget", {
      alarmName: `${config.name}-${config.stage}-key-budget`,
      alarmDescription:
        `A key has spent ${config.budgets.keySpendAlarmPercent}% or more of its monthly budget (see the KeyId in the dashboard's budget widget, or npx bedrock-llm-backend status).`,
      metric: new cloudwatch.MathExpression({
        expression: `SELECT MAX(BudgetUsedPercent) FROM SCHEMA("${namespace}", KeyId, Service)`,
        label: "highest budget used (%)",
        period: fiveMinutes
      }),
      threshold: config.budgets.keySpendAlarmPercent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1
    })

    const frontDoorWidgets: Array<cloudwatch.IWidget> = []
    if (watched._tag === "lambda") {
      const functionAlarms = [
        ["FunctionErrors", "lambda-errors", "The gateway's function failed invocations.", watched.fn.metricErrors],
        [
          "FunctionThrottles",
          "lambda-throttles",
          "Lambda throttled invocations of the gateway's function (concurrency limit).",
          watched.fn.metricThrottles
        ]
      ] as const
      for (const [alarmId, name, description, metricOf] of functionAlarms) {
        alarm(alarmId, {
          alarmName: `${config.name}-${config.stage}-${name}`,
          alarmDescription: description,
          metric: metricOf.call(watched.fn, { period: fiveMinutes, statistic: "Sum" }),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1
        })
      }
      frontDoorWidgets.push(
        new cloudwatch.GraphWidget({
          title: "Lambda invocations, errors, throttles",
          left: [
            watched.fn.metricInvocations({ period: fiveMinutes }),
            watched.fn.metricErrors({ period: fiveMinutes }),
            watched.fn.metricThrottles({ period: fiveMinutes })
          ],
          width: 12
        }),
        new cloudwatch.GraphWidget({
          title: "Lambda duration and concurrency",
          left: [
            watched.fn.metricDuration({ period: fiveMinutes, statistic: "p50" }),
            watched.fn.metricDuration({ period: fiveMinutes, statistic: "p99" })
          ],
          right: [watched.fn.metric("ConcurrentExecutions", { period: fiveMinutes, statistic: "Maximum" })],
          width: 12
        })
      )
    } else {
      const target = watched.targetGroup.metrics
      alarm("UnhealthyTargets", {
        alarmName: `${config.name}-${config.stage}-unhealthy-targets`,
        alarmDescription: "A gateway task failed its load balancer health checks (/health/ready).",
        metric: target.unhealthyHostCount({ period: cdk.Duration.minutes(1), statistic: "Maximum" }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 2
      })
      alarm("LoadBalancer5xx", {
        alarmName: `${config.name}-${config.stage}-alb-5xx`,
        alarmDescription: "The load balancer itself answered 5xx (no healthy target, or a target reset).",
        metric: watched.loadBalancer.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, {
          period: fiveMinutes,
          statistic: "Sum"
        }),
        threshold: 10,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1
      })
      const ecs = (name: string) =>
        new cloudwatch.Metric({
          namespace: "AWS/ECS",
          metricName: name,
          statistic: "Average",
          period: fiveMinutes,
          dimensionsMap: { ClusterName: watched.clusterName, ServiceName: watched.serviceName }
        })
      frontDoorWidgets.push(
        new cloudwatch.GraphWidget({
          title: "Load balancer requests, target 5xx, healthy targets",
          left: [
            watched.loadBalancer.metrics.requestCount({ period: fiveMinutes }),
            target.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period: fiveMinutes })
          ],
          right: [target.healthyHostCount({ period: fiveMinutes }), target.unhealthyHostCount({ period: fiveMinutes })],
          width: 12
        }),
        new cloudwatch.GraphWidget({
          title: "Tasks: CPU and memory (%)",
          left: [ecs("CPUUtilization"), ecs("MemoryUtilization")],
          width: 12
        })
      )
    }
    this.alarms = alarms

    this.dashboard = new cloudwatch.Dashboard(this, "Dashboard", {
      dashboardName: `${config.name}-${config.stage}-gateway`,
      defaultInterval: cdk.Duration.hours(3),
      widgets: [
        [
          new cloudwatch.TextWidget({
            markdown:
              `# ${config.name} gateway (${config.stage}, ${config.frontDoor})\nThe service's metrics come from its embedded metric format lines (namespace \`${namespace}\`); Bedrock's from \`AWS/Bedrock\`.`,
            width: 24,
            height: 2
          })
        ],
        [
          new cloudwatch.GraphWidget({
            title: "Requests by API",
            left: [search("Requests", "Api,Service", "Sum", "")],
            width: 8
          }),
          new cloudwatch.GraphWidget({
            title: "Errors",
            left: [metric("Errors4xx", "Sum", {}, "4xx"), metric("Errors5xx", "Sum", {}, "5xx")],
            width: 8
          }),
          new cloudwatch.GraphWidget({
            title: "Latency and time to first token (ms)",
            left: [
              metric("Latency", "p50", {}, "latency p50"),
              metric("Latency", "p99", {}, "latency p99"),
              metric("TimeToFirstToken", "p50", {}, "first token p50"),
              metric("TimeToFirstToken", "p99", {}, "first token p99")
            ],
            width: 8
          })
        ],
        [
          new cloudwatch.GraphWidget({
            title: "Tokens by model",
            left: [
              search("InputTokens", "Model,Service", "Sum", ""),
              search("OutputTokens", "Model,Service", "Sum", ""),
              search("CacheReadTokens", "Model,Service", "Sum", ""),
              search("CacheWriteTokens", "Model,Service", "Sum", "")
            ],
            width: 8
          }),
          new cloudwatch.GraphWidget({
            title: "Cost (USD) by key and model",
            left: [search("CostUsd", "KeyId,Model,Service", "Sum", "")],
            width: 8
          }),
          new cloudwatch.GraphWidget({
            title: "Refusals by key and model; budget used by key (%)",
            left: [
              search("BudgetRefusals", "KeyId,Model,Service", "Sum", ""),
              search("RateLimitRefusals", "KeyId,Model,Service", "Sum", "")
            ],
            right: [search("BudgetUsedPercent", "KeyId,Service", "Maximum", "")],
            width: 8
          })
        ],
        [
          new cloudwatch.GraphWidget({
            title: "Bedrock invocations",
            left: modelIds.map((id) => bedrock("Invocations", id)),
            width: 6
          }),
          new cloudwatch.GraphWidget({
            title: "Bedrock latency p99 (ms)",
            left: modelIds.map((id) => bedrock("InvocationLatency", id, "p99")),
            width: 6
          }),
          new cloudwatch.GraphWidget({
            title: "Bedrock throttles and errors",
            left: modelIds.flatMap((id) => [
              bedrock("InvocationThrottles", id),
              bedrock("InvocationClientErrors", id),
              bedrock("InvocationServerErrors", id)
            ]),
            width: 6
          }),
          new cloudwatch.GraphWidget({
            title: "Bedrock tokens",
            left: modelIds.flatMap((id) => [bedrock("InputTokenCount", id), bedrock("OutputTokenCount", id)]),
            width: 6
          })
        ],
        frontDoorWidgets,
        [new cloudwatch.AlarmStatusWidget({ title: "Alarms", alarms, width: 24 })]
      ]
    })
  }
}
