// Progressive enhancement only: every page works without this file.
import { initAll as initGovuk } from './vendor/govuk-frontend.min.js'
import { initAll as initMoj } from './vendor/moj-frontend.min.js'

function init (scope) {
  initGovuk({ scope })
  initMoj({ scope })
}

init(document)

// After an htmx swap, initialise components inside the new fragment only:
// GOV.UK components refuse to initialise twice on the same element.
document.body.addEventListener('htmx:afterSwap', (event) => {
  init(event.detail.elt)
})
