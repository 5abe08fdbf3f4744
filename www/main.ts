/**
 * The playground page (index.html): one playground bound to the whole document, the script
 * box, the link in the address bar, sharing and export, trace replay and the comparison of
 * allocators side by side.
 */

import { App } from "./app";
import { allocatorFromUrl } from "./controls";
import { Engine } from "./engine";
import { ComparePanel } from "./compare";
import { bindExport } from "./export";
import { SHORTCUTS } from "./keys";
import { LinkSync } from "./link";
import { ScriptPanel } from "./script-panel";
import { TracePanel } from "./trace";

/** What tests, benchmarks and tutorial pages can reach from the console: `window.playground`. */
declare global {
  interface Window {
    playground?: App;
    link?: LinkSync;
    traces?: TracePanel;
    compare?: ComparePanel;
  }
}

function byId<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

/** Fills the list of keyboard shortcuts. */
function listShortcuts(): void {
  const dl = document.getElementById("shortcut-list");
  if (!dl) return;
  for (const [keys, what] of SHORTCUTS) {
    const dt = document.createElement("dt");
    for (const [i, key] of keys.split(" ").entries()) {
      if (i > 0) dt.append(" ");
      if (key === "or" || key === "then" || key.endsWith(",")) dt.append(key);
      else {
        const kbd = document.createElement("kbd");
        kbd.textContent = key;
        dt.append(kbd);
      }
    }
    const dd = document.createElement("dd");
    dd.textContent = what;
    dl.append(dt, dd);
  }
}

async function start(): Promise<void> {
  try {
    const engine = await Engine.create(allocatorFromUrl(location.search));
    const app = new App(document, engine, { keys: document });
    window.playground = app;
    listShortcuts();
    window.traces = new TracePanel(document, app);
    window.compare = new ComparePanel(document, app);
    new ScriptPanel(document, app);
    const link = new LinkSync(app);
    window.link = link;
    if (await link.open(location.hash)) app.history.clear();
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
