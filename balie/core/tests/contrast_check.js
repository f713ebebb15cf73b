// Run in the page by test_browser_layout.py: the contrast ratio (WCAG 2.2) of the text of the first
// element matching the selector against what is really behind it (backgrounds composited, opacity applied).
(selector) => {
  const el = document.querySelector(selector);
  if (!el) return null;
  const parse = (value) => {
    const numbers = value.match(/[\d.]+/g).map(Number);
    if (value.startsWith("color(srgb")) return [numbers[0] * 255, numbers[1] * 255, numbers[2] * 255, numbers[3] ?? 1];
    return [numbers[0], numbers[1], numbers[2], numbers[3] ?? 1];
  };
  const over = (top, bottom) => [0, 1, 2].map((i) => top[i] * top[3] + bottom[i] * (1 - top[3])).concat([1]);
  const chain = [];
  for (let node = el; node; node = node.parentElement) chain.unshift(node);
  let background = [255, 255, 255, 1];
  let opacity = 1;
  for (const node of chain) {
    const style = getComputedStyle(node);
    background = over(parse(style.backgroundColor), background);
    opacity *= Number(style.opacity);
  }
  const colour = parse(getComputedStyle(el).color);
  const text = over([colour[0], colour[1], colour[2], colour[3] * opacity], background);
  const luminance = (rgb) => {
    const [r, g, b] = rgb.slice(0, 3).map((part) => {
      const channel = part / 255;
      return channel <= 0.04045 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [lighter, darker] = [luminance(text), luminance(background)].sort((a, b) => b - a);
  return (lighter + 0.05) / (darker + 0.05);
}
