/**
 * Bedrock's server-side tools (run by the service, e.g. Nova's code interpreter): their toolUse blocks are typed
 * `server_tool_use`; reasoning models type their ordinary tool calls `tool_use`.
 *
 * @internal
 */

/** Whether a toolUse block or start is a server-side tool's. */
export const isServerToolUse = (block: { readonly type?: string | undefined }): boolean =>
  block.type === "server_tool_use"
