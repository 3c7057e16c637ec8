import { Effect, Layer } from "effect"
import * as BatchInference from "../../src/BatchInference.js"
import * as Emulator from "../../src/emulator/Emulator.js"
import * as Message from "../../src/Message.js"

export const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" }
export const roleArn = "arn:aws:iam::123456789012:role/BedrockBatchInference"
export const novaMicro = "us.amazon.nova-micro-v1:0"
export const claudeHaiku = "anthropic.claude-3-haiku-20240307-v1:0"

/** An emulator with batch jobs and its S3 server, for the scope. */
export const batchEmulator = (batch: Emulator.BatchOptions) => Emulator.make({ batch })

/** The service's configuration on an emulator, with a bucket created. */
export const configFor = (
  emulator: Emulator.RunningEmulator,
  overrides: Partial<BatchInference.Config> = {}
): Effect.Effect<BatchInference.Config, BatchInference.BatchServiceError> => {
  const config: BatchInference.Config = {
    bucket: "batch-test",
    roleArn,
    credentials,
    bedrockEndpoint: emulator.url,
    s3Endpoint: emulator.batch!.s3Url,
    pollInterval: "10 millis",
    ...overrides
  }
  return Effect.as(BatchInference.ensureBucket(config), config)
}

/** The service on an emulator. */
export const serviceOn = (
  emulator: Emulator.RunningEmulator,
  overrides: Partial<BatchInference.Config> = {}
): Layer.Layer<BatchInference.BatchInference, BatchInference.BatchServiceError> =>
  Layer.unwrapEffect(Effect.map(configFor(emulator, overrides), BatchInference.layer))

/** A Converse-shaped record whose prompt names it. */
export const converseRecord = (index: number): BatchInference.ConverseRecord => ({
  recordId: `rec${index}`,
  messages: [Message.user(`document ${index}`)],
  maxTokens: 32
})
