/**
 * dynalite on an ephemeral loopback port (started as the library's tests start it) with the service's tables.
 */
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { clientConfig, dynaliteServer } from "../../../test/support/dynamo.js"
import { Dynamo } from "../../src/Dynamo.js"
import { definitions } from "../../src/Tables.js"

export const tables = { keysTable: "keys", limitsTable: "limits", usageTable: "usage" } as const

/** A dynalite server (the library's test support) with the three tables; yields its endpoint. */
export const dynaliteWithTables = Effect.gen(function*() {
  const endpoint = yield* dynaliteServer
  yield* Effect.promise(async () => {
    const client = new DynamoDBClient(clientConfig(endpoint))
    for (const table of definitions(tables)) await client.send(new CreateTableCommand(table))
    client.destroy()
  })
  return endpoint
})

/** The service's DynamoDB client on dynalite. */
export const dynamoOn = (endpoint: string): Layer.Layer<Dynamo> => Dynamo.layer(clientConfig(endpoint))
