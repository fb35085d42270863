// Progressive enhancement only: every page works without this file. It marks the body as
// supported (NHS.UK frontend initialises nothing otherwise) and starts its components; done
// here rather than in an inline snippet so the CSP needs no hash or nonce.
import { initAll } from './nhsuk-frontend.js'

document.body.classList.add('js-enabled', 'nhsuk-frontend-supported')
initAll()

// WCAG 2.2.1: warn two minutes before the idle limit and let the person stay signed in.
const idleSeconds = Number(document.body.dataset.idleSeconds)
const warning = document.getElementById('idle-warning')
if (idleSeconds > 0 && warning !== null) {
  let timer
  const arm = () => {
    clearTimeout(timer)
    timer = setTimeout(() => {
      warning.hidden = false
      warning.querySelector('button').focus()
    }, Math.max(idleSeconds - 120, idleSeconds / 2) * 1000)
  }
  warning.querySelector('button').addEventListener('click', async () => {
    const res = await fetch('/console/session', { credentials: 'same-origin' })
    if (res.status === 204) {
      warning.hidden = true
      arm()
    } else {
      window.location.assign('/console/sign-in')
    }
  })
  arm()
}
