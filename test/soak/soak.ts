/**
 * `npm run soak`: the full reliability soak, a program (not a test). Prints every figure and exits non-zero when a
 * promise is broken. Sizes can be lowered for a quick look: `SOAK_REQUESTS=2000 npm run soak`.
 *
 *   node --expose-gc --import tsx test/soak/soak.ts
 */
import { Effect } from "effect"
import * as DynamoDBMemoryStore from "../../src/DynamoDBMemoryStore.js"
import { clientConfig } from "../support/dynamo.js"
import { runAgentSoak, runFaultSoak } from "./faultSoak.js"
import { dynamoStore, restartableDynalite, sharedFileStores, tableName, tempDirectory, twoWriters } from "./memory.js"
import { runCredentialRefresh } from "./secrets.js"

const env = (name: string, fallback: number): number => {
  const value = Number(process.env[name])
  return Number.isFinite(value) && value > 0 ? value : fallback
}

const requests = env("SOAK_REQUESTS", 10_000)
const concurrency = env("SOAK_CONCURRENCY", 64)
const agentRuns = env("SOAK_AGENT_RUNS", 500)
const turns = env("SOAK_TURNS", 1_000)
const seed = env("SOAK_SEED", 20261127)

const failures: Array<string> = []
const expect = (ok: boolean, what: string) => {
  if (!ok) failures.push(what)
}

const section = (title: string, figures: unknown) => console.log(`\n## ${title}\n${JSON.stringify(figures, null, 2)}`)

const program = Effect.gen(function*() {
  console.log(`bedrock-llm soak: ${requests} requests at concurrency ${concurrency}, seed ${seed}`)

  const soak = yield* runFaultSoak({ requests, concurrency, seed })
  section("fault soak", soak)
  expect(soak.unaccounted === 0, "requests unaccounted for")
  expect(soak.defects === 0, "defects")
  expect(soak.hung === 0, "hung requests")
  expect(soak.unhandledRejections === 0, "unhandled rejections")
  expect(soak.retryableFailuresBeforeBudget === 0, "a retryable failure surfaced before its retry budget")
  expect(Object.keys(soak.attemptsHistogram).every((n) => Number(n) <= soak.maxAttemptsConfigured), "attempts > max")
  expect(soak.breaker.openedUnderBurst && soak.breaker.closedAfterRecovery, "breaker did not open and close")
  expect(soak.fibersLeft === 0, "fibers left running")
  expect(soak.sockets.afterClose <= soak.sockets.before, "sockets left open")
  expect(soak.heapMiB.after - soak.heapMiB.before < 32, "heap grew by 32 MiB or more")

  const agents = yield* runAgentSoak({ runs: agentRuns, concurrency: 32, seed: seed + 1 })
  section("agent soak", agents)
  expect(agents.unaccounted === 0, "agent runs unaccounted for")
  expect(agents.defects === 0, "agent defects")
  expect(agents.duplicateToolExecutions === 0, "a tool ran twice for one toolUse id")
  expect(agents.typedErrorsWithTranscript >= 5, "refused runs did not fail typed with their transcript")

  const refresh = yield* runCredentialRefresh({ durationMs: 10_000, ttlMs: 2_000, concurrency: 8, faults: true })
  section("credentials expiring mid-soak", refresh)
  expect(refresh.failed.length === 0, "requests failed across credential refresh")
  expect(refresh.providerCalls > 1, "credentials were never refreshed")

  const writers = yield* Effect.scoped(Effect.gen(function*() {
    const directory = yield* tempDirectory("bedrock-llm-soak-dynalite-")
    const dynamo = yield* restartableDynalite(directory)
    const endpoint = yield* dynamo.start
    yield* DynamoDBMemoryStore.createTable({ tableName, clientConfig: clientConfig(endpoint) })
    const overDynamo = yield* twoWriters("DynamoDB (dynalite)", dynamoStore(endpoint), turns)
    const files = yield* tempDirectory("bedrock-llm-soak-files-")
    const overFiles = yield* twoWriters("files (one KeyValueStore)", yield* sharedFileStores(files), turns)
    return [overDynamo, overFiles]
  }))
  section("two writers, one conversation", writers)
  for (const report of writers) {
    expect(report.messages === 4 * turns && report.missing === 0, `${report.store}: turns lost`)
    expect(report.outOfOrder === 0 && report.valid, `${report.store}: invalid order`)
  }

  console.log(failures.length === 0 ? "\nsoak: every check passed" : `\nsoak: FAILED: ${failures.join("; ")}`)
  return failures.length
})

Effect.runPromise(program).then(
  (failed) => process.exit(failed === 0 ? 0 : 1),
  (error) => {
    console.error(error)
    process.exit(2)
  }
)
