/**
 * The deployment configuration is validated before anything is synthesized, with errors that name each problem.
 */
import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { ConfigError, decode } from "../src/Config.js"
import { base, configs, geoProfile } from "./support.js"

const problems = (input: unknown): string => {
  try {
    decode(input)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return (error as Error).message
  }
  throw new Error("the configuration was accepted")
}

describe("the deployment configuration", () => {
  it("accepts the example file and every fixture, filling in the defaults", () => {
    const example = decode(JSON.parse(readFileSync(new URL("../config/example.json", import.meta.url), "utf8")))
    expect(example.frontDoor).toBe("function-url")
    expect(example.lambda.memoryMb).toBe(1024)
    expect(example.architecture).toBe("arm64")
    for (const input of Object.values(configs)) expect(() => decode(input)).not.toThrow()
    expect(decode({ region: "us-east-1", frontDoor: "rest-api", models: [{ id: "amazon.nova-lite-v1:0" }] }))
      .toMatchObject({
        name: "bedrock-llm",
        stage: "dev",
        drainSeconds: 30,
        requestTimeoutSeconds: 600,
        logRetentionDays: 30,
        budgets: { keySpendAlarmPercent: 80 },
        alarms: { errorRatePercent: 5, p99LatencyMs: 60_000, bedrockThrottlesPer5Min: 10 }
      })
  })

  it("names every field that is wrong, with its path and what was expected", () => {
    const message = problems({
      ...base,
      region: "Europe",
      frontDoor: "kubernetes",
      drainSeconds: 600,
      models: [],
      colour: "blue"
    })
    expect(message).toContain("[\"region\"]")
    expect(message).toContain("an AWS Region such as us-east-1")
    expect(message).toContain("[\"frontDoor\"]")
    expect(message).toContain("\"function-url\" | \"rest-api\" | \"fargate\"")
    expect(message).toContain("[\"drainSeconds\"]")
    expect(message).toContain("[\"models\"]")
    expect(message).toContain("colour")
  })

  it("checks what spans fields: profiles' Regions, aliases, certificates, front door limits", () => {
    expect(problems({ ...base, frontDoor: "rest-api", models: [{ id: geoProfile }], aliases: {} })).toContain(
      `models[0] (${geoProfile}): a geographic inference profile needs "destinationRegions"`
    )
    expect(problems({ ...base, frontDoor: "rest-api", aliases: { claude: ["anthropic.claude-v2"] } })).toContain(
      "aliases.claude[0]: anthropic.claude-v2 in eu-west-1 is not in \"models\""
    )
    expect(problems({ ...configs["function-url"], domain: { ...configs.fargate.domain } })).toContain(
      "domain.certificateArn: the function-url front door needs a certificate in us-east-1 (CloudFront's), this one is in eu-west-1"
    )
    expect(problems({ ...base, frontDoor: "fargate" })).toContain(
      "domain: the fargate front door serves HTTPS only"
    )
    expect(problems({ ...base, frontDoor: "rest-api", requestTimeoutSeconds: 1200 })).toContain(
      "requestTimeoutSeconds: 1200 is above what a Lambda invocation can last"
    )
    expect(problems({ ...configs.fargate, fargate: { minTasks: 5, maxTasks: 2 } })).toContain(
      "fargate.minTasks (5) is above fargate.maxTasks (2)"
    )
    const { account: _account, ...anonymous } = configs["function-url"]
    expect(problems(anonymous)).toContain("account: CloudFront's web ACL lives in us-east-1")
  })

  it("takes a batch prefix of plain key folders only, so no IAM wildcard hides in the grants", () => {
    for (const prefix of ["jobs", "/jobs/", "jobs/*/", "jobs/?/", "jobs/${aws:username}/", "a//"]) {
      const problem = problems({ ...base, frontDoor: "rest-api", batch: { prefix } })
      expect(problem, prefix).toContain(`["prefix"]`)
      expect(problem, prefix).toContain(`Expected an S3 key prefix of folders, each ending in /`)
    }
    expect(decode({ ...base, frontDoor: "rest-api", batch: { prefix: "team-a/llm.batch/" } }).batch?.prefix).toBe(
      "team-a/llm.batch/"
    )
  })

  it("checks batch inference's models against the configured ones and its bucket name against S3's limit", () => {
    expect(problems({ ...base, frontDoor: "rest-api", batch: { models: ["amazon.nova-lite-v1:0"] } })).toContain(
      "batch.models[0]: amazon.nova-lite-v1:0 is not in \"models\""
    )
    expect(
      problems({ ...base, frontDoor: "rest-api", name: "a-very-long-deployment-na", stage: "production", batch: {} })
    ).toContain(
      "batch: the batch bucket's name"
    )
    expect(decode({ ...base, frontDoor: "rest-api", batch: {} }).batch).toEqual({
      prefix: "bedrock-llm-batch/",
      retentionDays: 14,
      abortIncompleteUploadDays: 1
    })
  })
})
