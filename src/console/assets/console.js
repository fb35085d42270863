// Progressive enhancement only: every page works without this file. It marks the body as
// supported (NHS.UK frontend initialises nothing otherwise) and starts its components; done
// here rather than in an inline snippet so the CSP needs no hash or nonce.
import { initAll } from './nhsuk-frontend.js'

document.body.classList.add('js-enabled', 'nhsuk-frontend-supported')
initAll()
