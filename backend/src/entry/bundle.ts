/**
 * Builds the deployable bundles with esbuild: `dist/lambda/index.mjs` (the Lambda handler, `index.handler`) and
 * `dist/container/main.mjs` (the container's command, `main.ts`), each a self-contained directory of ES modules for
 * Node.js 22 with no `node_modules`: the library resolves to its sources through `backend/tsconfig.json`'s paths, as
 * in development. Modules loaded only on demand (the emulator, the OpenTelemetry exporters) are split into chunks of
 * their own, so a cold start never loads them.
 *
 * `npm run build -w bedrock-llm-backend` runs it; the CDK app and the tests call `bundle` directly.
 *
 * @since 0.1.0
 */
import * as esbuild from "esbuild"
import { rm, stat } from "node:fs/promises"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { buildUi } from "../ui/UiBuild.js"

/**
 * The backend package's directory.
 *
 * @since 0.1.0
 * @category constants
 */
export const backendDir = fileURLToPath(new URL("../..", import.meta.url))

/**
 * What can be bundled: each output file's name and its entry module. The first is the target's entry.
 *
 * @since 0.1.0
 * @category constants
 */
export const targets = {
  lambda: { index: "src/entry/lambda.ts" },
  container: { main: "src/main.ts", healthcheck: "src/entry/healthcheck.ts" }
} as const satisfies Record<string, Record<string, string>>

/**
 * A bundle target.
 *
 * @since 0.1.0
 * @category models
 */
export type Target = keyof typeof targets

/**
 * A built bundle: its directory, its entry file, and the bytes of every file in it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Bundle {
  readonly dir: string
  readonly entry: string
  /** Every JavaScript file, chunks included (source maps and license files not counted). */
  readonly bytes: number
  readonly entryBytes: number
}

// Some dependencies are CommonJS and `require` Node's built-ins; an ES module bundle gives them a `require`.
const requireShim = "import { createRequire as __bllmCreateRequire } from \"node:module\";\n" +
  "const require = __bllmCreateRequire(import.meta.url);"

/**
 * Bundles a target into `outDir` (default `dist/<target>` in the backend package), replacing what was there; `entry`
 * replaces the module of the target's first file (tests bundle the service with API groups of their own).
 *
 * @since 0.1.0
 * @category constructors
 */
export const bundle = async (
  target: Target,
  options: { readonly outDir?: string; readonly entry?: string; readonly minify?: boolean } = {}
): Promise<Bundle> => {
  const dir = options.outDir ?? join(backendDir, "dist", target)
  const [out, defaultEntry] = Object.entries(targets[target])[0]!
  const entryPoints: Record<string, string> = { ...targets[target], [out]: options.entry ?? defaultEntry }
  await rm(dir, { recursive: true, force: true })
  // The UI's script and stylesheet are a generated module the service imports on the first UI request.
  await buildUi()
  const result = await esbuild.build({
    absWorkingDir: backendDir,
    entryPoints,
    outdir: dir,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node22",
    tsconfig: join(backendDir, "tsconfig.json"),
    minify: options.minify ?? true,
    sourcemap: "external",
    legalComments: "linked",
    metafile: true,
    logLevel: "warning",
    banner: { js: requireShim }
  })
  let bytes = 0
  let entryBytes = 0
  const entry = join(dir, `${out}.mjs`)
  for (const file of Object.keys(result.metafile.outputs)) {
    if (!file.endsWith(".mjs")) continue
    const size = (await stat(join(backendDir, file))).size
    bytes += size
    if (join(backendDir, file) === entry) entryBytes = size
  }
  return { dir, entry, bytes, entryBytes }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const requested = process.argv.slice(2)
  const chosen = (requested.length === 0 ? Object.keys(targets) : requested) as Array<Target>
  for (const target of chosen) {
    if (!(target in targets)) throw new Error(`Unknown bundle target ${target}: one of ${Object.keys(targets)}`)
    const built = await bundle(target)
    console.log(`${target}: ${built.entry} (${(built.bytes / 1024).toFixed(0)} KiB with its chunks)`)
  }
}
