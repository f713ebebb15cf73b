// A small rich-text editor for messages: bold, italic, underline, lists and links in an editable
// area that writes its HTML into the form's textarea as you type. The server sanitises whatever
// arrives; without JavaScript the plain textarea is sent and becomes paragraphs.
(function () {
  'use strict'

  const SAFE_LINK = /^(https?:\/\/|mailto:)/i

  function button (label, command, text) {
    const element = document.createElement('button')
    element.type = 'button'
    element.className = 'small secondary richtext-button richtext-' + command
    element.dataset.command = command
    element.setAttribute('aria-label', label)
    element.title = label
    element.textContent = text
    return element
  }

  function fill (editor, value) {
    // The value came from the server (sanitised) or was typed as plain text: parsed inertly.
    if (value && !/<\s*\/?\s*[a-z]/i.test(value)) {
      value.split(/\n\s*\n/).forEach(function (part) {
        if (!part.trim()) return
        const paragraph = document.createElement('p')
        part.split('\n').forEach(function (line, index) {
          if (index) paragraph.append(document.createElement('br'))
          paragraph.append(document.createTextNode(line))
        })
        editor.append(paragraph)
      })
      return
    }
    const template = document.createElement('template')
    template.innerHTML = value || ''
    editor.append(template.content)
  }

  function setUp (textarea) {
    const texts = textarea.dataset
    const toolbar = document.createElement('div')
    toolbar.className = 'richtext-toolbar'
    toolbar.setAttribute('role', 'toolbar')
    toolbar.setAttribute('aria-label', texts.textToolbar)
    toolbar.setAttribute('aria-controls', textarea.id + '_editor')
    toolbar.append(
      button(texts.textBold, 'bold', 'B'),
      button(texts.textItalic, 'italic', 'I'),
      button(texts.textUnderline, 'underline', 'U'),
      button(texts.textBullets, 'insertUnorderedList', '•'),
      button(texts.textNumbers, 'insertOrderedList', '1.'),
      button(texts.textLink, 'createLink', '🔗')
    )
    const editor = document.createElement('div')
    editor.id = textarea.id + '_editor'
    editor.className = 'richtext-editor'
    editor.contentEditable = 'true'
    editor.setAttribute('role', 'textbox')
    editor.setAttribute('aria-multiline', 'true')
    const label = document.querySelector('label[for="' + textarea.id + '"]')
    if (label && label.id) editor.setAttribute('aria-labelledby', label.id)
    if (textarea.getAttribute('aria-describedby')) editor.setAttribute('aria-describedby', textarea.getAttribute('aria-describedby'))
    fill(editor, textarea.value)

    function sync () {
      textarea.value = editor.textContent.trim() ? editor.innerHTML : ''
    }

    toolbar.addEventListener('mousedown', function (event) { event.preventDefault() }) // keep the selection
    toolbar.addEventListener('click', function (event) {
      const target = event.target.closest('button')
      if (!target) return
      editor.focus()
      const command = target.dataset.command
      if (command === 'createLink') {
        const address = (window.prompt(texts.textLinkPrompt, 'https://') || '').trim()
        if (!address || address === 'https://') return
        if (!SAFE_LINK.test(address)) { window.alert(texts.textLinkBad); return }
        if (window.getSelection().isCollapsed) { // no text chosen: the address becomes the link's text
          const link = document.createElement('a')
          link.href = address
          link.textContent = address
          document.execCommand('insertHTML', false, link.outerHTML)
        } else {
          document.execCommand('createLink', false, address)
        }
      } else {
        document.execCommand(command, false, null)
      }
      sync()
    })
    editor.addEventListener('input', sync)
    if (label) label.addEventListener('click', function (event) { event.preventDefault(); editor.focus() })
    textarea.hidden = true
    textarea.after(toolbar, editor)
    textarea.form.addEventListener('submit', sync, true)
    textarea.form.addEventListener('richtext:clear', function () { editor.replaceChildren(); sync() })
    textarea.richtextEditor = editor
  }

  document.execCommand('defaultParagraphSeparator', false, 'p')
  document.querySelectorAll('textarea[data-richtext]').forEach(setUp)
})()
