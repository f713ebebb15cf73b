// Two-step verification in the browser: passkeys (WebAuthn) and the confirmation box.
// Without JavaScript the code factors still work; passkeys need it by nature.
(function () {
  'use strict'

  function options (id) {
    const node = document.getElementById(id)
    return node ? JSON.parse(node.textContent) : null
  }

  function report (form, message, error) {
    if (error && window.console) window.console.warn(error)
    let box = form.querySelector('[data-passkey-error]')
    if (!box) {
      box = document.createElement('p')
      box.className = 'error'
      box.setAttribute('role', 'alert')
      box.setAttribute('data-passkey-error', '')
      form.prepend(box)
    }
    box.textContent = message
  }

  function submit (form) {
    if (form.requestSubmit) form.requestSubmit()
    else form.submit()
  }

  // A passkey answers a challenge: sign-in second step or a confirmation.
  document.addEventListener('click', async function (event) {
    const button = event.target.closest('[data-passkey-get]')
    if (!button) return
    event.preventDefault()
    const form = button.form || button.closest('form')
    const data = options(button.getAttribute('data-passkey-get'))
    try {
      const credential = await window.webauthnJSON.get(data.request_options)
      form.querySelector('[data-passkey-credential]').value = JSON.stringify(credential)
      const factor = form.querySelector('input[name="stepup_factor"][value="webauthn"]')
      if (factor) factor.checked = true
      const hidden = form.querySelector('input[type="hidden"][name="stepup_factor"]')
      if (hidden) hidden.value = 'webauthn'
      // Confirming the addition of a new passkey: make the new one next, then send both.
      const create = form.querySelector('[data-passkey-create]')
      if (create) create.click()
      else submit(form)
    } catch (error) {
      report(form, button.getAttribute('data-error') || String(error), error)
    }
  })

  // Signing in with a passkey alone: the options come from the server for each attempt.
  document.addEventListener('click', async function (event) {
    const button = event.target.closest('[data-passkey-login]')
    if (!button) return
    event.preventDefault()
    const form = button.form || button.closest('form')
    try {
      const response = await fetch(form.action, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      if (!response.ok) throw new Error(String(response.status))
      const data = await response.json()
      const credential = await window.webauthnJSON.get(data.request_options)
      form.querySelector('[data-passkey-credential]').value = JSON.stringify(credential)
      submit(form)
    } catch (error) {
      report(form, button.getAttribute('data-error') || String(error), error)
    }
  })

  // Adding a passkey confirmed with an existing passkey: the existing one answers first.
  async function confirmWithPasskeyFirst (form) {
    const box = form.querySelector('[data-stepup]')
    if (!box) return
    const chosen = box.querySelector('input[name="stepup_factor"]:checked') ||
      box.querySelector('input[type="hidden"][name="stepup_factor"]')
    const credential = box.querySelector('[data-passkey-credential]')
    const button = box.querySelector('[data-passkey-get]')
    if (!chosen || chosen.value !== 'webauthn' || !credential || credential.value || !button) return
    const data = options(button.getAttribute('data-passkey-get'))
    credential.value = JSON.stringify(await window.webauthnJSON.get(data.request_options))
  }

  // A new passkey: created on this device, then sent with the form.
  document.addEventListener('click', async function (event) {
    const button = event.target.closest('[data-passkey-create]')
    if (!button) return
    event.preventDefault()
    const form = button.form || button.closest('form')
    if (!form.reportValidity()) return
    const data = options(button.getAttribute('data-passkey-create'))
    try {
      await confirmWithPasskeyFirst(form)
      const credential = await window.webauthnJSON.create(data)
      form.querySelector('input[name="credential"]').value = JSON.stringify(credential)
      submit(form)
    } catch (error) {
      report(form, button.getAttribute('data-error') || String(error), error)
    }
  })

  // The confirmation box shows the part of the chosen factor only.
  function showChosen (box) {
    const chosen = box.querySelector('input[name="stepup_factor"]:checked') ||
      box.querySelector('input[type="hidden"][name="stepup_factor"]')
    if (!chosen) return
    box.querySelectorAll('.stepup-part').forEach(function (part) {
      part.hidden = part.getAttribute('data-for').split(' ').indexOf(chosen.value) === -1
    })
    box.querySelectorAll('[data-for].help').forEach(function (help) {
      help.hidden = help.getAttribute('data-for') !== chosen.value
    })
    const code = box.querySelector('#stepup-code')
    const label = box.querySelector('label[for="stepup-code"]')
    if (code && label) {
      code.type = chosen.value === 'password' ? 'password' : 'text'
      label.textContent = label.getAttribute('data-label-' + chosen.value) || label.textContent
    }
  }
  document.addEventListener('change', function (event) {
    const box = event.target.closest('[data-stepup]')
    if (box && event.target.name === 'stepup_factor') showChosen(box)
  })
  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('[data-stepup]').forEach(showChosen)
  })
})()
