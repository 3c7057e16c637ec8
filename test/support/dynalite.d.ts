declare module "dynalite" {
  import type { Server } from "node:http"

  interface DynaliteOptions {
    readonly createTableMs?: number
    readonly deleteTableMs?: number
    readonly updateTableMs?: number
    readonly maxItemSizeKb?: number
    readonly path?: string
    readonly verbose?: boolean
  }

  function dynalite(options?: DynaliteOptions): Server
  export = dynalite
}
