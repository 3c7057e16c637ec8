/**
 * The example agents the service runs when `BACKEND_AGENTS_MODULE` names no module of the deployer's own (also a
 * model of such a module): `calculator`, which evaluates arithmetic and converts units, and `docs`, which answers from
 * this repository's `docs/` directory by listing, searching and reading its Markdown files. Real tools, no network.
 *
 * @since 0.1.0
 */
import { Agent, Tool, Toolkit } from "bedrock-llm"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { fileURLToPath } from "node:url"
import { defineAgent, defineAgents } from "./AgentModule.js"
import * as Arithmetic from "./Arithmetic.js"
import * as DocsLibrary from "./DocsLibrary.js"

/**
 * The model of both agents (the cheapest Claude of the catalog that calls tools well).
 *
 * @since 0.1.0
 * @category constants
 */
export const exampleModel = "us.anthropic.claude-3-5-haiku-20241022-v1:0"

const Problem = Schema.TaggedStruct("Problem", { message: Schema.String })

const Calculate = Tool.make("calculate", {
  description: "Evaluates an arithmetic expression: + - * / % ^, parentheses, pi, e, sqrt, abs, round, floor, ceil, " +
    "ln, log10, log2, exp, sin, cos, tan, min, max, pow.",
  parameters: { expression: Schema.String.annotations({ description: "the expression, e.g. (2 + 3) * 4" }) },
  success: Schema.Struct({ expression: Schema.String, value: Schema.Number }),
  failure: Problem,
  timeout: "2 seconds"
})

const ConvertUnits = Tool.make("convert_units", {
  description: "Converts a value between two units of the same kind (length, mass, volume, time, speed, temperature).",
  parameters: {
    value: Schema.Number,
    from: Schema.Literal(...Arithmetic.unitNames as [string, ...Array<string>]),
    to: Schema.Literal(...Arithmetic.unitNames as [string, ...Array<string>])
  },
  success: Schema.Struct({ value: Schema.Number, from: Schema.String, to: Schema.String }),
  failure: Problem,
  timeout: "2 seconds"
})

const calculatorTools = Toolkit.make(Calculate, ConvertUnits)

const failWith = (message: string) => Effect.fail({ _tag: "Problem" as const, message })

const calculator = defineAgent({
  description: "Evaluates arithmetic expressions and converts units, with real tools.",
  model: exampleModel,
  maxTokens: 1024,
  agent: Agent.make({
    name: "calculator",
    instructions: "You are a precise calculator. Use the calculate tool for any arithmetic and convert_units for " +
      "any unit conversion, then answer with the result.",
    toolkit: calculatorTools,
    limits: { maxSteps: 6, deadline: "2 minutes" }
  }),
  tools: calculatorTools.toLayer({
    calculate: ({ expression }) =>
      Either.match(Arithmetic.evaluate(expression), {
        onLeft: failWith,
        onRight: (value) => Effect.succeed({ expression, value })
      }),
    convert_units: ({ from, to, value }) =>
      Either.match(Arithmetic.convert(value, from, to), {
        onLeft: failWith,
        onRight: (converted) => Effect.succeed({ value: converted, from, to })
      })
  })
})

const ListDocs = Tool.make("list_docs", {
  description: "Lists the Markdown files of the project's documentation.",
  success: Schema.Struct({ files: Schema.Array(Schema.String) }),
  failure: Problem
})

const SearchDocs = Tool.make("search_docs", {
  description: "Finds the lines of the documentation that hold every word of a query (at most 20).",
  parameters: { query: Schema.String },
  success: Schema.Struct({
    matches: Schema.Array(Schema.Struct({ file: Schema.String, line: Schema.Number, text: Schema.String }))
  }),
  failure: Problem
})

const ReadDoc = Tool.make("read_doc", {
  description: "Reads lines of one documentation file (at most 200 lines from start_line).",
  parameters: {
    file: Schema.String,
    start_line: Schema.optional(Schema.Int),
    end_line: Schema.optional(Schema.Int)
  },
  success: Schema.Struct({
    file: Schema.String,
    from: Schema.Number,
    to: Schema.Number,
    lines: Schema.Number,
    text: Schema.String
  }),
  failure: Problem
})

const docsTools = Toolkit.make(ListDocs, SearchDocs, ReadDoc)

/**
 * The directory the docs agent reads: this repository's `docs/`.
 *
 * @since 0.1.0
 * @category constants
 */
export const docsDirectory = fileURLToPath(new URL("../../../docs/", import.meta.url))

const problem = (error: DocsLibrary.DocsError) => ({ _tag: "Problem" as const, message: error.message })

const docs = defineAgent({
  description: "Answers questions from this project's documentation, reading its files.",
  model: exampleModel,
  maxTokens: 1024,
  agent: Agent.make({
    name: "docs",
    instructions: "You answer questions about the bedrock-llm project from its documentation. Search it with " +
      "search_docs, read the relevant lines with read_doc, and cite the files you used.",
    toolkit: docsTools,
    limits: { maxSteps: 8, deadline: "2 minutes" }
  }),
  // Without the directory (a deployment that ships no docs/) every call fails with the reason, as a tool result.
  tools: docsTools.toLayer(Effect.map(Effect.either(DocsLibrary.make(docsDirectory)), (opened) => {
    const use = <A>(run: (library: DocsLibrary.DocsLibrary) => Effect.Effect<A, DocsLibrary.DocsError>) =>
      Effect.mapError(Either.isRight(opened) ? run(opened.right) : Effect.fail(opened.left), problem)
    return {
      list_docs: () => use((library) => Effect.map(library.list, (files) => ({ files }))),
      search_docs: ({ query }) => use((library) => Effect.map(library.search(query), (matches) => ({ matches }))),
      read_doc: ({ end_line, file, start_line }) =>
        use((library) => Effect.map(library.read(file, start_line, end_line), (read) => ({ file, ...read })))
    }
  }))
})

/**
 * The example module.
 *
 * @since 0.1.0
 * @category constants
 */
export default defineAgents({ calculator, docs })
