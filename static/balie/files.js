// Checks of files chosen or dropped in the browser, shared by Aanleveren and messages: the same
// rules the server applies (allowed extension, not empty, not too large), so a person hears at once.
window.BalieFiles = (function () {
  'use strict'

  function format (text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, key) { return values[key] })
  }

  function humanSize (bytes) {
    if (bytes < 1024) return bytes + ' B'
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(0) + ' KB'
    if (bytes < 1024 * 1024 * 1024) return (bytes / 1024 / 1024).toFixed(1) + ' MB'
    return (bytes / 1024 / 1024 / 1024).toFixed(1) + ' GB'
  }

  // rules: {extensions: [...], maxBytes}; texts: the data set with the type, empty and tooLarge texts.
  function problemOf (file, rules, texts) {
    const extension = file.name.includes('.') ? file.name.split('.').pop().toLowerCase() : ''
    if (rules.extensions.indexOf(extension) === -1) return format(texts.type, { name: file.name })
    if (file.size === 0) return format(texts.empty, { name: file.name })
    if (file.size > rules.maxBytes) return format(texts.tooLarge, { name: file.name, size: humanSize(rules.maxBytes) })
    return ''
  }

  // A random id (UUID v4) for one chosen file: sent with it, so that the server stores a retried
  // file once. randomUUID needs a secure context; getRandomValues does not.
  function newId () {
    if (window.crypto.randomUUID) return window.crypto.randomUUID()
    const bytes = window.crypto.getRandomValues(new Uint8Array(16))
    bytes[6] = (bytes[6] & 0x0f) | 0x40
    bytes[8] = (bytes[8] & 0x3f) | 0x80
    const hex = Array.from(bytes, function (byte) { return byte.toString(16).padStart(2, '0') }).join('')
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join('-')
  }

  // The page works with the browser's own file control; once a script is here, its label becomes
  // the "Choose files" button and the input is hidden from sight only (Tab still reaches it). Files
  // chosen before this ran stay in input.files: the page's script takes them from there.
  function enhance (input) {
    const picker = input.closest('.file-picker')
    if (picker) picker.classList.add('is-enhanced')
    const zone = input.closest('.dropzone')
    if (zone) zone.classList.add('is-enhanced')
  }

  // A picker on a plain form (publishing): the form is sent as is; the names chosen are listed.
  function listNames (input) {
    const list = input.closest('.file-picker').querySelector('.file-picker-names')
    list.replaceChildren(...Array.from(input.files, function (file) {
      const item = document.createElement('li')
      item.className = 'upload-item'
      item.textContent = file.name + ' '
      const size = document.createElement('small')
      size.className = 'muted'
      size.textContent = humanSize(file.size)
      item.append(size)
      return item
    }))
  }

  document.querySelectorAll('[data-file-picker=standalone] input[type=file]').forEach(function (input) {
    enhance(input)
    input.addEventListener('change', function () { listNames(input) })
    listNames(input)
  })

  return { format: format, humanSize: humanSize, problemOf: problemOf, newId: newId, enhance: enhance }
})()
