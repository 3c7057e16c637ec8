import { assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"

const read = (path: string) => Fs.readFileSync(new URL(`../${path}`, import.meta.url), "utf8")

const regions = (source: string): ReadonlyArray<string> =>
  [...source.matchAll(/\/\/ #region \w+\n([\s\S]*?)\/\/ #endregion/g)].map((match) => match[1]!.trimEnd())

const tourBlocks = (readme: string): ReadonlyArray<string> => {
  const tour = readme.slice(readme.indexOf("## A short tour"), readme.indexOf("## Modules"))
  return [...tour.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!.trimEnd())
}

describe("README", () => {
  it("quotes examples/tour.ts region by region, so its code compiles and runs", () => {
    const blocks = tourBlocks(read("README.md"))
    const expected = regions(read("examples/tour.ts"))
    assert.isAbove(expected.length, 3)
    assert.deepStrictEqual(blocks, expected)
  })

  it("gives an app's install command, then exactly two set-up commands: the main job and the tests", () => {
    const commands = [...read("README.md").matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]!.trim())
    assert.deepStrictEqual(commands.slice(1), ["npm ci && npm start", "npm ci && npm test"])
    assert.match(commands[0]!, /^npm i bedrock-llm /) // its versions are checked in Package.test.ts
  })
})
