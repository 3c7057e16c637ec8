#!/usr/bin/env node
/**
 * `bedrock-llm`: the library's command line. `bedrock-llm batch ...` runs Bedrock batch inference jobs (see
 * docs/BATCH.md); the emulator has its own, `bedrock-llm-emulator`.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { runBatch, usage } from "./internal/batch/cli.js"

const [command, ...rest] = process.argv.slice(2)

const program = command === "batch"
  ? runBatch(rest)
  : Effect.sync(() => {
    process.stdout.write(usage)
    if (command !== undefined && command !== "--help") process.exitCode = 2
  })

const fiber = Effect.runFork(program)
process.once("SIGINT", () => Effect.runFork(Fiber.interrupt(fiber)))
fiber.addObserver((exit) => {
  if (Exit.isFailure(exit) && !Exit.isInterrupted(exit)) {
    const failure = Cause.failureOption(exit.cause)
    const message = failure._tag === "Some" && typeof (failure.value as { message?: unknown }).message === "string"
      ? (failure.value as { message: string }).message
      : Cause.pretty(exit.cause)
    process.stderr.write(`${message}\n`)
    process.exitCode = 1
  }
})
