import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    // The AWS SDK warns in every worker that its 2027 releases need Node 22; the suite runs on Node 20 as well.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    sequence: { concurrent: false },
    projects: [
      { extends: true, test: { name: "library", include: ["test/**/*.test.ts"] } },
      "backend/vitest.config.ts",
      "backend/infra/vitest.config.ts"
    ]
  }
})
