import { describe, expect, it } from "vitest"
import {
  chunks,
  countText,
  countTextWithin,
  deltas,
  takeTokens,
  tokenize
} from "../../../src/emulator/engine/tokens.js"

describe("tokenizer", () => {
  it("splits words into pieces of at most four word characters, punctuation alone, spaces leading", () => {
    expect(tokenize("Hello, world!")).toEqual(["Hell", "o", ",", " worl", "d", "!"])
    expect(countText("Hello, world!")).toBe(6)
    expect(tokenize("a  b\n")).toEqual(["a", "  b", "\n"])
    expect(countText("")).toBe(0)
  })

  it("gives back the text when the pieces are joined, and counts consistently", () => {
    for (const text of ["The quick brown fox.", "  leading", "émigré 🎉 naïve", "x".repeat(50), "a\u00a0b\tc"]) {
      const pieces = tokenize(text)
      expect(pieces.join("")).toBe(text)
      expect(pieces.length).toBe(countText(text))
      expect(deltas(text).join("")).toBe(text)
    }
  })

  it("counts within a limit: the count, or one past the limit once the text holds more", () => {
    expect(countTextWithin("one two three four", 10)).toBe(countText("one two three four"))
    expect(countTextWithin("one two three four", 5)).toBe(5)
    expect(countTextWithin("one two three four", 4)).toBe(5)
    expect(countTextWithin("one two three four", 2)).toBe(3)
    expect(countTextWithin("a ".repeat(1_000_000), 10)).toBe(11)
    expect(countTextWithin("", 0)).toBe(0)
  })

  it("cuts at a token budget", () => {
    expect(takeTokens("one two three four", 2)).toEqual({ text: "one two", tokens: 2 })
    expect(takeTokens("short", 10)).toEqual({ text: "short", tokens: 2 })
  })

  it("never splits a surrogate pair in partial JSON chunks", () => {
    const json = JSON.stringify({ e: "🎉🎉🎉🎉" })
    for (const piece of chunks(json, 7)) expect(/[\ud800-\udbff]$/.test(piece)).toBe(false)
    expect(chunks(json, 7).join("")).toBe(json)
  })
})
