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

  return { format: format, humanSize: humanSize, problemOf: problemOf }
})()
