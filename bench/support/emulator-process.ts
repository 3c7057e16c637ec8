/**
 * Bench-only: runs the emulator in its own process and answers its parent over IPC, so that a benchmark can read the
 * emulator's own CPU time (`process.cpuUsage`) and counters without sharing a core or a heap with the client.
 *
 * Started by `spawnEmulator` with the emulator options as JSON in `argv[2]`; sends `{ type: "ready", url }`, then
 * answers `{ id, type: "cpu" | "stats" | "resetStats" | "memory" }` with `{ id, value }`; exits on `close` or when the
 * parent goes away.
 */
import { type Options, start } from "../../src/emulator/Emulator.js"

export interface Request {
  readonly id: number
  readonly type: "cpu" | "stats" | "resetStats" | "memory" | "close"
}

const send = (message: unknown): void => {
  process.send?.(message)
}

const main = async (): Promise<void> => {
  const options = JSON.parse(process.argv[2] ?? "{}") as Options
  const emulator = await start({ ...options, host: "127.0.0.1", port: 0 })
  const close = (): void => {
    void emulator.close().finally(() => process.exit(0))
  }
  process.on("disconnect", close)
  process.on("message", (message: Request) => {
    switch (message.type) {
      case "cpu":
        return send({ id: message.id, value: process.cpuUsage() })
      case "stats":
        return send({ id: message.id, value: emulator.stats() })
      case "resetStats":
        emulator.resetStats()
        return send({ id: message.id, value: null })
      case "memory":
        return send({ id: message.id, value: { ...process.memoryUsage(), maxRSS: process.resourceUsage().maxRSS } })
      case "close":
        send({ id: message.id, value: null })
        return close()
    }
  })
  send({ type: "ready", url: emulator.url })
}

main().catch((error: unknown) => {
  process.stderr.write(`emulator process failed: ${String(error)}\n`)
  process.exit(1)
})
