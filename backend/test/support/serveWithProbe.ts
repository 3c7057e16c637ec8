// `npm run serve`'s program with the probe group added, for tests that spawn the service as a process.
import { program, runMain } from "../../src/main.js"
import { probeApi } from "./probe.js"

runMain(program({ api: probeApi }))
