// The signature pad (templates/signing/partials/_signature_pad.html): draw with mouse, finger or pen through
// pointer events, or type the name. The drawing goes to the server as a PNG data URL in the hidden
// "drawing" field; the server checks it and draws it again. Typing works without JavaScript.
(function () {
  'use strict'

  const INK = '#142154'
  const LINE = 2.4 // CSS pixels; a pen draws thinner or thicker with its pressure
  const MAX_PIXELS = 2400 // the canvas's longest side in device pixels, well inside the server's limit

  function setUp (pad) {
    const canvas = pad.querySelector('[data-pad-canvas]')
    const field = pad.querySelector('[data-pad-drawing]')
    const typed = pad.querySelector('[data-pad-typed]')
    const typedPreview = pad.querySelector('[data-pad-typed-preview]')
    const methods = pad.querySelectorAll('[data-pad-method]')
    const context = canvas.getContext('2d')
    let strokes = [] // each a list of points [x, y, width], x and y as fractions of the canvas
    let current = null
    let background = null // a drawing sent before (the page came back with an error elsewhere)
    let ratio = 1

    function size () {
      const width = canvas.clientWidth
      const height = canvas.clientHeight
      if (!width || !height) return
      ratio = Math.min(window.devicePixelRatio || 1, MAX_PIXELS / Math.max(width, height))
      const pixelWidth = Math.round(width * ratio)
      const pixelHeight = Math.round(height * ratio)
      if (canvas.width !== pixelWidth || canvas.height !== pixelHeight) {
        canvas.width = pixelWidth
        canvas.height = pixelHeight
        redraw()
      }
    }

    function segment (from, to) {
      context.beginPath()
      context.lineWidth = ((from[2] + to[2]) / 2) * ratio
      context.moveTo(from[0] * canvas.width, from[1] * canvas.height)
      context.lineTo(to[0] * canvas.width, to[1] * canvas.height)
      context.stroke()
    }

    function dot (point) {
      context.beginPath()
      context.arc(point[0] * canvas.width, point[1] * canvas.height, (point[2] * ratio) / 2, 0, 2 * Math.PI)
      context.fill()
    }

    function redraw () {
      context.clearRect(0, 0, canvas.width, canvas.height)
      context.strokeStyle = INK
      context.fillStyle = INK
      context.lineCap = 'round'
      context.lineJoin = 'round'
      if (background) {
        const scale = Math.min(canvas.width / background.width, canvas.height / background.height, 1)
        context.drawImage(background, 0, 0, background.width * scale, background.height * scale)
      }
      strokes.forEach(function (stroke) {
        dot(stroke[0])
        for (let index = 1; index < stroke.length; index++) segment(stroke[index - 1], stroke[index])
      })
    }

    function pointOf (event) {
      const box = canvas.getBoundingClientRect()
      const width = event.pointerType === 'pen' && event.pressure > 0 ? LINE * (0.5 + event.pressure) : LINE
      return [(event.clientX - box.left) / box.width, (event.clientY - box.top) / box.height, width]
    }

    function save () {
      field.value = strokes.length || background ? canvas.toDataURL('image/png') : ''
    }

    canvas.addEventListener('pointerdown', function (event) {
      if (event.pointerType === 'mouse' && event.button !== 0) return
      event.preventDefault()
      canvas.setPointerCapture(event.pointerId)
      current = [pointOf(event)]
      strokes.push(current)
      dot(current[0])
    })
    canvas.addEventListener('pointermove', function (event) {
      if (!current) return
      event.preventDefault()
      const events = event.getCoalescedEvents ? event.getCoalescedEvents() : []
      ;(events.length ? events : [event]).forEach(function (each) {
        const point = pointOf(each)
        segment(current[current.length - 1], point)
        current.push(point)
      })
    })
    function end () {
      if (!current) return
      current = null
      save()
    }
    canvas.addEventListener('pointerup', end)
    canvas.addEventListener('pointercancel', end)
    canvas.addEventListener('lostpointercapture', end)

    pad.querySelector('[data-pad-clear]').addEventListener('click', function () {
      strokes = []
      background = null
      redraw()
      save()
    })

    function showMethod () {
      const chosen = pad.querySelector('[data-pad-method]:checked')
      if (!chosen) return
      pad.querySelectorAll('[data-pad-panel]').forEach(function (panel) {
        panel.hidden = panel.getAttribute('data-pad-panel') !== chosen.value
      })
      pad.querySelectorAll('.pad-tab').forEach(function (tab) {
        tab.classList.toggle('active', tab.contains(chosen))
      })
      size() // the canvas has a size only once its panel shows
    }
    methods.forEach(function (method) {
      method.addEventListener('change', function () {
        showMethod()
        if (method.value === 'typed' && typed) typed.focus()
      })
    })

    function showTyped () {
      if (typedPreview && typed) typedPreview.textContent = typed.value
    }
    if (typed) typed.addEventListener('input', showTyped)

    const form = pad.closest('form')
    if (form) form.addEventListener('submit', save)

    if (window.ResizeObserver) new window.ResizeObserver(size).observe(canvas)
    else window.addEventListener('resize', size)

    if (field.value.indexOf('data:image/png;base64,') === 0) {
      const image = new window.Image()
      image.onload = function () {
        background = image
        redraw()
      }
      image.src = field.value
    }
    showMethod()
    showTyped()
    size()
  }

  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('[data-signature-pad]').forEach(setUp)
  })
})()
