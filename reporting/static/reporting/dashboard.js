// The dashboard's charts: progressive enhancement of the tables that follow them.
// The figures come from the page (json_script): counts and links to lists of cases, never personal data.
// A bar opens the cases behind it, as the same figure in the table does (the table works without JavaScript).
(function () {
  'use strict'
  var source = document.getElementById('dashboard-data')
  if (!source || typeof window.Chart === 'undefined') return
  var data = JSON.parse(source.textContent)
  // Colour-blind-safe palette (Okabe–Ito); lines also differ by point style, so colour is not the only cue.
  var colours = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000']
  var shapes = ['circle', 'rect', 'triangle', 'rectRot', 'star', 'crossRot']
  var font = { family: '"GDS Transport", arial, sans-serif', size: 14 }

  // "Awaiting triage" as two lines under its bar (a line chart of categories), so labels stay level and apart.
  function wrapped (label) {
    return label.indexOf(' ') > 0 ? label.split(' ') : label
  }

  data.charts.forEach(function (chart) {
    var canvas = document.querySelector('canvas[data-chart="' + chart.key + '"]')
    if (!canvas) return
    var months = /^[A-Z][a-z]{2} \d{4}$/.test(chart.labels[chart.labels.length - 1])
    var datasets = chart.series.map(function (series, index) {
      var colour = colours[index % colours.length]
      return {
        label: series.label,
        data: series.data,
        links: series.links,
        backgroundColor: colour,
        borderColor: colour,
        pointStyle: shapes[index % shapes.length],
        pointRadius: 5,
        borderWidth: 2,
        fill: false
      }
    })
    var unit = chart.unit.charAt(0).toUpperCase() + chart.unit.slice(1)
    // Categories (statuses, tiers, risk levels) run down the side, one per line, so every bar
    // keeps its label however narrow the column; months run along the bottom, and are skipped
    // (never overlapped or slanted) when the chart is too narrow for all of them.
    var across = !months && chart.kind === 'bar'
    var categoryAxis = {
      stacked: chart.stacked,
      ticks: { autoSkip: !across, autoSkipPadding: 12, maxRotation: 0, minRotation: 0, font: font }
    }
    var valueAxis = {
      stacked: chart.stacked,
      beginAtZero: true,
      ticks: { precision: 0, font: font },
      title: { display: true, text: unit, font: font }
    }
    canvas.parentElement.hidden = false
    // eslint-disable-next-line no-new
    new window.Chart(canvas, {
      type: chart.kind,
      data: { labels: months || across ? chart.labels : chart.labels.map(wrapped), datasets: datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        indexAxis: across ? 'y' : 'x',
        scales: across ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis },
        plugins: {
          legend: { display: datasets.length > 1, position: 'bottom', labels: { usePointStyle: true, font: font } },
          tooltip: {
            callbacks: {
              label: function (item) {
                return item.dataset.label + ': ' + item.formattedValue + ' ' + chart.unit
              }
            }
          }
        },
        onHover: function (event, elements) {
          var link = elements.length && datasets[elements[0].datasetIndex].links[elements[0].index]
          event.native.target.style.cursor = link ? 'pointer' : 'default'
        },
        onClick: function (event, elements) {
          if (!elements.length) return
          var link = datasets[elements[0].datasetIndex].links[elements[0].index]
          if (link) window.location.assign(link)
        }
      }
    })
  })
})()
