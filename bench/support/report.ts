/**
 * What the `bench/*.bench.ts` programs share to measure and report: the median, a number's format, this process's CPU
 * time, and the section each one keeps in `bench/README.md` between its own markers.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import * as Os from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

export const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

export const fmt = (x: number): string => x >= 10 ? x.toFixed(1) : x.toPrecision(3)

/** This process's CPU time so far (user + system), in microseconds. */
export const cpuNow = (): number => {
  const usage = process.cpuUsage()
  return usage.user + usage.system
}

const readmePath = join(dirname(dirname(fileURLToPath(import.meta.url))), "README.md")

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/**
 * Writes `lines`, followed by the machine, the date and `command`, between the markers `<!-- name:start -->` and
 * `<!-- name:end -->` of `bench/README.md`: in place of the previous section, or appended.
 */
export const writeReadmeSection = (name: string, lines: ReadonlyArray<string>, command: string): void => {
  const cpus = Os.cpus()
  const section = [
    `<!-- ${name}:start -->`,
    ...lines,
    "",
    `Machine: ${cpus.length} × ${
      cpus[0]?.model ?? "?"
    } (\`nproc\` ${Os.availableParallelism()}), Node ${process.version}, load average at the end ${
      Os.loadavg().map((x) => x.toFixed(1)).join(" ")
    }; ${new Date().toISOString()}; \`${command}\`.`,
    `<!-- ${name}:end -->`
  ].join("\n")
  const existing = existsSync(readmePath) ? readFileSync(readmePath, "utf8") : "# Benchmarks\n"
  const pattern = new RegExp(`<!-- ${escaped(name)}:start -->[\\s\\S]*<!-- ${escaped(name)}:end -->`)
  const next = pattern.test(existing) ? existing.replace(pattern, section) : `${existing.trimEnd()}\n\n${section}\n`
  writeFileSync(readmePath, next)
  process.stdout.write(`wrote ${readmePath}\n`)
}
