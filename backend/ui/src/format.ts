/** Numbers as the pages show them. */

/** USD with six decimals (the gateway counts micro-USD). */
export const usd = (value: number): string => `$${value.toFixed(6)}`

/** USD for totals and charts: fewer decimals once it is large. */
export const usdShort = (value: number): string => value >= 1 ? `$${value.toFixed(2)}` : `$${value.toFixed(6)}`

/** An integer with thousands separators. */
export const count = (value: number): string => value.toLocaleString("en-US")

/** Today (UTC) as `YYYY-MM-DD`, shifted by `days`. */
export const utcDay = (days = 0): string => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10)

/** A value of `localStorage`, tolerant of browsers that refuse storage. */
export const stored = {
  get: (name: string): string => {
    try {
      return localStorage.getItem(name) ?? ""
    } catch {
      return ""
    }
  },
  set: (name: string, value: string): void => {
    try {
      localStorage.setItem(name, value)
    } catch {
      // storage refused: the value lasts as long as the page
    }
  }
}
