/**
 * Counts in messages: `plural(1, "step")` is "1 step", `plural(2, "step")` is "2 steps".
 *
 * @internal
 */
export const plural = (count: number, noun: string, nouns = `${noun}s`): string =>
  `${count} ${count === 1 ? noun : nouns}`
