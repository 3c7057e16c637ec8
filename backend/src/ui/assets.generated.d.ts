// The module `UiBuild.ts` generates (git-ignored): the UI's built script and stylesheet as strings.

/** A hash of the script and the stylesheet: their URLs' cache key and ETag. */
export declare const version: string
/** The bundled ES module of the playground and the admin console. */
export declare const script: string
/** The bundled stylesheet. */
export declare const style: string
