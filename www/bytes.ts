/**
 * The bytes of one block, read from `WebAssembly.Memory`: its header's two little-endian words,
 * labelled (size and flags, next), then the first bytes of its data. Every byte the last step
 * changed is marked (`.changed`, `data-changed`), and a damaged header says what broke.
 *
 * On wasm32 a header is `[size | flags: u32][next: u32]`. The size is a multiple of the
 * alignment, which leaves its low bits for flags: 1 = FREE, 2 = PREV_FREE, 4 = SEGMENT_START.
 * When the heap derives `next` from the size (boundary tags), nothing reads the second word as
 * `next`, and the panel says so, with where `next` comes from instead.
 */

import { FIELD, FLAG } from "./engine";
import { bytes, derivedNext, hex } from "./format";
import type { Mount, Panel, View } from "./panel";
import type { Written } from "./types";

const FLAGS: [bit: number, name: string, meaning: string][] = [
  [1, "FREE", "this block is free"],
  [2, "PREV_FREE", "the block before it is free"],
  [4, "SEGMENT_START", "the first block after a gap"],
];
const DATA_SHOWN = 32;
const PER_ROW = 8;

/** Reads `length` bytes of linear memory at an address. */
export type MemoryReader = (address: number, length: number) => Uint8Array;

/** The inspector panel. Its elements are made once; a redraw rewrites only what changed. */
export class BytesPanel implements Panel {
  readonly #read: MemoryReader;
  readonly #align: number;
  readonly #hint: HTMLElement;
  readonly #body: HTMLElement;
  readonly #parts: Record<string, HTMLElement> = {};
  readonly #headerBytes: HTMLElement[][] = [];
  readonly #rows: { row: HTMLElement; off: HTMLElement; bytes: HTMLElement[]; ascii: HTMLElement }[] = [];
  /** The bytes the last step changed. */
  #changed: readonly Written[] = [];

  static mount({ find, host }: Mount): BytesPanel | null {
    const root = find("bytes");
    const engine = host.engine;
    return root && new BytesPanel(root, (address, length) => engine.read(address, length), engine.snapshot().align);
  }

