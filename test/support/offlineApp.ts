/**
 * A temporary app that installs the packed library as a user's app does, but offline and deterministically: its
 * `package-lock.json` is written from the entries of the repository's own lockfile (same versions, same integrity,
 * so `npm ci --offline` finds every tarball in the npm cache that the repository's `npm ci` filled) plus the library's
 * tarball. `npm install --offline` with ranges would instead need registry metadata that the cache may lack, or pick
 * versions whose tarballs it does not hold.
 */
import { createHash } from "node:crypto"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join, relative } from "node:path"

interface LockEntry {
  readonly version: string
  readonly dependencies?: Record<string, string>
  readonly optionalDependencies?: Record<string, string>
  readonly peerDependencies?: Record<string, string>
  readonly peerDependenciesMeta?: Record<string, { readonly optional?: boolean }>
  readonly [field: string]: unknown
}

interface Manifest extends LockEntry {
  readonly name: string
}

/** Where `name`, required from the package at `from` (a lockfile key, "" for the root), is installed: Node's lookup. */
const locate = (packages: Record<string, LockEntry>, from: string, name: string): string | undefined => {
  for (let at = from;;) {
    const candidate = `${at === "" ? "" : `${at}/`}node_modules/${name}`
    if (packages[candidate] !== undefined) return candidate
    if (at === "") return undefined
    const parent = at.lastIndexOf("/node_modules/")
    at = parent < 0 ? "" : at.slice(0, parent)
  }
}

/** The edges of a lockfile entry: its dependencies, optional ones marked, and its peers that are not optional. */
const edgesOf = (entry: LockEntry): ReadonlyArray<readonly [name: string, optional: boolean]> => [
  ...Object.keys(entry.dependencies ?? {}).map((name) => [name, false] as const),
  ...Object.keys(entry.optionalDependencies ?? {}).map((name) => [name, true] as const),
  ...Object.keys(entry.peerDependencies ?? {})
    .filter((name) => entry.peerDependenciesMeta?.[name]?.optional !== true)
    .map((name) => [name, false] as const)
]

/**
 * Writes `package.json` and `package-lock.json` of an app in `directory` that depends on the library's `tarball`
 * and on `dependencies` (names of the repository's own packages, at the versions its lockfile holds).
 */
export const writeOfflineApp = (options: {
  readonly repository: string
  readonly directory: string
  readonly tarball: string
  readonly dependencies: ReadonlyArray<string>
}): void => {
  const { directory, repository } = options
  const lock = JSON.parse(readFileSync(join(repository, "package-lock.json"), "utf8")) as {
    readonly packages: Record<string, LockEntry>
  }
  const library = JSON.parse(readFileSync(join(repository, "package.json"), "utf8")) as Manifest
  const tarball = `file:${relative(directory, options.tarball)}`
  const dependencies: Record<string, string> = { [library.name]: tarball }
  for (const name of options.dependencies) {
    const entry = lock.packages[`node_modules/${name}`]
    if (entry === undefined) throw new Error(`${name} is not in the repository's lockfile`)
    dependencies[name] = entry.version
  }
  const libraryKey = `node_modules/${library.name}`
  const libraryEntry: LockEntry = {
    version: library.version,
    resolved: tarball,
    integrity: `sha512-${createHash("sha512").update(readFileSync(options.tarball)).digest("base64")}`,
    ...Object.fromEntries(
      (["license", "dependencies", "bin", "engines", "peerDependencies", "peerDependenciesMeta"] as const)
        .filter((field) => library[field] !== undefined)
        .map((field) => [field, library[field]])
    )
  }
  // The library's own dependencies resolve as the repository's root dependencies do.
  const sourceOf = (key: string) => key === libraryKey ? libraryEntry : lock.packages[key]!
  const required = new Set<string>()
  const optional = new Set<string>()
  const visit = (from: string, name: string, viaOptional: boolean) => {
    const at = from === "" && name === library.name ? libraryKey : locate(lock.packages, from, name)
    if (at === undefined) {
      if (viaOptional) return
      throw new Error(`${name} (needed by ${from || "the app"}) is not in the repository's lockfile`)
    }
    if (required.has(at) || (viaOptional && optional.has(at))) return
    ;(viaOptional ? optional : required).add(at)
    for (const [dependency, isOptional] of edgesOf(sourceOf(at))) visit(at, dependency, viaOptional || isOptional)
  }
  for (const name of Object.keys(dependencies)) visit("", name, false)

  const packages: Record<string, unknown> = { "": { name: "outside-app", dependencies } }
  for (const key of [...required, ...optional].sort()) {
    if (packages[key] !== undefined) continue
    // flags are the app's own: everything here is a production dependency, optional where only optional edges lead
    const { dev: _dev, devOptional: _devOptional, optional: _optional, peer: _peer, ...entry } = sourceOf(key)
    packages[key] = required.has(key) ? entry : { ...entry, optional: true }
  }
  mkdirSync(directory, { recursive: true })
  writeFileSync(
    join(directory, "package.json"),
    `${JSON.stringify({ name: "outside-app", private: true, type: "module", dependencies }, null, 2)}\n`
  )
  writeFileSync(
    join(directory, "package-lock.json"),
    `${JSON.stringify({ name: "outside-app", lockfileVersion: 3, requires: true, packages }, null, 2)}\n`
  )
}
