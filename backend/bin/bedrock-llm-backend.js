#!/usr/bin/env node
// The CLI from the TypeScript sources (development; issue 17 builds it with esbuild).
import { register } from "tsx/esm/api"

register({ tsconfig: new URL("../tsconfig.json", import.meta.url).pathname })
const { main } = await import("../src/cli.ts")
const { runPromise } = await import("effect/Effect")
await runPromise(main(process.argv.slice(2)))
