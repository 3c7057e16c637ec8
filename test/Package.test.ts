import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process"
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { dynaliteServer } from "./support/dynamo.js"
import { loadedModules, rootImportProblems } from "./support/moduleGraph.js"
import { writeOfflineApp } from "./support/offlineApp.js"

const root = join(__dirname, "..")
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  readonly name: string
  readonly exports: Record<string, string | { readonly types: string; readonly import: string }>
  readonly dependencies: Record<string, string>
  readonly peerDependencies: Record<string, string>
  readonly peerDependenciesMeta: Record<string, { readonly optional?: boolean }>
}

// The AWS SDK warns on stderr that its 2027 releases need Node 22; npm must not look for updates or audits.
const env = {
  ...process.env,
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  npm_config_update_notifier: "false",
  npm_config_audit: "false",
  npm_config_fund: "false"
}

const run = (command: string, args: ReadonlyArray<string>, cwd: string, extra: Record<string, string> = {}) =>
  spawnSync(command, args, { cwd, encoding: "utf8", timeout: 120_000, env: { ...env, ...extra } })

const succeeded = (ran: SpawnSyncReturns<string>, what: string): string => {
  assert.strictEqual(ran.status, 0, `${what} exited with ${ran.status ?? ran.signal}:\n${ran.stdout}\n${ran.stderr}`)
  return ran.stdout
}

const tsc = join(root, "node_modules", "typescript", "bin", "tsc")

describe("the packed package, installed offline in an app outside the repository", () => {
  let work = ""
  let tarball = ""
  let app = ""

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "bedrock-llm-package-"))
    const packed = JSON.parse(succeeded(run("npm", ["pack", "--json", "--pack-destination", work], root), "npm pack"))
    tarball = join(work, (packed as ReadonlyArray<{ readonly filename: string }>)[0]!.filename)
    app = join(work, "app")
    writeOfflineApp({
      repository: root,
      directory: app,
      tarball,
      // every peer, the optional ones too, so that every subpath can be imported
      dependencies: [...Object.keys(manifest.peerDependencies), "@types/node"]
    })
    for (const file of ["main.ts", "tsconfig.json"]) {
      copyFileSync(join(root, "test", "outside-app", file), join(app, file))
    }
    succeeded(run("npm", ["ci", "--offline", "--ignore-scripts"], app), "npm ci --offline")
  }, 240_000)

  afterAll(() => {
    if (work !== "") rmSync(work, { recursive: true, force: true })
  })

  it("holds exactly one copy of effect, and no @effect/platform-node", () => {
    const tree = succeeded(run("npm", ["ls", "effect", "--all"], app), "npm ls effect")
    const copies = tree.split("\n").filter((line) => /\beffect@\d/.test(line) && !line.includes("deduped"))
    assert.strictEqual(copies.length, 1, tree)
    assert.isTrue(existsSync(join(app, "node_modules", "effect", "package.json")))
    assert.isFalse(existsSync(join(app, "node_modules", "@effect", "platform-node")))
  })

  it(
    "type-checks a program on the root, the Promise facade, the emulator and the DynamoDB store (strict nodenext)",
    () =>
      Effect.gen(function*() {
        succeeded(run(process.execPath, [tsc, "-p", app], app), "tsc (strict, nodenext)")
        const endpoint = yield* dynaliteServer
        const ran = yield* Effect.promise(() =>
          new Promise<{ readonly code: number | null; readonly stdout: string; readonly stderr: string }>((resolve) => {
            const child = spawn(process.execPath, [join(app, "out", "main.js")], {
              cwd: app,
              env: { ...env, BEDROCK_EMULATOR: "1", DYNAMODB_ENDPOINT: endpoint }
            })
            let stdout = ""
            let stderr = ""
            child.stdout.on("data", (chunk) => (stdout += chunk))
            child.stderr.on("data", (chunk) => (stderr += chunk))
            const timer = setTimeout(() => child.kill("SIGKILL"), 60_000)
            child.on("close", (code) => {
              clearTimeout(timer)
              resolve({ code, stdout, stderr })
            })
          })
        )
        assert.strictEqual(ran.code, 0, ran.stderr)
        assert.match(ran.stdout, /^effect: .*Hello from an app outside the repository.* \[2 messages, version 2\]$/m)
        assert.match(ran.stdout, /^promise: .*Hello from the Promise facade.* \[end_turn\]$/m)
      }).pipe(Effect.scoped, Effect.runPromise),
    120_000
  )

  it("its root import loads neither the emulator, nor DynamoDB, nor the emulator's SigV4, nor platform-node", () => {
    const installed = join(app, "node_modules", manifest.name)
    const modules = loadedModules(manifest.name, { cwd: app })
    assert.isTrue(modules.some(({ module }) => module === join(installed, "dist", "BedrockClient.js")))
    assert.deepStrictEqual(rootImportProblems(modules, (path) => path.startsWith(installed)), [])
  })

  it("exports its public modules and nothing else", () => {
    const installed = join(app, "node_modules", manifest.name)
    for (const [key, target] of Object.entries(manifest.exports)) {
      for (const file of typeof target === "string" ? [target] : [target.types, target.import]) {
        assert.isTrue(existsSync(join(installed, file)), `${key} → ${file} is in the package`)
      }
    }
    const publicPaths = Object.keys(manifest.exports).filter((key) => key !== "./package.json")
      .map((key) => `${manifest.name}${key.slice(1)}`)
    const privatePaths = [
      "internal/redact",
      "emulator/internal/server",
      "emulator/engine/index",
      "emulator/Emulator.js",
      "emulator/cli",
      "dist/index.js"
    ].map((path) => `${manifest.name}/${path}`)
    const script =
      `const outcome = async (path) => import(path).then(() => "ok", (error) => error.code ?? error.message)
const paths = ${JSON.stringify([...publicPaths, ...privatePaths])}
console.log(JSON.stringify(Object.fromEntries(await Promise.all(paths.map(async (path) => [path, await outcome(path)])))))`
    const outcomes = JSON.parse(
      succeeded(run(process.execPath, ["--input-type=module", "--eval", script], app), "imports")
    ) as Record<string, string>
    for (const path of publicPaths) assert.strictEqual(outcomes[path], "ok", path)
    for (const path of privatePaths) assert.strictEqual(outcomes[path], "ERR_PACKAGE_PATH_NOT_EXPORTED", path)
  })

  it(
    "runs `npx bedrock-llm-emulator --help`, and the emulator it starts ends by the signal that stops it",
    async () => {
      const help = succeeded(run("npx", ["bedrock-llm-emulator", "--help"], app, { npm_config_offline: "true" }), "npx")
      assert.match(help, /^Usage: bedrock-llm-emulator \[options\]/)
      const batchHelp = succeeded(
        run("npx", ["bedrock-llm", "batch", "--help"], app, { npm_config_offline: "true" }),
        "npx"
      )
      assert.match(batchHelp, /^Usage: bedrock-llm batch <command>/)

      const child = spawn(join(app, "node_modules", ".bin", "bedrock-llm-emulator"), ["--port", "0", "--quiet"], {
        cwd: app,
        env
      })
      const url = await new Promise<string>((resolve, reject) => {
        let stdout = ""
        child.stdout.on("data", (chunk) => {
          stdout += chunk
          const listening = /listening on (http:\/\/\S+)/.exec(stdout)
          if (listening !== null) resolve(listening[1]!)
        })
        child.once("exit", (code) => reject(new Error(`the emulator exited with ${code} before listening`)))
      })
      const stats = await fetch(`${url}/__emulator/stats`)
      assert.strictEqual(stats.status, 200)
      const ended = new Promise<NodeJS.Signals | null>((resolve) => child.once("exit", (_, signal) => resolve(signal)))
      child.kill("SIGINT")
      assert.strictEqual(await ended, "SIGINT")
    },
    60_000
  )

  it("tells an app on effect 4 at install that effect ^3.22 is a peer dependency", () => {
    const fake = join(work, "effect-4")
    mkdirSync(fake)
    writeFileSync(join(fake, "package.json"), JSON.stringify({ name: "effect", version: "4.0.0", type: "module" }))
    const packed = JSON.parse(succeeded(run("npm", ["pack", "--json", "--pack-destination", work], fake), "pack"))
    const effect4 = join(work, (packed as ReadonlyArray<{ readonly filename: string }>)[0]!.filename)
    const app4 = join(work, "app-effect-4")
    mkdirSync(app4)
    const dependencies = { effect: `file:${effect4}`, [manifest.name]: `file:${tarball}` }
    writeFileSync(join(app4, "package.json"), JSON.stringify({ name: "effect-4-app", private: true, dependencies }))
    // the conflict is found before anything is fetched: offline, with any cache
    const installed = run("npm", ["install", "--offline", "--package-lock-only", "--ignore-scripts"], app4)
    assert.notStrictEqual(installed.status, 0)
    assert.include(installed.stderr, "ERESOLVE unable to resolve dependency tree")
    assert.include(installed.stderr, "Found: effect@4.0.0")
    // npm names the first peer it could not place: the library's own, or that of @effect/platform, its peer
    assert.match(installed.stderr, /Could not resolve dependency:\nnpm error peer effect@"\^3\.22[.\d]*" from /)
    assert.match(installed.stderr, new RegExp(`peer [@\\w/]*@"[^"]+" from ${manifest.name}@`))
  })
})

