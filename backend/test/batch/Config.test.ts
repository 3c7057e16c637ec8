import { assert, describe, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { batchConfigOf } from "../../src/Server.js"
import * as ServiceConfig from "../../src/ServiceConfig.js"

const settingsOf = (env: Record<string, string>) =>
  Effect.withConfigProvider(ServiceConfig.fromEnv, ConfigProvider.fromMap(new Map(Object.entries(env))))

describe("the Batch API's configuration", () => {
  it.effect("is off without a bucket, and the bucket and role give BatchInference's configuration", () =>
    Effect.gen(function*() {
      assert.isTrue(Option.isNone((yield* settingsOf({})).batch))
      const settings = yield* settingsOf({
        BACKEND_BATCH_BUCKET: "my-batch-bucket",
        BACKEND_BATCH_ROLE_ARN: "arn:aws:iam::123456789012:role/Batch",
        BACKEND_BATCH_MIN_RECORDS: "1000",
        AWS_REGION: "eu-west-1"
      })
      const config = batchConfigOf(Option.getOrThrow(settings.batch))
      assert.deepStrictEqual(
        [config.bucket, config.roleArn, config.prefix, config.region, config.quotas?.minRecordsPerJob],
        ["my-batch-bucket", "arn:aws:iam::123456789012:role/Batch", "bedrock-llm-batch/", "eu-west-1", 1000]
      )
    }))

  it.effect("a bucket without a role is a configuration error naming the role's variable", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(settingsOf({ BACKEND_BATCH_BUCKET: "my-batch-bucket" }))
      assert.include(String(error), "BACKEND_BATCH_ROLE_ARN")
    }))
})
