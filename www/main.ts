/**
 * The playground page (index.html): the controls put in place from template.ts, one playground
 * bound to the whole document with the panels of panels.ts and the page's own (`PAGE_PANELS`),
 * the link in the address bar, and sharing and export.
 */

import { allocatorFromUrl } from "./allocators";
import { App } from "./app";
import { BytesPanel } from "./bytes";
import { ComparePanel } from "./compare";
import { Engine } from "./engine";
import { LessonPanel, lessonLinks } from "./lesson-panel";
import { bindExport } from "./export";
import { LinkSync } from "./link";
import { ListsPanel } from "./lists";
import { Overview } from "./overview";
import type { PanelFactory } from "./panel";
import { PANELS } from "./panels";
import { ScriptPanel } from "./script-panel";
import { StatsPanel } from "./stats";
import { controlsMarkup } from "./template";
import { TracePanel } from "./trace";
import { ZoomControls } from "./zoom";

/** What tests, benchmarks and tutorial pages can reach from the console: `window.playground`. */
declare global {
  interface Window {
    playground?: App;
    link?: LinkSync;
    traces?: TracePanel;
    compare?: ComparePanel;
  }
}

/**
 * The page's panels, in the order each view reaches them: the overview and the zoom (which
 * frame what the diagram has just drawn), the panels every playground has (panels.ts), then the
 * parts only the page has: the stats, the size-class lists, the bytes, the script box, trace
 * replay, the allocators side by side.
 */
const PAGE_PANELS: readonly PanelFactory[] = [
  Overview.mount,
  ZoomControls.mount,
  ...PANELS,
  StatsPanel.mount,
  ListsPanel.mount,
  BytesPanel.mount,
  ScriptPanel.mount,
  TracePanel.mount,
  ComparePanel.mount,
];

function byId<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

// At once, before anything is awaited: the layout stays hidden until the controls are in.
document.querySelector("[data-template=controls]")?.replaceWith(
  document.createRange().createContextualFragment(controlsMarkup({ where: "page", operations: true, history: true })),
);

async function start(): Promise<void> {
  try {
    const engine = await Engine.create(allocatorFromUrl(location.search));
    const app = new App(document, engine, { keys: document, panels: PAGE_PANELS });
    window.playground = app;
    window.traces = app.panel(TracePanel);
    window.compare = app.panel(ComparePanel);
    const link = new LinkSync(app);
    window.link = link;
    const links = document.getElementById("lesson-links");
    if (links) lessonLinks(links);
    if (await link.open(location.hash)) app.history.clear();
    else {
      // ?lesson=NAME opens a lesson (a link to a session, #s=…, comes first).
      const lesson = new URLSearchParams(location.search).get("lesson");
      if (lesson !== null) {
        try {
          const script = app.panel(LessonPanel)?.open(app, lesson);
          // The script box holds the lesson, to edit and run again.
          const box = document.getElementById("script") as HTMLTextAreaElement | null;
          if (box && script !== undefined) box.value = script;
          app.history.clear();
        } catch (e) {
          app.showError(`The lesson could not be opened: ${e instanceof Error ? e.message : String(e)}.`);
        }
      }
    }
    const statusEl = byId<HTMLElement>("share-status");
    let statusTimer = 0;
    const status = (message: string): void => {
      statusEl.textContent = message;
      clearTimeout(statusTimer);
      statusTimer = window.setTimeout(() => (statusEl.textContent = ""), 4000);
    };
    bindExport(app, status);
    byId("copy-link").addEventListener("click", () => {
      void link.link().then(async (url) => {
        if (url === null) {
          status(`A link cannot hold ${app.base?.label ?? "this heap"}; export the picture instead`);
          return;
        }
        try {
          await navigator.clipboard.writeText(url);
          status("Link copied");
        } catch {
          // No clipboard (an insecure page, a refused permission): the address bar has it.
          status("The address bar holds the link: copy it from there");
        }
      });
    });
    app.render();
    document.body.dataset.ready = "true";
  } catch (e) {
    const error = byId<HTMLElement>("error");
    error.textContent = `The playground could not start: ${e instanceof Error ? e.message : String(e)}`;
    error.hidden = false;
    throw e;
  }
}

void start();
