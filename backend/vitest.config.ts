import { fileURLToPath } from "node:url"
import { defineProject } from "vitest/config"

const library = (path: string) => fileURLToPath(new URL(`../src/${path}`, import.meta.url))

// The backend imports the library by its package paths; in development they resolve to its TypeScript sources, as
// backend/tsconfig.json's `paths` do for tsc and tsx.
export default defineProject({
  resolve: {
    alias: [
      { find: /^bedrock-llm$/, replacement: library("index.ts") },
      { find: /^bedrock-llm\/emulator$/, replacement: library("emulator/Emulator.ts") },
      { find: /^bedrock-llm\/(.+)$/, replacement: library("$1.ts") }
    ]
  },
  test: {
    name: "backend",
    include: ["test/**/*.test.ts"],
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    sequence: { concurrent: false }
  }
})
