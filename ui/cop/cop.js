// COP's progressive enhancements; every page works without them.

// Tell the server this browser runs scripts, so conditional questions that
// GOV.UK Frontend revealed in place are not asked again on a next page.
for (const input of document.querySelectorAll('input[name="js"]')) {
  input.value = '1'
}

// Warn two minutes before the session ends, so answers can be saved.
const ends = Date.parse(document.body.dataset.sessionEnds || '')
const warning = document.getElementById('session-warning')
if (!Number.isNaN(ends) && warning) {
  const show = () => {
    warning.hidden = false
    warning.setAttribute('role', 'alert')
  }
  const wait = ends - Date.now() - 2 * 60 * 1000
  if (wait <= 0) show()
  else if (wait < 2 ** 31 - 1) setTimeout(show, wait)
}

// After "Add another" the page opens at the new entry's first question
// (the link's fragment): put the cursor there, as a script-free page
// leaves it to the officer to tab to.
const opened = window.location.hash && document.getElementById(decodeURIComponent(window.location.hash.slice(1)))
if (opened && opened.matches('input, select, textarea')) opened.focus()

// A long list (over 30 options, like countries) becomes GOV.UK's
// accessible autocomplete: type to find the option. The select stays in
// the page, hidden, and is what is posted; clearing the text clears it.
if (window.accessibleAutocomplete) {
  for (const select of document.querySelectorAll('select[data-cop-autocomplete]')) {
    const id = select.id
    window.accessibleAutocomplete.enhanceSelectElement({
      selectElement: select,
      defaultValue: '',
      showAllValues: true,
      onConfirm: (text) => {
        const chosen = [...select.options].find((o) => o.textContent === text)
        const typed = document.getElementById(id)
        if (chosen) select.value = chosen.value
        else if (!typed || typed.value.trim() === '') select.value = ''
      }
    })
  }
}

// A radio's answer reveals its follow-up questions in place. GOV.UK
// Frontend's Radios module would do this too, but it marks each radio
// aria-expanded, which radios may not carry; so the radios name what they
// reveal in data-cop-reveals, and choosing any radio of the group shows
// the chosen one's questions and hides the others'.
for (const group of document.querySelectorAll('.govuk-radios')) {
  const radios = [...group.querySelectorAll('input[type="radio"]')]
  if (!radios.some((r) => r.dataset.copReveals)) continue
  const sync = () => {
    for (const r of radios) {
      const shown = r.dataset.copReveals && document.getElementById(r.dataset.copReveals)
      if (!shown) continue
      shown.classList.toggle('govuk-radios__conditional--hidden', !r.checked)
    }
  }
  // No aria-controls either: GOV.UK Frontend's click handler sets
  // aria-expanded on any radio that has one.
  for (const r of radios) r.addEventListener('change', sync)
  sync()
}
