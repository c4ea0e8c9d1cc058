// Progressive enhancement only: every page works without this file.
import { initAll as initGovuk } from './vendor/govuk-frontend.min.js'
import { initAll as initMoj } from './vendor/moj-frontend.min.js'

// Tables at phone width (styles in static/src/masip.scss): a table with one row of
// column headings stacks, each cell labelled with its heading; any other table (grouped
// headings, row and column spans) scrolls inside a focusable region of its own.
// A heading's words as seen: a sort link's hidden "sort oldest first" is not a label.
function visibleText (cell) {
  const copy = cell.cloneNode(true)
  copy.querySelectorAll('.govuk-visually-hidden').forEach((hidden) => hidden.remove())
  return copy.textContent.trim().replace(/\s+/g, ' ')
}

function prepareTables (scope) {
  scope.querySelectorAll('table.govuk-table:not([data-masip-table])').forEach((table) => {
    table.setAttribute('data-masip-table', '')
    const headRows = table.tHead ? table.tHead.rows : []
    const spans = table.querySelector('tbody [rowspan]:not([rowspan="1"])')
    if (headRows.length === 1 && !spans) {
      const headings = Array.from(headRows[0].cells).flatMap((cell) =>
        Array(cell.colSpan || 1).fill(visibleText(cell))
      )
      Array.from(table.tBodies).forEach((body) => {
        Array.from(body.rows).forEach((row) => {
          let column = 0
          Array.from(row.cells).forEach((cell) => {
            if (cell.colSpan === 1 && headings[column]) {
              cell.setAttribute('data-masip-label', headings[column])
            }
            column += cell.colSpan || 1
          })
        })
      })
      table.classList.add('masip-table--stacked')
    } else if (!table.closest('.masip-table-scroll')) {
      const region = document.createElement('div')
      region.className = 'masip-table-scroll'
      region.setAttribute('tabindex', '0')
      region.setAttribute('role', 'region')
      const caption = table.caption ? table.caption.textContent.trim() : ''
      region.setAttribute('aria-label', caption ? `${caption} (table)` : 'Table')
      table.parentNode.insertBefore(region, table)
      region.appendChild(table)
    }
  })
}

function init (scope) {
  prepareTables(scope)
  initGovuk({ scope })
  initMoj({ scope })
}

init(document)

// After an htmx swap, initialise components inside the new fragment only:
// GOV.UK components refuse to initialise twice on the same element.
document.body.addEventListener('htmx:afterSwap', (event) => {
  init(event.detail.elt)
})
