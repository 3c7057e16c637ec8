/**
 * Structured output: the model fills a Schema through a forced tool call; the value is decoded (and the call retried
 * with the decode error when the model's answer does not fit).
 *
 *   npx tsx examples/structured-output.ts
 */
import { BedrockClient } from "bedrock-llm"
import { Effect, Schema } from "effect"
import { run } from "./live.js"

const Recipe = Schema.Struct({
  title: Schema.String.annotations({ description: "Name of the dish" }),
  servings: Schema.Int.pipe(Schema.between(1, 12)),
  ingredients: Schema.Array(Schema.Struct({ name: Schema.String, grams: Schema.Number })),
  vegetarian: Schema.Boolean
}).annotations({ title: "Recipe", description: "A recipe with its ingredients" })

const program = Effect.gen(function*() {
  const recipe = yield* BedrockClient.generateObject(
    Recipe,
    "Give me a simple recipe for a tomato soup for 4 people.",
    { name: "recipe", description: "Return the recipe." }
  )
  console.log(JSON.stringify(recipe, null, 2))
})

run(program)
