/**
 * The CDK app the `cdk` CLI runs (`cdk.json`): the configuration file named by the `config` context value (validated
 * before anything is built; `frontDoor` in the context overrides the file's), the Lambda bundle built with esbuild
 * for the Lambda front doors, then the stacks.
 *
 * @since 0.1.0
 */
import * as cdk from "aws-cdk-lib"
import { readFileSync } from "node:fs"
import { resolve } from "node:path"
import { bundle } from "../../src/entry/bundle.js"
import { makeApp } from "../src/App.js"
import { decode } from "../src/Config.js"

const app = new cdk.App()
const path = app.node.tryGetContext("config") as string | undefined
if (path === undefined) {
  throw new Error("No configuration: pass -c config=<path to the JSON file> (npm run deploy -- <file> does).")
}
const file = JSON.parse(readFileSync(resolve(path), "utf8")) as Record<string, unknown>
const frontDoor = app.node.tryGetContext("frontDoor") as string | undefined
const config = decode(frontDoor === undefined ? file : { ...file, frontDoor })
const lambdaCode = config.frontDoor === "fargate" ? undefined : (await bundle("lambda")).dir
makeApp({ config, lambdaCode, app }).app.synth()
