/**
 * `npm run bench`: runs every `bench/*.bench.ts` in sequence, each in its own Node process (so that one benchmark's
 * heap, JIT state and open sockets cannot skew the next). Arguments are passed on to every benchmark (`--quick`);
 * `--only <substring>` runs the matching files only. Exits non-zero when a benchmark fails.
 */
import { spawnSync } from "node:child_process"
import { readdirSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const benchDir = dirname(fileURLToPath(import.meta.url))

const parseArgs = (
  argv: ReadonlyArray<string>
): { readonly only: string | undefined; readonly rest: Array<string> } => {
  const rest: Array<string> = []
  let only: string | undefined
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--only") only = argv[++i]
    else rest.push(argv[i]!)
  }
  return { only, rest }
}

const { only, rest } = parseArgs(process.argv.slice(2))
const files = readdirSync(benchDir)
  .filter((name) => name.endsWith(".bench.ts") && (only === undefined || name.includes(only)))
  .sort()

if (files.length === 0) {
  process.stderr.write(`no bench/*.bench.ts${only === undefined ? "" : ` matching "${only}"`}\n`)
  process.exit(1)
}

const failed: Array<string> = []
for (const file of files) {
  process.stdout.write(`\n=== ${file}\n`)
  const result = spawnSync(process.execPath, ["--import", "tsx", join(benchDir, file), ...rest], {
    stdio: "inherit",
    cwd: join(benchDir, "..")
  })
  if (result.status !== 0) failed.push(`${file} (${result.signal ?? `exit ${result.status}`})`)
}

if (failed.length > 0) {
  process.stderr.write(`\nfailed: ${failed.join(", ")}\n`)
  process.exit(1)
}
