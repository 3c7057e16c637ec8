/**
 * Bench-only: starts `emulator-process.ts` as a child process (emulator on an ephemeral loopback port) and talks to it
 * over IPC: its CPU time, counters and memory, and `close`.
 */
import { fork } from "node:child_process"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import type { Options, Stats } from "../../src/emulator/Emulator.js"

export interface CpuTime {
  /** Microseconds, as `process.cpuUsage` reports them. */
  readonly user: number
  readonly system: number
}

export interface EmulatorProcess {
  readonly url: string
  readonly pid: number
  readonly cpu: () => Promise<CpuTime>
  readonly stats: () => Promise<Stats>
  readonly resetStats: () => Promise<void>
  readonly memory: () => Promise<NodeJS.MemoryUsage & { readonly maxRSS: number }>
  readonly close: () => Promise<void>
}

const script = join(dirname(fileURLToPath(import.meta.url)), "emulator-process.ts")

/** Options that a process boundary can carry (no callbacks). */
export type ProcessOptions = Omit<Options, "onRequest" | "host" | "port">

export const spawnEmulator = (options: ProcessOptions = {}, startTimeoutMs = 20_000): Promise<EmulatorProcess> =>
  new Promise((resolve, reject) => {
    const child = fork(script, [JSON.stringify(options)], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"]
    })
    const pending = new Map<number, (value: unknown) => void>()
    let nextId = 1
    let exited = false
    const call = <A>(type: string): Promise<A> =>
      new Promise((resolveCall, rejectCall) => {
        if (exited) return rejectCall(new Error("emulator process has exited"))
        const id = nextId++
        pending.set(id, resolveCall as (value: unknown) => void)
        child.send({ id, type })
      })
    const timer = setTimeout(() => {
      child.kill()
      reject(new Error("emulator process did not start in time"))
    }, startTimeoutMs)
    child.on("exit", (code) => {
      exited = true
      clearTimeout(timer)
      reject(new Error(`emulator process exited with ${code}`))
    })
    child.on(
      "message",
      (message: { readonly type?: string; readonly url?: string; readonly id?: number; readonly value?: unknown }) => {
        if (message.type === "ready" && message.url !== undefined) {
          clearTimeout(timer)
          resolve({
            url: message.url,
            pid: child.pid!,
            cpu: () => call("cpu"),
            stats: () => call("stats"),
            resetStats: () => call("resetStats"),
            memory: () => call("memory"),
            close: () =>
              exited ? Promise.resolve() : new Promise<void>((resolveClose) => {
                child.once("exit", () => resolveClose())
                child.send({ id: nextId++, type: "close" })
              })
          })
          return
        }
        if (message.id !== undefined) {
          pending.get(message.id)?.(message.value)
          pending.delete(message.id)
        }
      }
    )
  })

/** CPU microseconds (user + system) between two readings. */
export const cpuDelta = (before: CpuTime, after: CpuTime): number =>
  after.user - before.user + after.system - before.system
