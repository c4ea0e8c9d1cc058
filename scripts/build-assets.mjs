// Builds MASIP's front-end assets into static/vendor/ (gitignored, never committed):
//
//   masip.css                  static/src/masip.scss compiled (GOV.UK + MOJ Frontend)
//   govuk/assets/, moj/assets/ the fonts and images masip.css points at
//   govuk-frontend.min.js      ES module: import { initAll } from it
//   moj-frontend.min.js        ES module: import { initAll } from it
//   htmx.min.js                classic script: defines window.htmx
//   chart.umd.min.js           classic script: defines window.Chart
//
// Run with `npm run build` after `npm ci`. Fails (exit 1) if Sass fails, a file is
// missing, or masip.css points at a /static/vendor/ file the build did not produce.

import { cp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import * as sass from 'sass'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const out = path.join(root, 'static', 'vendor')
const modules = path.join(root, 'node_modules')
const staticUrl = '/static/' // settings.STATIC_URL; static/ is in STATICFILES_DIRS

const copies = [
  // [source under node_modules, destination under static/vendor]
  ['govuk-frontend/dist/govuk/assets', 'govuk/assets'],
  ['@ministryofjustice/frontend/moj/assets', 'moj/assets'],
  ['govuk-frontend/dist/govuk/govuk-frontend.min.js', 'govuk-frontend.min.js'],
  ['govuk-frontend/dist/govuk/govuk-frontend.min.js.map', 'govuk-frontend.min.js.map'],
  ['@ministryofjustice/frontend/moj/moj-frontend.min.js', 'moj-frontend.min.js'],
  ['@ministryofjustice/frontend/moj/moj-frontend.min.js.map', 'moj-frontend.min.js.map'],
  ['htmx.org/dist/htmx.min.js', 'htmx.min.js'],
  ['chart.js/dist/chart.umd.min.js', 'chart.umd.min.js'],
  ['chart.js/dist/chart.umd.min.js.map', 'chart.umd.min.js.map']
]

function compileCss () {
  let dependencyWarnings = 0
  const result = sass.compile(path.join(root, 'static', 'src', 'masip.scss'), {
    style: 'compressed',
    // MOJ Frontend loads GOV.UK Frontend as "node_modules/govuk-frontend/...".
    loadPaths: [root],
    importers: [new sass.NodePackageImporter(root)],
    quietDeps: true,
    logger: {
      // GOV.UK Frontend's deprecation notices about code inside MOJ Frontend are not
      // ours to fix: count them. Anything raised from the project's own Sass shows.
      warn (message, { stack }) {
        const caller = (stack ?? '')
          .split('\n')
          .map((line) => line.trim())
          .find((line) => line && !line.startsWith('node_modules/govuk-frontend/'))
        if (caller?.startsWith('node_modules/')) {
          dependencyWarnings += 1
          return
        }
        console.warn(`Sass warning: ${message}\n${stack ?? ''}`)
      }
    }
  })
  if (dependencyWarnings) {
    console.log(`  (${dependencyWarnings} Sass warning(s) from inside MOJ Frontend not shown)`)
  }
  return result.css
}

// Every url(/static/vendor/...) in the CSS must name a file this build produced: a
// wrong asset path would otherwise show up only as missing fonts in a browser.
async function checkCssUrls (css) {
  const urls = [...css.matchAll(/url\(\s*["']?([^"')]+)["']?\s*\)/g)].map((m) => m[1])
  const vendorPrefix = `${staticUrl}vendor/`
  const fonts = urls.filter((url) => /\.woff2?$/.test(url))
  if (fonts.length === 0) throw new Error('masip.css has no font URLs: the GDS Transport @font-face is missing')
  const problems = []
  for (const url of new Set(urls)) {
    if (url.startsWith('data:')) continue
    if (!url.startsWith(vendorPrefix)) {
      problems.push(`${url} is not under ${vendorPrefix}`)
      continue
    }
    const file = path.join(out, url.slice(vendorPrefix.length).split(/[?#]/)[0])
    try {
      await stat(file)
    } catch {
      problems.push(`${url} -> ${path.relative(root, file)} does not exist`)
    }
  }
  for (const font of fonts) {
    if (!font.startsWith(`${vendorPrefix}govuk/assets/fonts/`)) problems.push(`font ${font} is not under govuk/assets/fonts/`)
  }
  if (problems.length) throw new Error(`masip.css points at missing assets:\n  ${problems.join('\n  ')}`)
  return urls.length
}

async function main () {
  await rm(out, { recursive: true, force: true })
  await mkdir(out, { recursive: true })

  for (const [from, to] of copies) {
    await cp(path.join(modules, from), path.join(out, to), { recursive: true, errorOnExist: false })
  }

  const css = compileCss()
  await writeFile(path.join(out, 'masip.css'), css)
  const urlCount = await checkCssUrls(css)

  const size = async (name) => `${((await stat(path.join(out, name))).size / 1024).toFixed(0)} KiB`
  console.log(`Built static/vendor/ (${urlCount} asset URLs in masip.css checked):`)
  for (const name of ['masip.css', 'govuk-frontend.min.js', 'moj-frontend.min.js', 'htmx.min.js', 'chart.umd.min.js']) {
    console.log(`  ${name.padEnd(24)} ${await size(name)}`)
  }
  const versions = {}
  for (const pkg of ['govuk-frontend', '@ministryofjustice/frontend', 'htmx.org', 'chart.js', 'sass']) {
    versions[pkg] = JSON.parse(await readFile(path.join(modules, pkg, 'package.json'), 'utf8')).version
  }
  await writeFile(path.join(out, 'versions.json'), JSON.stringify(versions, null, 2) + '\n')
  console.log(`  versions: ${Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(', ')}`)
}

main().catch((error) => {
  console.error(`build-assets: ${error.message ?? error}`)
  process.exitCode = 1
})
