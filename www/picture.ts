/**
 * The heap as a standalone SVG picture: blocks (header, then data), `next` arrows, names, the
 * heap start and the break, laid out by geometry.ts like the live diagram. Used to export the
 * diagram (SVG, and PNG drawn from it) and to draw the heaps side by side.
 *
 * The picture carries its own styles and fonts' fallbacks, so it looks the same pasted into a
 * slide or a document. Free and used differ by pattern and label as well as colour.
 */

import { FIELD, FLAG, FLAG_FREE, type Layout } from "./engine";
import { hex, shortBytes } from "./format";
import { layOut, type Scale } from "./geometry";
import type { PointerName } from "./timeline";

/** How to draw. */
export interface PictureOptions {
  /** Width of the blocks' area, in pixels. */
  width: number;
  /** Pixels per byte, and the narrowest header and data area. */
  zoom: number;
  minHeader: number;
  minData: number;
  /** Drawn above the heap (a title line) and below it (a caption), if given. */
  title?: string;
  caption?: string;
  /** Labels inside blocks (off for thin strips). */
  labels?: boolean;
  names?: ReadonlyMap<number, PointerName[]>;
  /** Height of a block, in pixels. */
  blockHeight?: number;
  /** Whether the title is drawn (it is the picture's accessible name either way). */
  titleShown?: boolean;
  /** Prefix of the ids inside the picture, so that several in one page do not share them. */
  idPrefix?: string;
}

/** styles.css's colours. Text takes the "Ink" ones: each meets 4.5:1 on what it is drawn on. */
const COLORS = {
  header: "#243447",
  headerInk: "#f2f5f9",
  used: "#0072b2",
  usedTint: "#d9e9f5",
  usedInk: "#005a8c",
  free: "#e69f00",
  freeTint: "#fff3d6",
  freeStripe: "#f5d48a",
  freeInk: "#7a4f00",
  brk: "#d55e00",
  brkInk: "#b34e00",
  start: "#009e73",
  startInk: "#00785a",
  arrow: "#3d4a5c",
  ink: "#1b2430",
  soft: "#4a5568",
  gap: "#dfe4ea",
};

function esc(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}

