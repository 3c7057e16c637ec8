/**
 * The file access of the example docs agent: Markdown files of one fixed directory, listed, searched line by line
 * and read by line range (a name without `.md` gets it). Nothing outside the directory can be read: a name must be a relative `.md` path of plain
 * characters, and its real path (symbolic links resolved) must lie inside the directory's real path.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { readdir, readFile, realpath, stat } from "node:fs/promises"
import { join, relative, resolve, sep } from "node:path"

/**
 * A file that cannot be listed or read (not found, outside the directory, not Markdown).
 *
 * @since 0.1.0
 * @category errors
 */
export class DocsError extends Schema.TaggedError<DocsError>()("DocsError", { message: Schema.String }) {}

/**
 * One line that matches a search.
 *
 * @since 0.1.0
 * @category models
 */
export interface Match {
  readonly file: string
  readonly line: number
  readonly text: string
}

/** Files larger than this are not read. */
const maxFileBytes = 2 * 1024 * 1024
const maxMatches = 20
const maxLines = 200
const namePattern = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*\.md$/

/**
 * The library over a directory.
 *
 * @since 0.1.0
 * @category models
 */
export interface DocsLibrary {
  /** Every Markdown file, as paths relative to the directory, sorted. */
  readonly list: Effect.Effect<ReadonlyArray<string>, DocsError>
  /** Lines holding every word of the query (case-insensitive), at most 20. */
  readonly search: (query: string) => Effect.Effect<ReadonlyArray<Match>, DocsError>
  /** Lines `from` to `to` (1-based, inclusive, at most 200) of a file. */
  readonly read: (
    file: string,
    from?: number,
    to?: number
  ) => Effect.Effect<
    { readonly text: string; readonly from: number; readonly to: number; readonly lines: number },
    DocsError
  >
}

const attempt = <A>(run: () => Promise<A>, message: string) =>
  Effect.tryPromise({ try: run, catch: () => new DocsError({ message }) })

/**
 * The library of a directory (which must exist).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (directory: string): Effect.Effect<DocsLibrary, DocsError> =>
  Effect.gen(function*() {
    const root = yield* attempt(() => realpath(resolve(directory)), `the docs directory ${directory} does not exist`)

    const walk = async (dir: string): Promise<Array<string>> => {
      const entries = await readdir(dir, { withFileTypes: true })
      const found: Array<string> = []
      for (const entry of entries) {
        const path = join(dir, entry.name)
        if (entry.isDirectory()) found.push(...await walk(path))
        else if (entry.isFile() && entry.name.endsWith(".md")) found.push(relative(root, path).split(sep).join("/"))
      }
      return found
    }
    const list = attempt(() => walk(root).then((files) => files.sort()), "the docs directory cannot be listed")

    const lines = (name: string) =>
      Effect.gen(function*() {
        const file = name.endsWith(".md") ? name : `${name}.md`
        if (!namePattern.test(file) || file.split("/").includes("..")) {
          return yield* new DocsError({ message: `${JSON.stringify(file)} is not the name of a Markdown file here` })
        }
        const real = yield* attempt(() => realpath(join(root, file)), `there is no file ${file}`)
        if (!real.startsWith(root + sep)) return yield* new DocsError({ message: `${file} is outside the docs` })
        const info = yield* attempt(() => stat(real), `there is no file ${file}`)
        if (!info.isFile() || info.size > maxFileBytes) {
          return yield* new DocsError({ message: `${file} is not a readable file` })
        }
        return (yield* attempt(() => readFile(real, "utf8"), `${file} cannot be read`)).split(/\r?\n/)
      })

    const search = (query: string) =>
      Effect.gen(function*() {
        const words = query.toLowerCase().split(/\s+/).filter((word) => word.length > 0)
        if (words.length === 0) return yield* new DocsError({ message: "the query is empty" })
        const matches: Array<Match> = []
        for (const file of yield* list) {
          const text = yield* lines(file)
          for (const [index, line] of text.entries()) {
            const lower = line.toLowerCase()
            if (words.every((word) => lower.includes(word))) {
              matches.push({ file, line: index + 1, text: line.trim().slice(0, 300) })
              if (matches.length === maxMatches) return matches
            }
          }
        }
        return matches
      })

    const read = (file: string, from = 1, to?: number) =>
      Effect.map(lines(file), (text) => {
        const start = Math.max(1, Math.floor(from))
        const end = Math.min(text.length, Math.floor(to ?? start + maxLines - 1), start + maxLines - 1)
        return { text: text.slice(start - 1, end).join("\n"), from: start, to: end, lines: text.length }
      })

    return { list, search, read }
  })
