import { Duration, Effect, Layer, Redacted } from "effect"
import * as BedrockClient from "../../src/BedrockClient.js"
import * as BedrockRuntime from "../../src/BedrockRuntime.js"
import { ClientConfig, ConnectionConfig, StaticCredentials } from "../../src/Config.js"
import { Emulator, type Options as EmulatorOptions } from "../../src/emulator/Emulator.js"

/** A recognisable fake credential set: tests assert it never shows up in errors, logs or spans. */
export const fakeCredentials = {
  accessKeyId: "AKIAFAKEFAKEFAKE1234",
  secretAccessKey: "wJalrXUtnFEMI/FAKE/SECRET/KEYFAKE0000",
  sessionToken: "FAKE-SESSION-TOKEN-0123456789abcdef"
} as const

export const haiku = "anthropic.claude-3-haiku-20240307-v1:0"

export interface LiveOptions {
  readonly protocol?: "http2" | "http1.1" | undefined
  readonly multiplex?: boolean | undefined
  readonly emulator?: EmulatorOptions | undefined
  readonly client?: Partial<BedrockClient.BedrockClient.Options> | undefined
  readonly runtime?: BedrockRuntime.BedrockRuntime.Options | undefined
  readonly clientConfig?: Partial<ConstructorParameters<typeof ClientConfig>[0]> | undefined
}

/** `BedrockRuntime` over the `Emulator` in context, through the real SDK. */
export const runtimeLayer = (options?: LiveOptions) =>
  Layer.unwrapEffect(Effect.map(Emulator, (emulator) =>
    BedrockRuntime.layer(
      new ClientConfig({
        region: "us-east-1",
        endpoint: emulator.url,
        credentials: new StaticCredentials({
          accessKeyId: fakeCredentials.accessKeyId,
          secretAccessKey: Redacted.make(fakeCredentials.secretAccessKey),
          sessionToken: Redacted.make(fakeCredentials.sessionToken)
        }),
        connection: new ConnectionConfig({
          protocol: options?.protocol ?? "http2",
          ...(options?.multiplex === undefined ? {} : { multiplex: options.multiplex })
        }),
        ...options?.clientConfig
      }),
      options?.runtime
    )))

/** Emulator + runtime + client: everything a test of the client needs, with the emulator exposed. */
export const liveLayer = (options?: LiveOptions) => {
  const emulator = Emulator.layer(options?.emulator)
  const runtime = runtimeLayer(options).pipe(Layer.provideMerge(emulator))
  return BedrockClient.layer({
    model: { modelId: haiku, maxTokens: 256 },
    retry: { baseDelay: Duration.millis(1), maxDelay: Duration.millis(5), jitter: false },
    ...options?.client
  }).pipe(Layer.provideMerge(runtime))
}
