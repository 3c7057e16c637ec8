import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime"
import { NodeHttpHandler } from "@smithy/node-http-handler"
import { Effect } from "effect"
import type { RunningEmulator } from "../../src/emulator/Emulator.js"

export type Protocol = "http2" | "http1"

export const protocols: ReadonlyArray<Protocol> = ["http2", "http1"]

export const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" }

/** A real SDK client on the emulator, destroyed with the scope. */
export const sdkClient = (emulator: RunningEmulator, protocol: Protocol, secretAccessKey?: string) =>
  Effect.acquireRelease(
    Effect.sync(() =>
      new BedrockRuntimeClient({
        endpoint: emulator.url,
        region: "us-east-1",
        maxAttempts: 1,
        credentials: { ...credentials, ...(secretAccessKey !== undefined ? { secretAccessKey } : {}) },
        ...(protocol === "http1" ? { requestHandler: new NodeHttpHandler() } : {})
      })
    ),
    (client) => Effect.sync(() => client.destroy())
  )

interface WithMiddleware {
  readonly middlewareStack: {
    add: (
      middleware: (next: (args: any) => Promise<any>) => (args: any) => Promise<any>,
      options: { step: "build" }
    ) => void
  }
}

/** Adds `x-emulator-fault` to one command, as tests do through SDK middleware. */
export const withFault = <C extends WithMiddleware>(command: C, fault: string): C => {
  command.middlewareStack.add((next) => (args) => {
    args.request.headers["x-emulator-fault"] = fault
    return next(args)
  }, { step: "build" })
  return command
}

export { eventually } from "../support/eventually.js"

export const hello = [{ role: "user" as const, content: [{ text: "Hello! What is the capital of France?" }] }]
