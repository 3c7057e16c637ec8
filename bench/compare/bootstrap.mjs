// The client processes' loader: tsx while the worker and the client under test are loaded, then plain Node. Left on,
// tsx resolves every later `require` (the AWS SDK loads its event-stream support per response) and maps every stack
// trace through source maps: costs a user's compiled program does not pay, and that fall unevenly on the clients.
import { register as registerCjs } from "tsx/cjs/api"
import { register as registerEsm } from "tsx/esm/api"

const unregisterEsm = registerEsm()
const unregisterCjs = registerCjs()

globalThis.benchUnregisterTsx = async () => {
  await unregisterEsm()
  unregisterCjs()
  process.setSourceMapsEnabled(false)
}
