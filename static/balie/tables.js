// Data tables on a phone: each row becomes a card, each cell labelled with its column's heading.
// The CSS reads the label from data-label; this fills it from the table's own <th> cells, so a
// template needs no second copy of its headings. Roles keep the table a table for screen readers
// when the phone layout changes the cells' display. Without script the rows still stack, unlabelled.
(function () {
  'use strict'

  function headings (table) {
    const row = table.tHead && table.tHead.rows[0]
    const labels = []
    if (!row) return labels
    for (const cell of row.cells) {
      const text = cell.textContent.replace(/\s+/g, ' ').trim()
      for (let span = 0; span < (cell.colSpan || 1); span++) labels.push(text)
    }
    return labels
  }

  function label (root) {
    for (const table of root.querySelectorAll('.table-wrap table')) {
      const labels = headings(table)
      table.setAttribute('role', 'table')
      for (const group of [table.tHead, ...table.tBodies, table.tFoot]) {
        if (group) group.setAttribute('role', 'rowgroup')
      }
      for (const row of table.rows) {
        row.setAttribute('role', 'row')
        let column = 0
        for (const cell of row.cells) {
          const header = cell.tagName === 'TH'
          const inHead = row.parentElement === table.tHead
          cell.setAttribute('role', inHead ? 'columnheader' : header ? 'rowheader' : 'cell')
          if (!inHead && labels[column] && !cell.hasAttribute('data-label')) cell.setAttribute('data-label', labels[column])
          column += cell.colSpan || 1
        }
      }
    }
  }

  document.addEventListener('DOMContentLoaded', function () { label(document) })
  // Tables that htmx swaps in (a search narrowing a list) are labelled as they arrive.
  document.addEventListener('htmx:load', function (event) { label(event.target.parentElement || document) })
})()