  constructor(root: HTMLElement, read: MemoryReader, align: number) {
    this.#read = read;
    this.#align = align;
    this.#hint = el("p", "muted", "Point at a block, or focus it with Tab, to read its bytes from linear memory.");
    this.#body = el("div", "inspect-body", "");
    this.#body.innerHTML = `
      <p class="inspect-title"><span class="pill" data-part="pill"></span>
        block at <code data-part="addr"></code>, <span data-part="size"></span> of data</p>
      <div class="field-group">
        <div class="group-title">Header at <code data-part="haddr"></code> · <span data-part="hsize"></span> bytes, little-endian</div>
        <p class="inspect-damage" data-part="damage" hidden></p>
        <div class="field"><span class="bytes" data-part="w0"></span><span class="field-name">size | flags</span><span class="field-value" data-part="w0v"></span></div>
        <div class="field"><span class="bytes" data-part="w1"></span><span class="field-name" data-part="w1n">next</span><span class="field-value" data-part="w1v"></span></div>
      </div>
      <div class="field-group">
        <div class="group-title">Data at <code data-part="daddr"></code> · <span data-part="dcount"></span> bytes</div>
        <div data-part="rows"></div>
      </div>`;
    for (const part of this.#body.querySelectorAll<HTMLElement>("[data-part]")) this.#parts[part.dataset.part!] = part;
    for (const word of ["w0", "w1"]) {
      const spans = Array.from({ length: 4 }, () => el("span", "byte", ""));
      this.#parts[word]!.append(...spans);
      this.#headerBytes.push(spans);
    }
    for (let r = 0; r < DATA_SHOWN / PER_ROW; r++) {
      const row = el("div", "hexrow", "");
      const off = el("code", "off", "");
      const bytesEl = el("span", "bytes", "");
      const spans = Array.from({ length: PER_ROW }, () => el("span", "byte", ""));
      bytesEl.append(...spans);
      const ascii = el("code", "ascii", "");
      row.append(off, bytesEl, ascii);
      this.#parts.rows!.append(row);
      this.#rows.push({ row, off, bytes: spans, ascii });
    }
    root.append(this.#hint, this.#body);
    this.#body.hidden = true;
  }

  update(view: View): void {
    this.#changed = view.changed;
    this.#show(view);
  }

  select(view: View): void {
    this.#show(view);
  }

  /** Whether the last step changed the byte at `address`. */
  #isChanged(address: number): boolean {
    return this.#changed.some((r) => address >= r.at && address < r.at + r.bytes);
  }

  /** Shows the block whose data starts at `view.selected`, or a hint when there is none. */
  #show(view: View): void {
    const { layout, selected: address } = view;
    const { table: t, stride: s } = layout;
    let i = -1;
    if (address >= 0) {
      for (let k = 0; k < layout.count; k++) {
        if (t[k * s + FIELD.data] === address) {
          i = k;
          break;
        }
      }
    }
    if (this.#hint.hidden !== i >= 0) this.#hint.hidden = i >= 0;
    if (this.#body.hidden !== i < 0) this.#body.hidden = i < 0;
    if (i < 0) return;

    const header = t[i * s + FIELD.header]!;
    const data = t[i * s + FIELD.data]!;
    const size = t[i * s + FIELD.size]!;
    const derived = (t[i * s + FIELD.flags]! & FLAG.derivedNext) !== 0;
    const headerSize = data - header;
    const shown = Math.min(size, DATA_SHOWN);
    const raw = this.#read(header, headerSize + shown);
    const words = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const word0 = words.getUint32(0, true);
    const next = words.getUint32(4, true);
    const mask = this.#align - 1;
    const storedSize = (word0 & ~mask) >>> 0;
    const flags = word0 & mask;
    const flagList = FLAGS.filter(([bit]) => (flags & bit) !== 0);
    const free = (flags & 1) !== 0;
    const p = this.#parts;

    setText(p.pill!, free ? "free" : "used");
    setClass(p.pill!, `pill ${free ? "free" : "used"}`);
    setText(p.addr!, hex(data));
    setText(p.size!, bytes(size));
    setText(p.haddr!, hex(header));
    setText(p.hsize!, String(headerSize));
    for (let b = 0; b < 8; b++) setByte(this.#headerBytes[b >> 2]![b & 3]!, raw[b]!, this.#isChanged(header + b));
    const damage = view.damage.blocks.find((d) => d.header === header);
    p.damage!.hidden = !damage;
    setText(p.damage!, damage ? `⚠ Damaged (${damage.fields.join(", ")}): ${damage.message}` : "");
    setHtml(
      p.w0v!,
      `<code>${hex(word0)}</code> → size <b>${storedSize}</b>, flags <b>${flags}</b>` +
        (flagList.length ? ` = ${flagList.map(([, n, m]) => `<abbr title="${m}">${n}</abbr>`).join(" | ")}` : " (used)"),
    );
    if (derived) {
      setText(p.w1n!, "not next");
      setHtml(
        p.w1v!,
        `<code>${hex(next)}</code>: not read as <code>next</code>, which is derived: ` +
          derivedNext(header, data, size, t[i * s + FIELD.next]!).replace(/0x[0-9a-f]+/gi, (a) => `<code>${a}</code>`),
      );
    } else {
      setText(p.w1n!, "next");
      setHtml(p.w1v!, next === 0 ? "<b>null</b>: the last block" : `<code>${hex(next)}</code>, the next header`);
    }
    setText(p.daddr!, hex(data));
    setText(p.dcount!, shown < size ? `first ${shown} of ${size}` : `all ${size}`);
    this.#rows.forEach((r, k) => {
      const from = k * PER_ROW;
      const hidden = from >= shown;
      if (r.row.hidden !== hidden) r.row.hidden = hidden;
      if (hidden) return;
      setText(r.off, hex(data + from));
      let ascii = "";
      r.bytes.forEach((span, j) => {
        const at = from + j;
        if (at < shown) {
          const v = raw[headerSize + at]!;
          setByte(span, v, this.#isChanged(data + at));
          ascii += v >= 0x20 && v < 0x7f ? String.fromCharCode(v) : "·";
        } else {
          setText(span, "");
        }
      });
      setText(r.ascii, ascii);
    });
  }
}

function el(tag: string, className: string, text: string): HTMLElement {
  const e = document.createElement(tag);
  e.className = className;
  e.textContent = text;
  return e;
}

function setText(e: HTMLElement, text: string): void {
  if (e.textContent !== text) e.textContent = text;
}

function setClass(e: HTMLElement, className: string): void {
  if (e.className !== className) e.className = className;
}

const html = new WeakMap<HTMLElement, string>();

function setHtml(e: HTMLElement, markup: string): void {
  if (html.get(e) !== markup) {
    e.innerHTML = markup;
    html.set(e, markup);
  }
}

function setByte(span: HTMLElement, value: number, changed = false): void {
  setText(span, value.toString(16).padStart(2, "0"));
  setClass(span, `byte${value === 0 ? " zero" : ""}${changed ? " changed" : ""}`);
  if (changed) span.dataset.changed = "true";
  else delete span.dataset.changed;
}
