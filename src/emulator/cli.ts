#!/usr/bin/env node
/**
 * `bedrock-llm-emulator`: runs the local Bedrock Runtime emulator until interrupted, logging one line per request.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { parseArgs } from "node:util"
import { Emulator, type FaultRates, type Options, type RequestLog } from "./Emulator.js"

const usage = `Usage: bedrock-llm-emulator [options]

  --port <n>                 TCP port (default 4599; 0 = any free port)
  --host <address>           interface to bind (default 127.0.0.1)
  --scenario <file>          scripted mode: scenario JSON (see docs/EMULATOR.md)
  --replay <dir|file>        replay mode: recorded interactions
  --ttft-ms <n>              time to first stream event, in ms
  --tokens-per-second <n>    pace of stream deltas (0 = as fast as possible)
  --fault-seed <n>           seed of the random faults below
  --throttle-rate <0..1>     and --model-not-ready-rate, --internal-rate, --unavailable-rate,
                             --timeout-rate, --model-error-rate, --reset-rate, --stream-exception-rate,
                             --truncate-rate, --bad-crc-rate, --stall-rate, --latency-rate (+ --latency-ms)
  --verify-signatures        verify SigV4 with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the environment
  --no-padding               omit the random "p" padding in ConverseStream events
  --quiet                    no request log
  --help                     this text
`

const rateFlags: ReadonlyArray<readonly [string, keyof FaultRates]> = [
  ["throttle-rate", "throttle"],
  ["model-not-ready-rate", "modelNotReady"],
  ["internal-rate", "internal"],
  ["unavailable-rate", "unavailable"],
  ["timeout-rate", "timeout"],
  ["model-error-rate", "modelError"],
  ["reset-rate", "reset"],
  ["stream-exception-rate", "streamException"],
  ["truncate-rate", "truncate"],
  ["bad-crc-rate", "badCrc"],
  ["stall-rate", "stall"],
  ["latency-rate", "latency"],
  ["latency-ms", "latencyMs"]
]

const stringFlags = ["port", "host", "scenario", "replay", "ttft-ms", "tokens-per-second", "fault-seed"] as const

const formatLog = (entry: RequestLog): string =>
  [
    new Date().toISOString(),
    entry.operation,
    entry.modelId ?? "-",
    entry.status === 0 ? "reset" : String(entry.status),
    `${entry.durationMs}ms`,
    `h${entry.httpVersion === "2" ? "2" : "1"}`,
    ...(entry.faults.length > 0 ? [`faults=${entry.faults.join(",")}`] : [])
  ].join(" ")

const numberOf = (name: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined
  const parsed = Number(value)
  if (!Number.isFinite(parsed) || parsed < 0) {
    process.stderr.write(`--${name} needs a non-negative number, got "${value}"\n`)
    process.exit(2)
  }
  return parsed
}

const parse = (): Options | undefined => {
  const options: Record<string, { type: "string" | "boolean" }> = {
    "help": { type: "boolean" },
    "quiet": { type: "boolean" },
    "no-padding": { type: "boolean" },
    "verify-signatures": { type: "boolean" }
  }
  for (const flag of stringFlags) options[flag] = { type: "string" }
  for (const [flag] of rateFlags) options[flag] = { type: "string" }
  const { values } = parseArgs({ options, strict: true, allowPositionals: false })
  const flag = (name: string): string | undefined => {
    const value = values[name]
    return typeof value === "string" ? value : undefined
  }
  if (values["help"] === true) {
    process.stdout.write(usage)
    return undefined
  }
  const rates: Record<string, number> = {}
  for (const [name, key] of rateFlags) {
    const value = numberOf(name, flag(name))
    if (value !== undefined) rates[key] = value
  }
  const seed = numberOf("fault-seed", flag("fault-seed"))
  const accessKeyId = process.env["AWS_ACCESS_KEY_ID"]
  const secretAccessKey = process.env["AWS_SECRET_ACCESS_KEY"]
  if (values["verify-signatures"] === true && (accessKeyId === undefined || secretAccessKey === undefined)) {
    process.stderr.write("--verify-signatures needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment\n")
    process.exit(2)
  }
  return {
    port: numberOf("port", flag("port")) ?? 4599,
    host: flag("host") ?? "127.0.0.1",
    scenario: flag("scenario"),
    replay: flag("replay"),
    timeToFirstTokenMs: numberOf("ttft-ms", flag("ttft-ms")),
    tokensPerSecond: numberOf("tokens-per-second", flag("tokens-per-second")),
    faults: Object.keys(rates).length > 0 || seed !== undefined ? { ...rates, seed } : undefined,
    credentials: values["verify-signatures"] === true && accessKeyId !== undefined && secretAccessKey !== undefined
      ? { accessKeyId, secretAccessKey }
      : undefined,
    padding: values["no-padding"] !== true,
    onRequest: values["quiet"] === true ? undefined : (entry) => process.stdout.write(`${formatLog(entry)}\n`)
  }
}

/**
 * Runs `program` until it ends or the process gets SIGINT or SIGTERM, which interrupt it (its finalizers close the
 * server). Then the process ends as it should: killed by that signal (a shell reports 130 or 143), 1 after a failure
 * (its cause printed), else 0. A second signal ends it at once.
 */
const runUntilSignal = (program: Effect.Effect<unknown, unknown>): void => {
  const fiber = Effect.runFork(program)
  const signals: ReadonlyArray<NodeJS.Signals> = ["SIGINT", "SIGTERM"]
  let received: NodeJS.Signals | undefined
  const dieBy = (signal: NodeJS.Signals) => {
    for (const signal of signals) process.off(signal, onSignal)
    process.kill(process.pid, signal)
  }
  // a second signal does not wait for the finalizers
  const onSignal = (signal: NodeJS.Signals) => {
    if (received !== undefined) return dieBy(signal)
    received = signal
    Effect.runFork(Fiber.interrupt(fiber))
  }
  for (const signal of signals) process.on(signal, onSignal)
  fiber.addObserver((exit) => {
    if (received !== undefined) {
      dieBy(received)
    } else if (Exit.isFailure(exit)) {
      process.stderr.write(`${Cause.pretty(exit.cause)}\n`)
      process.exitCode = 1
    }
  })
}

const options = parse()

if (options !== undefined) {
  runUntilSignal(
    Effect.gen(function*() {
      const emulator = yield* Emulator
      yield* Console.log(`bedrock-llm emulator listening on ${emulator.url}`)
      yield* Console.log(`  stats: ${emulator.url}/__emulator/stats   (Ctrl-C to stop)`)
      return yield* Effect.never
    }).pipe(
      Effect.provide(Emulator.layer(options)),
      Effect.catchTag("EmulatorStartError", (error) =>
        Effect.zipRight(
          Console.error(error.message),
          Effect.sync(() => {
            process.exitCode = 1
          })
        ))
    )
  )
}
