/**
 * Shared fixtures of the infrastructure tests: one configuration per front door, each synthesized once (offline:
 * the Lambda code is the esbuild bundle of the handler, the container image only a staged build context) into its
 * own cloud assembly, with its templates and its policy validation report.
 */
import * as cdk from "aws-cdk-lib"
import { Template } from "aws-cdk-lib/assertions"
import { existsSync, mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { bundle } from "../../src/entry/bundle.js"
import { makeApp } from "../src/App.js"
import { decode } from "../src/Config.js"

export const haiku = "anthropic.claude-3-haiku-20240307-v1:0"
export const geoProfile = "eu.anthropic.claude-sonnet-4-5-20250929-v1:0"
export const globalProfile = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
export const titan = "amazon.titan-embed-text-v2:0"

/** A production configuration in eu-west-1 with every kind of model, a guardrail and the alarms' e-mail. */
export const base = {
  name: "gw",
  stage: "prod",
  account: "123456789012",
  region: "eu-west-1",
  models: [
    { id: haiku },
    { id: geoProfile, destinationRegions: ["eu-central-1", "eu-west-1", "eu-west-3"] },
    { id: globalProfile },
    { id: titan, region: "eu-central-1" }
  ],
  aliases: { claude: [geoProfile, globalProfile], fast: [haiku] },
  guardrails: [{ id: "abcdefgh1234" }],
  alarmEmail: "ops@example.com",
  budgets: { keySpendAlarmPercent: 75, monthlyBedrockUsd: 500 },
  requestTimeoutSeconds: 600,
  drainSeconds: 45,
  logRetentionDays: 90,
  batch: { retentionDays: 7, models: [haiku, geoProfile] }
}

export const configs = {
  "function-url": {
    ...base,
    frontDoor: "function-url",
    domain: { name: "llm.example.com", certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/abc-123" },
    invocationLogging: true
  },
  "rest-api": { ...base, frontDoor: "rest-api" },
  fargate: {
    ...base,
    frontDoor: "fargate",
    domain: { name: "llm.example.com", certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/def-456" },
    fargate: { cpu: 1024, memoryMb: 2048, minTasks: 2, maxTasks: 12, cpuTargetPercent: 55, requestsPerTarget: 400 },
    batch: { ...base.batch, prefix: "llm/jobs/" }
  },
  "function-url-dev": { ...base, stage: "dev", frontDoor: "function-url" }
} as const

export type Fixture = keyof typeof configs

let lambdaCode: Promise<string> | undefined
const sharedBundle = () => {
  lambdaCode ??= bundle("lambda", { outDir: mkdtempSync(join(tmpdir(), "bllm-infra-lambda-")) }).then((b) => b.dir)
  return lambdaCode
}

export interface Synthesized {
  readonly app: cdk.App
  readonly assembly: cdk.cx_api.CloudAssembly
  readonly stacks: Readonly<Record<string, cdk.Stack>>
  readonly template: (stack: "data" | "service" | "edge") => Template
  /** The violations cdk-nag (through Validations) reported; empty when synthesis passed. */
  readonly violations: ReadonlyArray<unknown>
}

const cache = new Map<Fixture, Promise<Synthesized>>()

/** The fixture synthesized (once per test file). */
export const synthesized = (fixture: Fixture): Promise<Synthesized> => {
  const found = cache.get(fixture)
  if (found !== undefined) return found
  const made = sharedBundle().then((code) => {
    const outdir = mkdtempSync(join(tmpdir(), `bllm-infra-${fixture}-`))
    const deployment = makeApp({ config: decode(configs[fixture]), lambdaCode: code, outdir })
    const assembly = deployment.app.synth()
    const reportFile = join(outdir, "validation-report.json")
    const violations = existsSync(reportFile)
      ? (JSON.parse(readFileSync(reportFile, "utf8")).pluginReports ?? []).flatMap((report: any) => report.violations)
      : []
    const stacks: Record<string, cdk.Stack> = { data: deployment.data, service: deployment.service }
    if (deployment.edge !== undefined) stacks["edge"] = deployment.edge
    return {
      app: deployment.app,
      assembly,
      stacks,
      template: (stack: "data" | "service" | "edge") => Template.fromStack(stacks[stack]!),
      violations
    }
  })
  cache.set(fixture, made)
  return made
}

/**
 * A template value as a readable string: `Fn::Join`s joined, `Ref`s as `${Name}`, `Fn::GetAtt` as `${Id.Attr}`,
 * imports as `${import:Name}`, so IAM statements can be compared with plain strings.
 */
export const render = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(render)
  if (typeof value !== "object" || value === null) return value
  const record = value as Record<string, unknown>
  if ("Fn::Join" in record) {
    const [separator, parts] = record["Fn::Join"] as [string, Array<unknown>]
    return parts.map((part) => String(render(part))).join(separator)
  }
  if ("Ref" in record) return `\${${String(record["Ref"])}}`
  if ("Fn::GetAtt" in record) return `\${${(record["Fn::GetAtt"] as Array<string>).join(".")}}`
  if ("Fn::ImportValue" in record) return `\${import:${String(render(record["Fn::ImportValue"]))}}`
  return Object.fromEntries(Object.entries(record).map(([key, entry]) => [key, render(entry)]))
}

/** The statements of the IAM policies attached to a role (by the role's logical id prefix). */
export const statementsOfRole = (template: Template, rolePrefix: string): Array<Record<string, unknown>> => {
  const policies = template.findResources("AWS::IAM::Policy")
  const statements: Array<Record<string, unknown>> = []
  for (const policy of Object.values(policies)) {
    const roles = render(policy["Properties"]["Roles"]) as Array<string>
    if (roles.some((role) => role.startsWith(`\${${rolePrefix}`))) {
      statements.push(
        ...(render(policy["Properties"]["PolicyDocument"]["Statement"]) as Array<Record<string, unknown>>)
      )
    }
  }
  return statements
}