/** The heap in `layout` as SVG text. */
export function heapPicture(layout: Layout, o: PictureOptions): string {
  const labels = o.labels ?? true;
  const id = (name: string): string => `${o.idPrefix ?? ""}${name}`;
  const blockH = o.blockHeight ?? (labels ? 56 : 26);
  const arrowLane = labels ? 28 : 10;
  const labelLane = labels ? 22 : 4;
  const rowH = arrowLane + blockH + labelLane + 6;
  const pad = 16;
  const titleShown = o.title !== undefined && o.titleShown !== false;
  const top = titleShown ? 34 : labels ? 4 : 8;
  const scale: Scale = { zoom: o.zoom, minHeader: o.minHeader, minData: o.minData, width: o.width, gapWidth: labels ? 70 : 24, tailWidth: 0 };
  const g = layOut({ ...layout, limit: layout.brk }, scale);
  const rows = Math.max(1, g.rows);
  const bottom = o.caption ? 30 : 8;
  // As wide as what is drawn (a small heap makes a small picture), and the title.
  let right = g.brk.x + (labels ? 150 : 6);
  for (let i = 0; i < g.count; i++) right = Math.max(right, g.x[i]! + g.w[i]! + 10);
  for (const gap of g.gaps) right = Math.max(right, gap.x + gap.w);
  const textWidth = Math.max(titleShown ? (o.title?.length ?? 0) * 8.6 : 0, (o.caption?.length ?? 0) * 6.6);
  const width = Math.max(Math.min(o.width, right), textWidth) + 2 * pad;
  const height = top + rows * rowH + bottom;
  const t = layout.table;
  const s = layout.stride;
  const out: string[] = [];
  const X = (x: number): number => pad + x;
  const Y = (row: number): number => top + row * rowH + arrowLane;

  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${Math.ceil(width)}" height="${Math.ceil(height)}" viewBox="0 0 ${Math.ceil(width)} ${Math.ceil(height)}" role="img" aria-labelledby="${id("heap-title")} ${id("heap-desc")}" font-family="ui-sans-serif, system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif">`,
    `<title id="${id("heap-title")}">${esc(o.title ?? "A heap")}</title>`,
    `<desc id="${id("heap-desc")}">${esc(`${layout.count} blocks from ${hex(layout.heapStart)} to the break at ${hex(layout.brk)}. Used blocks have a solid border, free blocks a dashed border and stripes.`)}</desc>`,
    `<defs><pattern id="${id("free-stripes")}" patternUnits="userSpaceOnUse" width="8" height="8" patternTransform="rotate(45)"><rect width="8" height="8" fill="${COLORS.freeTint}"/><rect width="2.5" height="8" fill="${COLORS.freeStripe}"/></pattern>`,
    `<marker id="${id("arrow")}" viewBox="0 0 8 8" refX="6" refY="4" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L8 4 L0 8 z" fill="${COLORS.arrow}"/></marker>`,
    `<marker id="${id("arrow-open")}" viewBox="0 0 8 8" refX="6" refY="4" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M1 1 L7 4 L1 7" fill="none" stroke="${COLORS.arrow}" stroke-width="1.3" stroke-linejoin="round" stroke-linecap="round"/></marker></defs>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
  );
  if (titleShown) out.push(`<text x="${pad}" y="22" font-size="15" font-weight="700" fill="${COLORS.ink}">${esc(o.title ?? "")}</text>`);

  for (const gap of g.gaps) {
    out.push(`<rect x="${X(gap.x)}" y="${Y(gap.row)}" width="${gap.w}" height="${blockH}" rx="4" fill="${COLORS.gap}"/>`);
  }

  for (let i = 0; i < g.count; i++) {
    const o5 = i * s;
    const header = t[o5 + FIELD.header]!;
    const data = t[o5 + FIELD.data]!;
    const size = t[o5 + FIELD.size]!;
    const free = (t[o5 + FIELD.flags]! & FLAG_FREE) !== 0;
    const next = t[o5 + FIELD.next]!;
    const derived = (t[o5 + FIELD.flags]! & FLAG.derivedNext) !== 0;
    const x = X(g.x[i]!);
    const y = Y(g.row[i]!);
    const w = g.w[i]!;
    const hw = g.hw[i]!;
    const names = o.names?.get(data);
    const nameText = names?.map((n) => n.name).join(" ") ?? "";
    out.push(
      `<g class="block" data-address="${data}" data-size="${size}" data-free="${free}"${nameText ? ` data-names="${esc(nameText)}"` : ""}>`,
      `<title>${esc(`${free ? "free" : "used"} block at ${hex(data)}, ${size} bytes of data after a ${data - header}-byte header${nameText ? `, named ${nameText}` : ""}`)}</title>`,
      `<rect x="${x}" y="${y}" width="${hw}" height="${blockH}" rx="3" fill="${COLORS.header}"/>`,
      `<rect x="${x + hw}" y="${y + 0.75}" width="${Math.max(0.5, w - hw - 0.75)}" height="${blockH - 1.5}" rx="3" fill="${free ? `url(#${id("free-stripes")})` : COLORS.usedTint}" stroke="${free ? COLORS.free : COLORS.used}" stroke-width="1.5"${free ? ' stroke-dasharray="4 3"' : ""}/>`,
    );
    if (labels) {
      if (hw >= 26) out.push(`<text x="${x + hw / 2}" y="${y + blockH / 2 + 4}" font-size="10.5" font-weight="600" font-family="ui-monospace, Menlo, Consolas, monospace" text-anchor="middle" fill="${COLORS.headerInk}">hdr</text>`);
      const dw = w - hw;
      if (dw >= 44) {
        out.push(
          `<text x="${x + hw + 7}" y="${y + 17}" font-size="9.5" font-weight="700" letter-spacing="0.8" fill="${free ? COLORS.freeInk : COLORS.usedInk}">${free ? "FREE" : "USED"}</text>`,
          `<text x="${x + hw + 7}" y="${y + 34}" font-size="13.5" font-weight="650" fill="${COLORS.ink}">${esc(shortBytes(size))}</text>`,
        );
        if (dw >= 78) out.push(`<text x="${x + hw + 7}" y="${y + 49}" font-size="10" font-family="ui-monospace, Menlo, Consolas, monospace" fill="${COLORS.soft}">${hex(data)}</text>`);
      }
      if (names) {
        let nx = x + w - 2;
        for (const n of [...names].reverse()) {
          const tw = n.name.length * 7 + 10;
          nx -= tw;
          out.push(
            `<rect x="${nx}" y="${y + blockH - 4}" width="${tw}" height="16" rx="4" fill="${n.dangling ? "#ffffff" : COLORS.ink}"${n.dangling ? ` stroke="#b3261e" stroke-dasharray="3 2"` : ""}/>`,
            `<text x="${nx + tw / 2}" y="${y + blockH + 8}" font-size="11" font-weight="700" font-family="ui-monospace, Menlo, Consolas, monospace" text-anchor="middle" fill="${n.dangling ? "#b3261e" : "#ffffff"}"${n.dangling ? ' text-decoration="line-through"' : ""}>${esc(n.name)}</text>`,
          );
          nx -= 3;
        }
      }
      // `next`: a hump to the following header on the same row, else a line to the edge;
      // dotted, with an open head, when the heap derived it from the size.
      const x0 = x + Math.min(hw / 2, 20);
      const link = derived
        ? `stroke-width="1.8" stroke-dasharray="0.5 3.5" stroke-linecap="round" marker-end="url(#${id("arrow-open")})" data-derived="true"`
        : `stroke-width="1.4" marker-end="url(#${id("arrow")})"`;
      if (next === 0) {
        out.push(`<text x="${x0 + 6}" y="${y - 9}" font-size="10" font-family="ui-monospace, Menlo, Consolas, monospace" fill="${COLORS.soft}">next = null</text>`);
      } else if (i + 1 < g.count && g.row[i + 1] === g.row[i] && g.arrowIn[i + 1] === 0) {
        const x1 = X(g.x[i + 1]!) + Math.min(g.hw[i + 1]! / 2, 20);
        const rise = Math.min(arrowLane - 6, Math.max(10, (x1 - x0) / 3));
        out.push(`<path d="M${x0} ${y} C${x0} ${y - rise} ${x1} ${y - rise} ${x1} ${y - 1}" fill="none" stroke="${COLORS.arrow}" ${link}/>`);
      } else {
        out.push(`<path d="M${x0} ${y} V${y - 12} H${x + w + 8}" fill="none" stroke="${COLORS.arrow}" ${link}/>`);
      }
    }
    out.push(`</g>`);
  }

  // Heap start and the break.
  const sy = Y(0);
  out.push(`<rect x="${X(0) - 4}" y="${sy - 5}" width="3" height="${blockH + 10}" rx="1.5" fill="${COLORS.start}"/>`);
  const by = Y(g.brk.row);
  const bx = X(g.brk.x);
  out.push(`<g class="break" data-brk="${layout.brk}"><rect x="${bx - 1}" y="${by - 5}" width="3" height="${blockH + 10}" rx="1.5" fill="${COLORS.brk}"/>`);
  if (labels) {
    out.push(`<text x="${bx - 2}" y="${by + blockH + 18}" font-size="11" fill="${COLORS.brkInk}"><tspan font-weight="700">brk</tspan> ${hex(layout.brk)}</text>`);
    out.push(`<text x="${X(0) - 4}" y="${sy + blockH + 18}" font-size="11" fill="${COLORS.startInk}"${g.brk.row === 0 && g.brk.x < 170 ? ' visibility="hidden"' : ""}><tspan font-weight="700">heap start</tspan> ${hex(layout.heapStart)}</text>`);
  }
  out.push(`</g>`);
  if (o.caption) out.push(`<text x="${pad}" y="${height - 10}" font-size="12" fill="${COLORS.soft}">${esc(o.caption)}</text>`);
  out.push(`</svg>`);
  return out.join("");
}

/** Draws SVG text onto a canvas at `scale` and resolves to a PNG. */
export async function svgToPng(svg: string, scale = 2): Promise<Blob> {
  const image = new Image();
  const url = URL.createObjectURL(new Blob([svg], { type: "image/svg+xml" }));
  try {
    image.src = url;
    await image.decode();
    const canvas = document.createElement("canvas");
    canvas.width = Math.ceil(image.naturalWidth * scale);
    canvas.height = Math.ceil(image.naturalHeight * scale);
    const ctx = canvas.getContext("2d")!;
    ctx.scale(scale, scale);
    ctx.drawImage(image, 0, 0);
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("the browser could not make a PNG"))), "image/png"),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** Offers `blob` as a download named `name`. */
export function download(blob: Blob, name: string): void {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.style.display = "none";
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
