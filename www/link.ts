/**
 * The session in the address bar: after every change the URL's fragment becomes `#s=` and the
 * session (options and steps), so the address is always a link to what is on screen. Opening
 * such a link, or pasting one into the address bar, replays it; a link that cannot be read is
 * explained in the page, which then starts with an empty heap.
 */

import type { App } from "./app";
import { hasSession, sessionFromHash, sessionHash } from "./session";

export class LinkSync {
  readonly #app: App;
  #written = "";
  #timer = 0;
  #writing: Promise<void> = Promise.resolve();

  constructor(app: App) {
    this.#app = app;
    app.onChange(() => this.#schedule());
    addEventListener("hashchange", () => {
      if (location.hash !== this.#written) void this.open(location.hash);
    });
  }

  /** Opens the session in `hash`, if it holds one. Resolves to whether it did. */
  async open(hash: string): Promise<boolean> {
    if (!hasSession(hash)) return false;
    try {
      const session = await sessionFromHash(hash);
      this.#app.load(session);
      this.#written = hash;
      return true;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.#app.showError(`This link could not be opened: ${message}. The playground starts from an empty heap instead.`);
      return false;
    }
  }

  /** The link to the session on screen, now (`null` when the heap comes from a trace). */
  async link(): Promise<string | null> {
    if (this.#app.base) return null;
    const hash = await sessionHash(this.#app.session());
    return `${location.origin}${location.pathname}${location.search}${hash}`;
  }

  /** Writes the session into the address bar a moment after the last change. */
  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = window.setTimeout(() => {
      this.#writing = this.#writing.then(() => this.#write());
    }, 150);
  }

  async #write(): Promise<void> {
    if (this.#app.base) {
      // A trace (or operations run at once) is too big for a link: say nothing rather than
      // give a link to another heap.
      if (location.hash !== "") history.replaceState(history.state, "", `${location.pathname}${location.search}`);
      this.#written = "";
      delete document.body.dataset.link;
      return;
    }
    const session = this.#app.session();
    // A fresh page keeps its plain address until there is something to link to.
    if (session.steps.length === 0 && location.hash === "") return;
    const hash = await sessionHash(session);
    if (hash === this.#written) return;
    this.#written = hash;
    history.replaceState(history.state, "", `${location.pathname}${location.search}${hash}`);
    document.body.dataset.link = hash;
  }
}
