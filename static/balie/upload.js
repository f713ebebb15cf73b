// Aanleveren: choose or drop files, check them here first, send each with its own progress bar.
// Without JavaScript the form sends all files at once and the server checks them the same way.
(function () {
  'use strict'
  const form = document.getElementById('upload-form')
  if (!form) return
  const input = document.getElementById('id_files')
  const list = document.getElementById('upload-list')
  const zone = document.getElementById('dropzone')
  const rowTemplate = document.getElementById('upload-row')
  const texts = document.getElementById('upload-texts').dataset
  const maxBytes = Number(form.dataset.maxBytes)
  const maxFiles = Number(form.dataset.maxFiles)
  const extensions = form.dataset.extensions.split(',')
  const items = []

  const format = window.BalieFiles.format
  const humanSize = window.BalieFiles.humanSize

  function problemOf (file) {
    return window.BalieFiles.problemOf(file, { extensions: extensions, maxBytes: maxBytes }, texts)
  }

  function showErrors (messages) {
    let box = document.getElementById('upload-errors')
    if (!box) {
      box = document.createElement('div')
      box.id = 'upload-errors'
      box.className = 'form-errors'
      box.setAttribute('role', 'alert')
      form.before(box)
    }
    box.replaceChildren(...messages.map(function (message) {
      const p = document.createElement('p')
      p.textContent = message
      return p
    }))
  }

  function add (files) {
    Array.from(files).forEach(function (file) {
      const row = rowTemplate.content.firstElementChild.cloneNode(true)
      // The id stays with the file: sending it again after a dropped connection stores it once.
      const item = { file, row, state: 'ready', uploadId: window.BalieFiles.newId() }
      row.querySelector('.upload-name').textContent = file.name
      row.querySelector('.upload-size').textContent = humanSize(file.size)
      const problem = problemOf(file)
      if (problem) {
        item.state = 'invalid'
        row.classList.add('has-error')
        row.querySelector('.upload-status').textContent = problem
        row.querySelector('progress').hidden = true
      }
      row.querySelector('.upload-remove').addEventListener('click', function () {
        if (item.state === 'sending') return
        items.splice(items.indexOf(item), 1)
        row.remove()
      })
      items.push(item)
      list.append(row)
    })
    input.value = ''
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

  function send (item) {
    return new Promise(function (resolve) {
      const data = new FormData()
      data.append('csrfmiddlewaretoken', form.querySelector('[name=csrfmiddlewaretoken]').value)
      data.append('map', form.querySelector('[name=map]').value)
      data.append('files', item.file)
      data.append('upload_id', item.uploadId)
      const request = new XMLHttpRequest()
      const bar = item.row.querySelector('progress')
      const status = item.row.querySelector('.upload-status')
      item.state = 'sending'
      status.textContent = texts.sending
      request.upload.addEventListener('progress', function (event) {
        if (event.lengthComputable) bar.value = Math.round(event.loaded / event.total * 100)
      })
      request.addEventListener('load', function () {
        let answer = {}
        try { answer = JSON.parse(request.responseText) } catch (error) { answer = {} }
        if (request.status === 200 && answer.ok) {
          item.state = 'done'
          bar.value = 100
          status.textContent = texts.done
          item.row.classList.add('done')
        } else {
          item.state = 'failed'
          item.row.classList.add('has-error')
          status.textContent = (answer.errors || [texts.failed]).join(' ')
        }
        resolve()
      })
      request.addEventListener('error', function () {
        item.state = 'failed'
        item.row.classList.add('has-error')
        status.textContent = texts.failed
        resolve()
      })
      request.open('POST', form.action || window.location.href)
      request.setRequestHeader('Accept', 'application/json')
      request.send(data)
    })
  }

  form.addEventListener('submit', async function (event) {
    event.preventDefault()
    const ready = items.filter(function (item) { return item.state === 'ready' || item.state === 'failed' })
    const problems = []
    if (!form.querySelector('[name=map]').value) problems.push(texts.noFolder)
    if (!ready.length) problems.push(texts.noFiles)
    if (ready.length > maxFiles) problems.push(texts.tooMany)
    if (problems.length) { showErrors(problems); return }
    showErrors([])
    form.querySelector('#send-files').disabled = true
    for (const item of ready) await send(item) // one at a time: a progress bar that means something
    form.querySelector('#send-files').disabled = false
    if (items.every(function (item) { return item.state === 'done' })) window.location.href = form.dataset.doneUrl
  })
})()
