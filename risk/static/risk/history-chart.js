// The risk history chart: progressive enhancement of the table that follows it.
// Data comes from the page (json_script), so nothing here is personal data.
(function () {
  'use strict'
  var source = document.getElementById('risk-history-data')
  var canvas = document.getElementById('risk-history-chart')
  if (!source || !canvas || typeof window.Chart === 'undefined') return
  var data = JSON.parse(source.textContent)
  // Colour-blind-safe palette (Okabe–Ito), and a point style per line so colour is not the only cue.
  var colours = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000']
  var shapes = ['circle', 'rect', 'triangle', 'rectRot', 'star', 'crossRot', 'rectRounded']
  var levels = { 1: 'Low', 2: 'Moderate', 3: 'High' }
  function day (ms) {
    return new Date(ms).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric' })
  }
  var datasets = data.series.map(function (series, index) {
    return {
      label: series.label,
      data: series.points.map(function (p) {
        return { x: Date.parse(p.x), y: p.y, label: p.label, score: p.score }
      }),
      borderColor: colours[index % colours.length],
      backgroundColor: colours[index % colours.length],
      pointStyle: shapes[index % shapes.length],
      pointRadius: 6,
      pointHoverRadius: 8,
      borderWidth: 2,
      stepped: 'before',
      fill: false
    }
  })
  var xs = datasets.reduce(function (all, d) { return all.concat(d.data.map(function (p) { return p.x })) }, [])
  var pad = 14 * 24 * 3600 * 1000
  canvas.parentElement.hidden = false
  // eslint-disable-next-line no-new
  new window.Chart(canvas, {
    type: 'line',
    data: { datasets: datasets },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      parsing: false,
      scales: {
        x: {
          type: 'linear',
          min: Math.min.apply(null, xs) - pad,
          max: Math.max.apply(null, xs) + pad,
          ticks: { callback: function (value) { return day(value) }, maxTicksLimit: 8 },
          title: { display: true, text: 'Date of assessment' }
        },
        y: {
          min: 0.5,
          max: 3.5,
          afterBuildTicks: function (axis) { axis.ticks = [1, 2, 3].map(function (v) { return { value: v } }) },
          ticks: { callback: function (value) { return levels[value] || '' } },
          title: { display: true, text: 'Level' }
        }
      },
      plugins: {
        legend: { position: 'bottom', labels: { usePointStyle: true } },
        tooltip: {
          callbacks: {
            title: function (items) { return items.length ? day(items[0].parsed.x) : '' },
            label: function (item) {
              var point = item.raw
              var text = item.dataset.label + ': ' + point.label
              return point.score !== null && point.score !== undefined ? text + ' (score ' + point.score + ')' : text
            }
          }
        }
      }
    }
  })
})()
