// Contrast of the text axe-core leaves undecided: text on gradients and striped fills (the
// diagram's grid, free blocks' stripes) and text drawn in SVG (the trace chart, the pictures side
// by side). `lowContrastText` runs in the page (pass it to page.evaluate); it looks into open
// shadow roots too, so it reads <brk-playground> elements.

/**
 * Every visible piece of text in `selector` (HTML elements with text of their own, and SVG
 * <text>) whose contrast is below WCAG 2.1 AA (4.5:1; 3:1 for large text) against any colour
 * beneath it: each colour of a gradient or a pattern counts, translucent layers laid over the
 * first opaque one below. Returns one sentence for each, none when all is well.
 */
export function lowContrastText(selector) {
  const parse = (css) => {
    const m = /rgba?\(([\d.]+)[, ]+([\d.]+)[, ]+([\d.]+)(?:[,/ ]+([\d.]+))?\)/.exec(css);
    return m ? [Number(m[1]), Number(m[2]), Number(m[3]), m[4] === undefined ? 1 : Number(m[4])] : null;
  };
  const colours = (css) => (css.match(/rgba?\([^)]*\)/g) ?? []).map(parse);
  const over = ([r, g, b, a], [R, G, B]) => [r * a + R * (1 - a), g * a + G * (1 - a), b * a + B * (1 - a), 1];
  const luminance = (c) => {
    const [r, g, b] = c.slice(0, 3).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => {
    const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const up = (e) => e.parentElement ?? e.getRootNode().host ?? null;
  const hex = (c) => "#" + c.slice(0, 3).map((v) => Math.round(v).toString(16).padStart(2, "0")).join("");

  /** The colours an HTML element's text may sit on: its and its ancestors' backgrounds. */
  const htmlBackdrops = (start) => {
    const layers = [];
    for (let e = start; e; e = up(e)) {
      const style = getComputedStyle(e);
      const base = parse(style.backgroundColor);
      layers.push(...colours(style.backgroundImage));
      if (base && base[3] === 1) return [base, ...layers.map((c) => over(c, base))];
      if (base && base[3] > 0) layers.push(base);
    }
    const white = [255, 255, 255, 1];
    return [white, ...layers.map((c) => over(c, white))];
  };

  /** The colours an SVG <text> may sit on: the fill (or pattern) of the shape painted under it. */
  const svgBackdrops = (text) => {
    const svg = text.ownerSVGElement;
    const box = text.getBBox();
    const centre = new DOMPoint(box.x + box.width / 2, box.y + box.height / 2);
    const shapes = [...svg.querySelectorAll("rect, circle, ellipse, polygon, path")].filter(
      (e) => !e.closest("defs, marker, pattern") && e.compareDocumentPosition(text) & Node.DOCUMENT_POSITION_FOLLOWING,
    );
    for (const e of shapes.reverse()) {
      const fill = getComputedStyle(e).fill;
      if (fill === "none" || !e.isPointInFill(centre)) continue;
      const base = htmlBackdrops(svg)[0];
      const pattern = /url\("?#([^")]+)"?\)/.exec(fill);
      if (pattern) return [...text.getRootNode().getElementById(pattern[1]).querySelectorAll("[fill]")].map((r) => over(parse(getComputedStyle(r).fill), base));
      const c = parse(fill);
      if (c) return [over(c, base)];
    }
    return htmlBackdrops(svg);
  };

  const roots = [document, ...[...document.querySelectorAll("*")].filter((e) => e.shadowRoot).map((e) => e.shadowRoot)];
  const problems = [];
  for (const root of roots) {
    for (const scope of root.querySelectorAll(selector)) {
      for (const e of [scope, ...scope.querySelectorAll("*")]) {
        const svg = e instanceof SVGTextElement;
        const own = svg ? e.textContent : [...e.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.data).join("");
        if (!own.trim() || (!svg && e instanceof SVGElement) || !e.checkVisibility({ visibilityProperty: true, opacityProperty: true })) continue;
        // Disabled controls are exempt (WCAG 1.4.3), and drawn faded on purpose.
        if (e.closest(":disabled")) continue;
        const style = getComputedStyle(e);
        const size = parseFloat(style.fontSize);
        const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
        const need = large ? 3 : 4.5;
        let ink = parse(svg ? style.fill : style.color);
        if (!ink) continue;
        let opacity = 1;
        for (let a = e; a && !(a instanceof ShadowRoot); a = up(a)) opacity *= Number(getComputedStyle(a).opacity);
        ink = [ink[0], ink[1], ink[2], ink[3] * opacity];
        for (const backdrop of svg ? svgBackdrops(e) : htmlBackdrops(e)) {
          const r = ratio(over(ink, backdrop), backdrop);
          if (r < need) {
            problems.push(`"${own.trim().slice(0, 30)}" (${e.tagName.toLowerCase()}.${e.getAttribute("class") ?? ""}): ${hex(over(ink, backdrop))} on ${hex(backdrop)} is ${r.toFixed(2)}:1, below ${need}:1`);
            break;
          }
        }
      }
    }
  }
  return problems;
}
