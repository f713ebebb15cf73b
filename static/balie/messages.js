// Writing a message: choose or drop several files, see them listed (remove any before sending), and
// send the whole message in one request with a progress bar per file. On an error nothing was
// stored; the page stays as it is, text and files included. Without JavaScript the form is sent
// as is and the server checks the same.
(function () {
  'use strict'
  const form = document.getElementById('compose-form')
  if (!form) return
  const input = document.getElementById('id_attachments')
  const list = document.getElementById('attachment-list')
  const zone = document.getElementById('dropzone')
  const summary = document.getElementById('attachment-summary')
  const rowTemplate = document.getElementById('attachment-row')
  const errorBox = document.getElementById('compose-errors')
  const submit = document.getElementById('send-message')
  const texts = document.getElementById('compose-texts').dataset
  const maxBytes = Number(form.dataset.maxBytes)
  const maxFiles = Number(form.dataset.maxFiles)
  const extensions = form.dataset.extensions.split(',')
  const items = []
  let sending = false

  const format = window.BalieFiles.format
  const humanSize = window.BalieFiles.humanSize

  function problemOf (file) {
    return window.BalieFiles.problemOf(file, { extensions: extensions, maxBytes: maxBytes }, texts)
  }

  function paragraph (text, className) {
    const p = document.createElement('p')
    p.textContent = text
    if (className) p.className = className
    return p
  }

  function clearErrors () {
    form.querySelectorAll('[data-error-for]').forEach(function (field) {
      field.classList.remove('has-error')
      field.querySelector('.field-errors').replaceChildren()
    })
    errorBox.querySelectorAll('.non-field').forEach(function (p) { p.remove() })
    errorBox.hidden = true
  }

  function showErrors (errors) {
    clearErrors()
    if (Array.isArray(errors)) errors = { __all__: errors } // a refusal before the form was read (413, 400)
    let first = null
    Object.keys(errors).forEach(function (name) {
      const field = form.querySelector('[data-error-for="' + name + '"]')
      if (field) {
        field.classList.add('has-error')
        field.querySelector('.field-errors').replaceChildren(...errors[name].map(function (text) {
          const p = paragraph(text, 'error')
          p.setAttribute('role', 'alert')
          return p
        }))
        first = first || field
      } else {
        errors[name].forEach(function (text) { errorBox.append(paragraph(text, 'non-field')) })
      }
    })
    errorBox.hidden = false
    errorBox.scrollIntoView({ block: 'nearest' })
    if (first) {
      const control = first.querySelector('.richtext-editor, input, select')
      if (control) control.focus()
    }
  }

  function refresh () {
    const count = items.length
    summary.hidden = count === 0
    document.getElementById('attachment-count').textContent = count === 1 ? texts.oneFile : format(texts.files, { count })
    submit.textContent = count === 0 ? texts.send : count === 1 ? texts.sendOneFile : format(texts.sendFiles, { count })
  }

  function remove (item) {
    if (sending) return
    items.splice(items.indexOf(item), 1)
    item.row.remove()
    refresh()
  }

  function add (files) {
    Array.from(files).forEach(function (file) {
      const row = rowTemplate.content.firstElementChild.cloneNode(true)
      const item = { file, row, problem: problemOf(file) }
      row.querySelector('.upload-name').textContent = file.name
      row.querySelector('.upload-size').textContent = humanSize(file.size)
      if (item.problem) {
        row.classList.add('has-error')
        row.querySelector('.upload-status').textContent = item.problem
      }
      row.querySelector('.upload-remove').addEventListener('click', function () { remove(item) })
      items.push(item)
      list.append(row)
    })
    input.value = '' // the list above is what is sent
    const stale = document.getElementById('files-not-sent')
    if (stale) stale.remove()
    refresh()
  }

  input.addEventListener('change', function () { add(input.files) })
  window.BalieFiles.enhance(input)
  if (input.files.length) add(input.files) // chosen before this script ran
  ;['dragenter', 'dragover'].forEach(function (name) {
    zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add('dragging') })
  })
  ;['dragleave', 'drop'].forEach(function (name) {
    zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.remove('dragging') })
  })
  zone.addEventListener('drop', function (event) { add(event.dataTransfer.files) })
  document.getElementById('attachments-clear').addEventListener('click', function () {
    items.slice().forEach(remove)
  })

  function progress (loaded, total, overhead) {
    // Files travel in order, after the text fields: each bar shows its own share of the bytes sent.
    let offset = overhead
    items.forEach(function (item) {
      const bar = item.row.querySelector('progress')
      const done = Math.max(0, Math.min(item.file.size, loaded - offset))
      bar.value = item.file.size ? Math.round(done / item.file.size * 100) : 100
      offset += item.file.size
    })
    if (loaded >= total) items.forEach(function (item) { item.row.querySelector('progress').value = 100 })
  }

  function problems () {
    const found = {}
    const subject = form.querySelector('[name=subject]')
    if (subject && !subject.value.trim()) found.subject = [texts.noSubject]
    const recipient = form.querySelector('[name=recipient]')
    if (recipient && !recipient.value) found.recipient = [texts.noRecipient]
    const body = form.querySelector('[name=body]')
    const editor = body.richtextEditor
    if (!(editor ? editor.textContent : body.value).trim()) found.body = [texts.noBody]
    const bad = items.filter(function (item) { return item.problem })
    if (bad.length) found.attachments = [texts.invalidFiles]
    else if (items.length > maxFiles) found.attachments = [texts.tooMany]
    return found
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault()
    if (sending) return
    const found = problems()
    if (Object.keys(found).length) { showErrors(found); return }
    clearErrors()
    const data = new FormData(form)
    data.delete('attachments')
    items.forEach(function (item) { data.append('attachments', item.file) })
    const overhead = Array.from(data.entries()).reduce(function (sum, entry) {
      return typeof entry[1] === 'string' ? sum + entry[1].length + 100 : sum
    }, 0)
    sending = true
    submit.disabled = true
    submit.textContent = texts.sending
    items.forEach(function (item) {
      item.row.querySelector('progress').hidden = false
      item.row.querySelector('.upload-remove').disabled = true
    })
    const request = new XMLHttpRequest()
    request.upload.addEventListener('progress', function (event) {
      if (event.lengthComputable) progress(event.loaded, event.total, overhead)
    })
    function done () {
      sending = false
      submit.disabled = false
      items.forEach(function (item) {
        item.row.querySelector('progress').hidden = true
        item.row.querySelector('.upload-remove').disabled = false
      })
      refresh()
    }
    request.addEventListener('load', function () {
      let answer = {}
      try { answer = JSON.parse(request.responseText) } catch (error) { answer = {} }
      if (request.status === 200 && answer.ok) {
        const target = new URL(answer.url, window.location.href)
        if (target.pathname === window.location.pathname && target.search === window.location.search) {
          window.location.hash = target.hash // the same page (a reply): show it again, at the new message
          window.location.reload()
        } else {
          window.location.assign(target.href)
        }
        return
      }
      done()
      showErrors(answer.errors || { __all__: [texts.failed] })
    })
    request.addEventListener('error', function () { done(); showErrors({ __all__: [texts.failed] }) })
    request.open('POST', form.action || window.location.href)
    request.setRequestHeader('Accept', 'application/json')
    request.send(data)
  })
  refresh()
})()
