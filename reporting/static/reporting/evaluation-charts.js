// The evaluation page's charts: progressive enhancement of the tables beneath them.
// The figures come from the page (json_script, aggregates only); nothing here runs inline.
(function () {
  'use strict'
  var source = document.getElementById('evaluation-charts')
  if (!source || typeof window.Chart === 'undefined') return
  var data = JSON.parse(source.textContent)
  // Colour-blind-safe palette (Okabe–Ito); stacked series are also told apart by the legend
  // order and the table beneath, so colour is never the only cue.
  var colours = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#999999']
  data.charts.forEach(function (chart) {
    var canvas = document.querySelector('canvas[data-chart="' + chart.key + '"]')
    if (!canvas) return
    var horizontal = chart.indexAxis === 'y'
    var valueAxis = horizontal ? 'x' : 'y'
    var categoryAxis = horizontal ? 'y' : 'x'
    var datasets = chart.series.map(function (series, index) {
      var colour = colours[index % colours.length]
      return { label: series.label, data: series.data, backgroundColor: colour, borderColor: colour, borderWidth: 1 }
    })
    var scales = {}
    scales[categoryAxis] = { stacked: !!chart.stacked, ticks: { autoSkip: !horizontal } }
    scales[valueAxis] = {
      stacked: !!chart.stacked,
      beginAtZero: true,
      max: chart.percent ? 100 : undefined,
      ticks: {
        precision: 0,
        callback: function (value) { return chart.percent ? value + '%' : value }
      },
      title: { display: !!chart.yTitle, text: chart.yTitle }
    }
    canvas.parentElement.hidden = false
    // eslint-disable-next-line no-new
    new window.Chart(canvas, {
      type: chart.kind,
      data: { labels: chart.labels, datasets: datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        indexAxis: chart.indexAxis || 'x',
        scales: scales,
        plugins: {
          legend: { display: datasets.length > 1, position: 'bottom' },
          tooltip: {
            callbacks: {
              label: function (item) {
                var value = item.raw === null ? 'no cases reached it' : item.raw + (chart.percent ? '%' : '')
                return item.dataset.label + ': ' + value
              }
            }
          }
        }
      }
    })
  })
})()
