/**
 * The emulator's prompt cache: a bounded, in-process map (least recently used out first) from a prompt prefix's
 * identity (model id and the running hashes of the prompt units up to a cache point) to its token count. A cache
 * point whose prefix was seen before is a cache read; an unseen one is written.
 *
 * @since 0.1.0
 */
import type { Unit } from "./conversation.js"

const CAPACITY = 4096
const entries = new Map<string, number>()

const touch = (key: string, tokens: number): void => {
  entries.delete(key)
  entries.set(key, tokens)
  if (entries.size > CAPACITY) {
    const oldest = entries.keys().next()
    if (!oldest.done) entries.delete(oldest.value)
  }
}

/**
 * Cache accounting of a prompt: tokens read from and written to the cache, and the remaining input tokens.
 * `inputTokens + cacheRead + cacheWrite` is always the prompt's full token count.
 *
 * @since 0.1.0
 * @category models
 */
export interface CacheUsage {
  readonly inputTokens: number
  readonly cacheRead: number
  readonly cacheWrite: number
  readonly cachePoints: number
}

/**
 * Looks up and records the cache points of a prompt.
 *
 * @since 0.1.0
 * @category utils
 */
export const cacheUsage = (modelId: string, units: ReadonlyArray<Unit>, record = true): CacheUsage => {
  let total = 0
  const points: Array<{ key: string; tokens: number }> = []
  for (const unit of units) {
    if (unit.kind === "tokens") total += unit.tokens
    else points.push({ key: `${modelId}:${unit.h1.toString(36)}:${unit.h2.toString(36)}`, tokens: unit.tokens })
  }
  if (points.length === 0) return { inputTokens: total, cacheRead: 0, cacheWrite: 0, cachePoints: 0 }
  const last = points[points.length - 1]!
  let read = 0
  for (const point of points) if (entries.has(point.key)) read = Math.max(read, point.tokens)
  const write = last.tokens - read
  if (record) { for (const point of points) touch(point.key, point.tokens) }
  return { inputTokens: total - last.tokens, cacheRead: read, cacheWrite: write, cachePoints: points.length }
}

/**
 * Empties the prompt cache (tests, or a server reset).
 *
 * @since 0.1.0
 * @category utils
 */
export const clearCache = (): void => entries.clear()
