// PDF previews drawn on <canvas> by PDF.js (static/vendor/pdfjs/), never by the browser's own PDF
// viewer: a PDF's JavaScript, forms and links do nothing here (no viewer, no scripting sandbox, no
// annotation layer). Pages fit the width of the preview and are drawn only near the visible part,
// so a long document stays light; pages far out of view give their canvas back.
// Markup: templates/partials/_pdf_preview.html. Loaded as a module (deferred, strict).

const MAX_CANVAS_PIXELS = 4096 * 4096 // a sharp page on a phone or a 4K screen, not a memory hog

function format (text, values) {
  return text.replace(/\{(\w+)\}/g, (_, key) => String(values[key])) // as in files.js
}

async function openDocument (root) {
  const pdfjs = await import(root.dataset.pdfjs)
  pdfjs.GlobalWorkerOptions.workerSrc = root.dataset.worker
  const task = pdfjs.getDocument({
    url: root.dataset.src,
    // No PDF code ever runs. The bare library has no scripting (that is the viewer's, with its
    // sandbox, neither of which is vendored) and 6.x no eval left (isEvalSupported is gone); said
    // anyway, so that no upgrade or other build quietly turns them on.
    enableScripting: false,
    isEvalSupported: false,
    enableXfa: false,
    // The JavaScript image decoders, not WebAssembly: the CSP needs no 'wasm-unsafe-eval'.
    useWasm: false,
    wasmUrl: root.dataset.wasm,
    disableWorkerRendering: true
  })
  return task.promise
}

function preview (root) {
  const status = root.querySelector('[data-pdf-status]')
  const fallback = root.querySelector('[data-pdf-fallback]')
  const pages = root.querySelector('[data-pdf-pages]')
  let pdf = null
  let width = 0
  const near = new Set()
  let queue = Promise.resolve()

  function fail () {
    status.textContent = ''
    pages.hidden = true
    fallback.hidden = false
    root.classList.add('is-failed')
  }

  async function draw (box) {
    const page = await pdf.getPage(Number(box.dataset.page))
    const unscaled = page.getViewport({ scale: 1 })
    box.style.aspectRatio = `${unscaled.width} / ${unscaled.height}`
    let scale = (box.clientWidth / unscaled.width) * (window.devicePixelRatio || 1)
    const pixels = unscaled.width * unscaled.height * scale * scale
    if (pixels > MAX_CANVAS_PIXELS) scale *= Math.sqrt(MAX_CANVAS_PIXELS / pixels)
    const viewport = page.getViewport({ scale })
    const canvas = document.createElement('canvas')
    canvas.width = Math.floor(viewport.width)
    canvas.height = Math.floor(viewport.height)
    await page.render({ canvas, viewport }).promise
    box.replaceChildren(canvas) // swapped in once drawn: no blank flash on a redraw
    box.dataset.state = near.has(box) ? 'drawn' : 'idle'
    if (!near.has(box)) release(box)
  }

  function want (box) {
    if (box.dataset.state !== 'idle') return
    box.dataset.state = 'queued'
    // One page at a time, in the order they came into view; skip those scrolled past meanwhile.
    queue = queue
      .then(() => (near.has(box) ? draw(box) : (box.dataset.state = 'idle')))
      .catch(() => {
        box.dataset.state = 'failed'
        fail()
      })
  }

  function release (box) {
    if (box.dataset.state !== 'drawn' && box.dataset.state !== 'idle') return
    const canvas = box.querySelector('canvas')
    if (canvas) {
      canvas.width = 0 // frees the bitmap at once
      canvas.remove()
    }
    box.dataset.state = 'idle'
  }

  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (entry.isIntersecting) {
        near.add(entry.target)
        want(entry.target)
      } else {
        near.delete(entry.target)
        release(entry.target)
      }
    }
  }, { root: pages, rootMargin: '100% 0px' }) // one screen ahead and behind

  // A new width (a turned phone, a resized window) redraws what is near; the rest waits for its turn.
  const resized = new ResizeObserver(() => {
    if (pages.clientWidth === width) return
    width = pages.clientWidth
    for (const box of pages.children) {
      if (box.dataset.state === 'drawn') {
        box.dataset.state = 'idle'
        if (near.has(box)) want(box)
      }
    }
  })

  fallback.hidden = true
  status.textContent = root.dataset.loading
  openDocument(root).then(async (loaded) => {
    pdf = loaded
    const first = (await pdf.getPage(1)).getViewport({ scale: 1 })
    const count = pdf.numPages
    status.textContent = count === 1 ? root.dataset.onePage : format(root.dataset.pages, { count })
    for (let number = 1; number <= count; number++) {
      const box = document.createElement('div')
      box.className = 'pdf-page'
      box.dataset.page = number
      box.dataset.state = 'idle'
      box.setAttribute('role', 'img')
      box.setAttribute('aria-label', format(root.dataset.pageLabel, { page: number, pages: count }))
      box.style.aspectRatio = `${first.width} / ${first.height}` // until the page itself is known
      pages.append(box)
    }
    pages.hidden = false
    width = pages.clientWidth
    resized.observe(pages)
    for (const box of pages.children) observer.observe(box)
  }).catch(fail)
}

for (const root of document.querySelectorAll('[data-pdf-preview]')) preview(root)
