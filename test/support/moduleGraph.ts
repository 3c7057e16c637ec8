/**
 * The module graph of one import, read off a real Node process: every ES module the loader resolves (with its
 * importer, through a `resolve` hook in the loader thread) and every CommonJS module in `require.cache` (with the
 * module that first required it). Shared by the import tests, the packed-package test and `bench/importCost.bench.ts`.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

/**
 * One module loaded, as a file path (or a `node:` builtin), and a module that imported it (an ES module: one entry
 * per importer) or required it first (CommonJS; none when an ES module imported it).
 */
export interface LoadedModule {
  readonly module: string
  readonly importer: string | undefined
}

// Runs in the loader thread: appends "importer<TAB>url" per resolution to the file named in `initialize`.
const hooks = `import { appendFileSync } from "node:fs"
let out
export const initialize = (data) => { out = data.out }
export const resolve = async (specifier, context, next) => {
  const resolved = await next(specifier, context)
  appendFileSync(out, (context.parentURL ?? "") + "\\t" + resolved.url + "\\n")
  return resolved
}
`

// Runs first in the main thread: registers the hooks and, at exit, appends the CommonJS modules.
const register = (hooksUrl: string, out: string) =>
  `import { register, createRequire } from "node:module"
import { appendFileSync } from "node:fs"
register(${JSON.stringify(hooksUrl)}, { data: { out: ${JSON.stringify(out)} } })
const cache = createRequire(import.meta.url).cache
process.on("exit", () => {
  const lines = Object.values(cache).map((m) => (m.parent?.filename ?? "") + "\\t" + m.filename)
  appendFileSync(${JSON.stringify(out)}, lines.map((line) => line + "\\n").join(""))
})
`

const asPath = (url: string): string => url.startsWith("file:") ? fileURLToPath(url) : url

/**
 * Every module that `import(specifier)` loads in a fresh `node` (with `nodeArgs`, e.g. `["--import", "tsx"]`) started
 * in `cwd`; fails when the import does.
 */
export const loadedModules = (
  specifier: string,
  options: { readonly cwd: string; readonly nodeArgs?: ReadonlyArray<string> | undefined }
): ReadonlyArray<LoadedModule> => {
  const directory = mkdtempSync(join(tmpdir(), "bedrock-llm-graph-"))
  try {
    const out = join(directory, "modules.tsv")
    writeFileSync(out, "")
    writeFileSync(join(directory, "hooks.mjs"), hooks)
    writeFileSync(join(directory, "register.mjs"), register(pathToFileURL(join(directory, "hooks.mjs")).href, out))
    const ran = spawnSync(
      process.execPath,
      [
        ...(options.nodeArgs ?? []),
        "--import",
        pathToFileURL(join(directory, "register.mjs")).href,
        "--input-type=module",
        "--eval",
        `await import(${JSON.stringify(specifier)})`
      ],
      { cwd: options.cwd, encoding: "utf8", timeout: 60_000 }
    )
    if (ran.status !== 0) throw new Error(`import(${specifier}) failed (${ran.status ?? ran.signal}):\n${ran.stderr}`)
    const lines = new Set(readFileSync(out, "utf8").split("\n").filter((line) => line !== ""))
    return [...lines].map((line) => {
      const [importer, module] = line.split("\t")
      return { module: asPath(module!), importer: importer === "" ? undefined : asPath(importer!) }
    })
  } finally {
    rmSync(directory, { recursive: true, force: true })
  }
}

/** The package a module belongs to (`effect`, `@aws-sdk/core`), or undefined for the library's own files. */
export const packageOf = (module: string): string | undefined => {
  const at = module.lastIndexOf("/node_modules/")
  if (at < 0) return module.startsWith("node:") ? module : undefined
  const [scope, name] = module.slice(at + "/node_modules/".length).split("/")
  return scope!.startsWith("@") ? `${scope}/${name}` : scope
}

/**
 * Packages that the root import must never load: the DynamoDB client, the emulator's SigV4 hashing, platform-node,
 * `@effect/ai` (only `bedrock-llm/ai` needs it).
 */
const forbiddenPackages = [
  /^@effect\/ai$/,
  /^@aws-sdk\/client-dynamodb$/,
  /^@aws-sdk\/client-bedrock$/,
  /^@aws-sdk\/client-s3$/,
  /^@aws-sdk\/dynamodb-codec$/,
  /^@aws-crypto\//,
  /^@effect\/(platform-node|platform-node-shared|cluster|sql|rpc|workflow|experimental)$/
]

/**
 * What the root import `import "bedrock-llm"` loads that it must not, one line each: a module of the emulator, a
 * forbidden package, or `@smithy/signature-v4` loaded by anything but the AWS SDK (the Bedrock client signs its
 * requests with it, so it is there for every call, but the emulator's own SigV4 verifier is not). `isLibrary` tells
 * the library's own files (`src/` or `dist/` of the package under test).
 */
export const rootImportProblems = (
  modules: ReadonlyArray<LoadedModule>,
  isLibrary: (path: string) => boolean
): ReadonlyArray<string> => [
  ...new Set(modules.flatMap(({ importer, module }) => {
    const pkg = packageOf(module)
    if (pkg === undefined) {
      if (!isLibrary(module)) return []
      if (/[/\\]emulator[/\\]/.test(module)) return [`emulator: ${module}`]
      return /BatchInference|[/\\]internal[/\\]batch[/\\]/.test(module) ? [`batch: ${module}`] : []
    }
    if (forbiddenPackages.some((pattern) => pattern.test(pkg))) return [`${pkg}: ${module}`]
    if (pkg === "@smithy/signature-v4" && importer !== undefined && !packageOf(importer)?.startsWith("@aws-sdk/")) {
      return [`@smithy/signature-v4 loaded by ${importer}`]
    }
    return []
  }))
]
