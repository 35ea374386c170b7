// Copies GOV.UK Frontend's built CSS, JavaScript, fonts and images into
// static/, which the cop binary embeds and serves under /assets/ (the path
// GOV.UK's stylesheet expects its fonts and images at). `make assets` runs it.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'

const from = 'node_modules/govuk-frontend/dist/govuk'
const to = 'static'
rmSync(`${to}/fonts`, { recursive: true, force: true })
rmSync(`${to}/images`, { recursive: true, force: true })
mkdirSync(to, { recursive: true })
for (const file of ['govuk-frontend.min.css', 'govuk-frontend.min.js']) {
  cpSync(`${from}/${file}`, `${to}/${file}`)
}
cpSync(`${from}/assets`, to, { recursive: true })
// GOV.UK's accessible autocomplete, for long selects (cop.js enhances them).
for (const file of ['accessible-autocomplete.min.js', 'accessible-autocomplete.min.css']) {
  cpSync(`node_modules/accessible-autocomplete/dist/${file}`, `${to}/${file}`)
}
const version = (pkg) => JSON.parse(readFileSync(`node_modules/${pkg}/package.json`, 'utf8')).version
writeFileSync(`${to}/VERSION`, `govuk-frontend ${version('govuk-frontend')}\naccessible-autocomplete ${version('accessible-autocomplete')}\n`)
