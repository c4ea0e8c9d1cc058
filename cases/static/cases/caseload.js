// The caseload's filter panel: shown beside the table on wide screens, behind a
// "Show filter" button on narrow ones. Without this file the panel is always shown.
import { FilterToggleButton } from '../vendor/moj-frontend.min.js'

const filter = document.querySelector('[data-masip-filter]')
if (filter) {
  new FilterToggleButton(filter, {
    bigModeMediaQuery: '(min-width: 48.0625em)',
    startHidden: false,
    toggleButton: { showText: 'Show filter', hideText: 'Hide filter', classes: 'govuk-button--secondary' },
    closeButton: { text: 'Close', classes: 'govuk-button govuk-button--secondary govuk-!-margin-bottom-0' }
  })
}
