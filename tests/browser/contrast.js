// WCAG contrast of every element with its own text (HTML colour, SVG fill) against the background
// composed from its ancestors; the function receives the root element and returns the failures.
(root) => {
  const parse = (c) => { const m = c && c.match(/rgba?\(([^)]+)\)/); if (!m) return null;
    const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const over = (top, under) => { const a = top[3];
    return [0, 1, 2].map(i => top[i] * a + under[i] * (1 - a)).concat([1]); };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const background = (el) => { const chain = []; for (let e = el; e && e.nodeType === 1; e = e.parentElement) chain.push(e);
    let bg = [255, 255, 255, 1];
    for (const e of chain.reverse()) { const c = parse(getComputedStyle(e).backgroundColor); if (c && c[3] > 0) bg = over(c, bg); }
    return bg; };
  const out = {checked: 0, failures: []};
  {
    for (const el of root.querySelectorAll('*')) {
      const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
      if (!own) continue;
      const r = el.getBoundingClientRect(); const st = getComputedStyle(el);
      if (!r.width || !r.height || st.visibility === 'hidden' || st.display === 'none' || +st.opacity === 0) continue;
      let hidden = false; for (let e = el; e; e = e.parentElement) { const s = getComputedStyle(e);
        if (s.display === 'none' || +s.opacity === 0 || s.visibility === 'hidden') { hidden = true; break; } }
      if (hidden) continue;
      const svg = el instanceof SVGElement;
      const fg0 = parse(svg ? st.fill : st.color); if (!fg0) continue;
      const bg = background(el); const fg = over(fg0, bg);
      const l1 = lum(fg), l2 = lum(bg); const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
      const size = parseFloat(st.fontSize), bold = +st.fontWeight >= 700;
      const need = (size >= 24 || (bold && size >= 18.66)) ? 3 : 4.5;
      out.checked++;
      if (ratio < need) out.failures.push({text: el.textContent.trim().slice(0, 40), ratio: +ratio.toFixed(2),
        need: need, fg: svg ? st.fill : st.color, bg: 'rgb(' + bg.slice(0, 3).map(Math.round).join(',') + ')',
        cls: (el.getAttribute('class') || el.tagName)});
    }
  }
  return out;
}
