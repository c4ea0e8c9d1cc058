// The dashboard's charts: progressive enhancement of the tables that follow them.
// The figures come from the page (json_script): counts only, never personal data.
(function () {
  'use strict'
  var source = document.getElementById('dashboard-data')
  if (!source || typeof window.Chart === 'undefined') return
  var data = JSON.parse(source.textContent)
  // Colour-blind-safe palette (Okabe–Ito); lines also differ by point style, so colour is not the only cue.
  var colours = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000']
  var shapes = ['circle', 'rect', 'triangle', 'rectRot', 'star', 'crossRot']
  data.charts.forEach(function (chart) {
    var canvas = document.querySelector('canvas[data-chart="' + chart.key + '"]')
    if (!canvas) return
    var datasets = chart.series.map(function (series, index) {
      var colour = colours[index % colours.length]
      return {
        label: series.label,
        data: series.data,
        backgroundColor: colour,
        borderColor: colour,
        pointStyle: shapes[index % shapes.length],
        pointRadius: 5,
        borderWidth: 2,
        fill: false
      }
    })
    canvas.parentElement.hidden = false
    // eslint-disable-next-line no-new
    new window.Chart(canvas, {
      type: chart.kind,
      data: { labels: chart.labels, datasets: datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: {
          x: { stacked: chart.stacked },
          y: { stacked: chart.stacked, beginAtZero: true, ticks: { precision: 0 } }
        },
        plugins: {
          legend: { display: datasets.length > 1, position: 'bottom', labels: { usePointStyle: true } }
        }
      }
    })
  })
})()
