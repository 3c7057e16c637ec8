/** The UI's entry: the playground at `/playground`, the admin console at `/admin`. */
import { render } from "preact"
import { Admin } from "./Admin.js"
import { Playground } from "./Playground.js"
import "./styles.css"

const root = document.getElementById("app")
if (root !== null) render(location.pathname.startsWith("/admin") ? <Admin /> : <Playground />, root)
