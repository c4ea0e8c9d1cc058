// Upload progress for the documents form (progressive enhancement: without this file,
// or without JavaScript, the form posts as a plain multipart form and works the same).
// htmx sends the form and reports the bytes sent; this shows them.
function percent (detail) {
  return detail.total ? Math.round((detail.loaded / detail.total) * 100) : 0
}

document.body.addEventListener('htmx:beforeRequest', (event) => {
  const box = event.detail.elt.querySelector && event.detail.elt.querySelector('.masip-upload-progress')
  if (box) box.hidden = false
})

document.body.addEventListener('htmx:xhr:progress', (event) => {
  const form = event.target.closest ? event.target.closest('form') : null
  const box = form && form.querySelector('.masip-upload-progress')
  if (!box) return
  const value = percent(event.detail)
  box.querySelector('progress').value = value
  box.querySelector('[data-upload-percent]').textContent = `${value}%`
})
