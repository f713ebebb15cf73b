// Run in the page by test_browser_layout.py; returns the page's width and what is wrong with it.
() => {
  const describe = (el) => {
    let text = el.tagName.toLowerCase();
    if (el.id) text += "#" + el.id;
    if (typeof el.className === "string" && el.className.trim()) text += "." + el.className.trim().split(/\s+/).join(".");
    const label = (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 30);
    return label ? `${text} "${label}"` : text;
  };
  const path = (el) => {
    const parts = [];
    for (let node = el; node && node !== document.body && parts.length < 4; node = node.parentElement) parts.unshift(describe(node).split(" ")[0]);
    return parts.join(" > ") + " " + (describe(el).split(" ").slice(1).join(" "));
  };
  const width = document.documentElement.clientWidth;
  const scrollWidth = document.documentElement.scrollWidth;
  const widest = [];
  // Content of a scrolling box (a table, a tab strip) scrolls inside it and cannot widen the page;
  // an absolutely placed element whose containing block lies outside that box escapes it.
  const clipped = (el) => {
    const position = getComputedStyle(el).position;
    const block = position === "absolute" || position === "fixed" ? el.offsetParent : el.parentElement;
    for (let node = el.parentElement; node && node !== document.body; node = node.parentElement) {
      if (getComputedStyle(node).overflowX !== "visible" && block && (node === block || node.contains(block))) return true;
    }
    return false;
  };
  if (scrollWidth > width) {
    for (const el of document.body.querySelectorAll("*")) {
      if (clipped(el)) continue;
      const rect = el.getBoundingClientRect();
      if (rect.right + window.scrollX > width + 0.5 && rect.width > 0) widest.push([rect.right + window.scrollX, el]);
    }
    // An element whose own children do not stick out is where the overflow starts.
    const culprits = widest.filter(([right, el]) => ![...el.children].some((child) => child.getBoundingClientRect().right + window.scrollX > width + 0.5));
    culprits.sort((a, b) => b[0] - a[0]);
    widest.length = 0;
    for (const [right, el] of culprits.slice(0, 3)) widest.push(`${path(el)} (right edge ${Math.round(right)} px)`);
  }

  const visible = (el) => {
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0) return false;
    if (rect.right <= 0 || rect.bottom + window.scrollY <= 0) return false;  // parked off-screen (skip link)
    for (let node = el; node; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.visibility === "hidden" || style.opacity === "0") return false;
      if (style.clip === "rect(0px, 0px, 0px, 0px)" || style.clipPath === "inset(50%)") return false;
    }
    return true;
  };
  // WCAG 2.5.8's inline exception: a link in a sentence, whose size the line of text around it sets.
  const inSentence = (el) => {
    if (el.tagName !== "A") return false;
    let block = el.parentElement;
    while (block && getComputedStyle(block).display.startsWith("inline")) block = block.parentElement;
    if (!block || !["P", "LI", "DD", "TD", "SPAN", "DIV", "SMALL", "LABEL", "FIGCAPTION", "BLOCKQUOTE"].includes(block.tagName)) return false;
    const own = el.textContent.trim();
    const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
    let other = "";
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!el.contains(node) && !node.parentElement.closest("a, button")) other += node.textContent;
    }
    // Running text: words of its own around the link, not a lone link or a label beside it.
    return own.length > 0 && other.trim().split(/\s+/).filter((word) => /\p{L}{2,}/u.test(word)).length >= 3;
  };
  const small = [];
  const targets = document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], [tabindex]:not([tabindex='-1'])");
  for (const el of targets) {
    if (!visible(el) || el.closest("[inert]")) continue;
    const rect = el.getBoundingClientRect();
    if (rect.width >= 23.5 && rect.height >= 23.5) continue;
    if (inSentence(el)) continue;
    small.push(`${path(el)} (${Math.round(rect.width)} × ${Math.round(rect.height)} px)`);
  }
  return { width, scrollWidth, widest, small };
}