describe("package.json and the README", () => {
  it("BatchInference is its own subpath, over two optional peers on the Bedrock Runtime client's version line", () => {
    assert.property(manifest.exports, "./BatchInference")
    const runtimeLine = manifest.dependencies["@aws-sdk/client-bedrock-runtime"]!
    for (const name of ["@aws-sdk/client-bedrock", "@aws-sdk/client-s3"]) {
      assert.strictEqual(manifest.peerDependencies[name], runtimeLine, name)
      assert.isTrue(manifest.peerDependenciesMeta[name]?.optional, name)
      assert.notProperty(manifest.dependencies, name)
    }
  })

  it("effect and @effect/platform are peers with ranges, client-dynamodb an optional peer, and the README installs them", () => {
    const peers = manifest.peerDependencies
    assert.match(peers["effect"]!, /^\^3\.22/)
    assert.match(peers["@effect/platform"]!, /^\^0\.97/)
    assert.match(peers["@aws-sdk/client-dynamodb"]!, /^\^3\./)
    assert.isTrue(manifest.peerDependenciesMeta["@aws-sdk/client-dynamodb"]?.optional)
    for (const [name, range] of Object.entries(manifest.dependencies)) assert.match(range, /^\^\d/, name)
    for (const name of ["effect", "@effect/platform", "@effect/platform-node", "@aws-sdk/client-dynamodb"]) {
      assert.notProperty(manifest.dependencies, name)
    }
    const readme = readFileSync(join(root, "README.md"), "utf8")
    const install = /```sh\n(npm i bedrock-llm .*)\n```/.exec(readme)?.[1]
    assert.strictEqual(
      install,
      `npm i bedrock-llm effect@${peers["effect"]} @effect/platform@${peers["@effect/platform"]}`
    )
    assert.isBelow(readme.indexOf(install!), readme.indexOf("## A short tour"))
    assert.match(
      readFileSync(join(root, "LICENSE"), "utf8"),
      /^MIT License\n\nCopyright \(c\) \d{4} bedrock-llm contributors/
    )
  })
})
