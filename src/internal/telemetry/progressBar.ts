/**
 * A one-line progress bar for terminals:
 * `embeddings [████████░░░░░░░░░░░░]  42% 4,200/10,000 · 3 failed · 12.3k tokens · $0.0123 · 840/s · 7s left`.
 * `render` is the pure text; `terminal` redraws it in place (carriage return), at most every `intervalMillis`, and
 * ends the line when the work ends.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { fraction, type Progress, ratePerSecond, remainingMillis } from "./progress.js"

/** Options of `render` and `terminal`. */
export interface BarOptions {
  /** Text before the bar. */
  readonly label?: string | undefined
  /** Cells of the bar; default 24. */
  readonly width?: number | undefined
}

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 })

const compact = (n: number): string =>
  n >= 1_000_000 ? `${(n / 1_000_000).toFixed(1)}M` : n >= 10_000 ? `${(n / 1000).toFixed(1)}k` : integer.format(n)

const duration = (millis: number): string => {
  const seconds = Math.ceil(millis / 1000)
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, "0")}s`
}

/** The bar's text for `progress` (no line ending). */
export const render = (progress: Progress, options?: BarOptions): string => {
  const width = Math.max(4, options?.width ?? 24)
  const filled = Math.round(fraction(progress) * width)
  const percent = `${Math.floor(fraction(progress) * 100)}%`.padStart(4)
  const remaining = remainingMillis(progress)
  const tokens = progress.inputTokens + progress.outputTokens
  const bar = `${options?.label === undefined ? "" : `${options.label} `}[${"█".repeat(filled)}${
    "░".repeat(width - filled)
  }]`
  const counts = `${percent} ${integer.format(progress.done)}/${integer.format(progress.total)}`
  const details = [
    ...(progress.failed > 0 ? [`${integer.format(progress.failed)} failed`] : []),
    ...(tokens > 0 ? [`${compact(tokens)} tokens`] : []),
    ...(progress.cost > 0 ? [`$${progress.cost.toFixed(4)}`] : []),
    ...(progress.done > 0 ? [`${compact(Math.round(ratePerSecond(progress)))}/s`] : []),
    ...(progress.ended
      ? [`in ${duration(progress.updatedAt - progress.startedAt)}`]
      : remaining === undefined
      ? []
      : [`${duration(remaining)} left`])
  ]
  return [`${bar} ${counts}`, ...details].join(" · ")
}

/** Options of `terminal`. */
export interface TerminalOptions extends BarOptions {
  /** Where the text goes; default `process.stderr`. */
  readonly write?: ((text: string) => void) | undefined
  /** The least time between two redraws; default 100 ms. The last state is always drawn. */
  readonly intervalMillis?: number | undefined
}

/** A progress callback that draws the bar in place, redrawing at most every `intervalMillis`. */
export const terminal = (options?: TerminalOptions): (progress: Progress) => Effect.Effect<void> => {
  const write = options?.write ?? ((text: string) => void process.stderr.write(text))
  const interval = options?.intervalMillis ?? 100
  let drawnAt: number | undefined
  let closed = false
  return (progress) =>
    Effect.clockWith((clock) =>
      Effect.sync(() => {
        if (closed) return
        const now = clock.unsafeCurrentTimeMillis()
        const last = progress.ended
        if (!last && drawnAt !== undefined && now - drawnAt < interval) return
        drawnAt = now
        closed = last
        write(`\r${render(progress, options)}\u001b[K${last ? "\n" : ""}`)
      })
    )
}
