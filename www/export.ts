/**
 * Export and import: the diagram as an SVG or PNG picture, the session as a JSON file, and a
 * JSON file opened back (which replays it: the same steps on the same allocator give the same
 * heap, which the file's `heap` section lets the page check).
 */

import { optionsLabel } from "./allocators";
import type { App } from "./app";
import { FIELD, FLAG_FREE } from "./engine";
import { bytes, hex } from "./format";
import { download, heapPicture, svgToPng } from "./picture";
import { readSession, sessionJson } from "./session";

/** The heap drawn now as SVG text, at the diagram's scale. */
export function diagramSvg(app: App): string {
  const scale = app.diagram.scale;
  const { layout, totals, steps, position, step, names, options } = app.view;
  const title = `brkalloc · ${optionsLabel(options)}${steps.length ? ` · step ${position} of ${steps.length}${step ? `: ${step.call}` : ""}` : ""}`;
  const { used, free } = totals;
  const caption = `${layout.count} blocks from ${hex(layout.heapStart)} to the break at ${hex(layout.brk)} · ${bytes(used)} used, ${bytes(free)} free`;
  return heapPicture(layout, {
    width: Math.max(560, Math.min(1400, scale.width)),
    zoom: scale.zoom,
    minHeader: scale.fit ? 1 : scale.minHeader,
    minData: scale.fit ? 2 : scale.minData,
    labels: !scale.fit,
    names,
    title,
    caption,
  });
}

/** The session as the JSON a file holds, with the heap it leads to (for checking on import). */
export function sessionFile(app: App): string {
  const layout = app.layout;
  const names = app.view.names;
  const blocks = [];
  for (let i = 0; i < layout.count; i++) {
    const o = i * layout.stride;
    const address = layout.table[o + FIELD.data]!;
    const block: Record<string, unknown> = {
      address,
      size: layout.table[o + FIELD.size]!,
      free: (layout.table[o + FIELD.flags]! & FLAG_FREE) !== 0,
    };
    const n = names.get(address);
    if (n) block.names = n.map((x) => x.name);
    blocks.push(block);
  }
  return JSON.stringify(
    { ...sessionJson(app.session()), heap: { heapStart: layout.heapStart, brk: layout.brk, blocks } },
    null,
    2,
  );
}

/** Reads a session file and opens it. Resolves to a warning if the heap differs from the file's, else null. */
export function openSessionFile(app: App, text: string): string | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`the file is not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  app.load(readSession(json));
  const heap = (json as { heap?: { brk?: number; blocks?: { address: number; size: number; free: boolean }[] } }).heap;
  if (!heap?.blocks) return null;
  const layout = app.layout;
  const now = [];
  for (let i = 0; i < layout.count; i++) {
    const o = i * layout.stride;
    now.push(`${layout.table[o + FIELD.data]}:${layout.table[o + FIELD.size]}:${(layout.table[o + FIELD.flags]! & FLAG_FREE) !== 0}`);
  }
  const saved = heap.blocks.map((b) => `${b.address}:${b.size}:${b.free}`);
  if (heap.brk !== layout.brk || saved.join() !== now.join()) {
    return "The steps replayed, but the heap differs from the one saved in the file (a playground with another memory layout made it); the picture shows the heap as this page builds it.";
  }
  return null;
}

/** A file name for the session now: `brkalloc-best-fit-step-4.svg`. */
function fileName(app: App, ext: string): string {
  const { position, steps } = app.timeline;
  return `brkalloc-${app.options.policy}${steps.length ? `-step-${position}` : ""}.${ext}`;
}

/** Binds the export buttons and the import field of the page. */
export function bindExport(app: App, status: (message: string) => void): void {
  const byId = (id: string): HTMLElement | null => document.getElementById(id);
  byId("export-svg")?.addEventListener("click", () => {
    download(new Blob([diagramSvg(app)], { type: "image/svg+xml" }), fileName(app, "svg"));
    status("SVG saved");
  });
  byId("export-png")?.addEventListener("click", () => {
    svgToPng(diagramSvg(app)).then(
      (png) => {
        download(png, fileName(app, "png"));
        status("PNG saved");
      },
      (e: unknown) => app.showError(`The PNG could not be made: ${e instanceof Error ? e.message : String(e)}`),
    );
  });
  byId("export-json")?.addEventListener("click", () => {
    download(new Blob([sessionFile(app)], { type: "application/json" }), fileName(app, "json"));
    status("Session saved");
  });
  const input = byId("import-json") as HTMLInputElement | null;
  input?.addEventListener("change", () => {
    const file = input.files?.[0];
    input.value = "";
    if (!file) return;
    void file.text().then((text) => {
      try {
        const warning = openSessionFile(app, text);
        if (warning) app.showError(warning);
        status(`Opened ${file.name}`);
      } catch (e) {
        app.showError(`${file.name} could not be opened: ${e instanceof Error ? e.message : String(e)}. Nothing was changed.`);
      }
    });
  });
}
