/**
 * The lesson box (`#lesson`): the title and explanation of the lesson the playground opened
 * (lessons.ts), above the narration. It stays while the reader steps through the lesson and
 * goes when something else is loaded or the heap is started over.
 */

import { LESSONS, lessonNamed, openLesson, type Lesson } from "./lessons";
import type { Mount, Panel, View } from "./panel";
import type { App } from "./app";

export class LessonPanel implements Panel {
  readonly #box: HTMLElement;
  readonly #title: HTMLElement;
  readonly #text: HTMLElement;
  readonly #source: HTMLElement | null;
  #opening = false;
  #lesson: Lesson | null = null;

  static mount({ find }: Mount): LessonPanel | null {
    const box = find("lesson");
    return box && new LessonPanel(box);
  }

  constructor(box: HTMLElement) {
    this.#box = box;
    box.innerHTML = `<p class="lesson-head"><span class="lesson-kicker">Lesson</span> <strong class="lesson-title"></strong></p>
      <p class="lesson-text"></p><pre class="lesson-script" hidden><code></code></pre>`;
    this.#title = box.querySelector(".lesson-title")!;
    this.#text = box.querySelector(".lesson-text")!;
    this.#source = box.dataset.script === "shown" ? box.querySelector(".lesson-script") : null;
    box.hidden = true;
  }

  /** The lesson shown (`null`: none). */
  get lesson(): Lesson | null {
    return this.#lesson;
  }

  /**
   * Opens the lesson called `name` in `app` at `position`, and shows it; returns its script.
   * Throws a readable Error (naming the lessons) for a name there is no lesson of; nothing
   * changes then.
   */
  open(app: App, name: string, position?: number): string {
    const lesson = lessonNamed(name);
    this.#opening = true;
    try {
      openLesson(app, lesson, position);
    } finally {
      this.#opening = false;
    }
    this.#show(lesson);
    return lesson.script;
  }

  update(view: View): void {
    const kind = view.change?.kind;
    if (this.#lesson && !this.#opening && (kind === "started" || kind === "loaded")) this.#show(null);
  }

  #show(lesson: Lesson | null): void {
    this.#lesson = lesson;
    this.#box.hidden = lesson === null;
    if (lesson) this.#box.dataset.lesson = lesson.name;
    else delete this.#box.dataset.lesson;
    this.#title.textContent = lesson?.title ?? "";
    this.#text.textContent = lesson?.text ?? "";
    if (this.#source) {
      this.#source.hidden = lesson === null;
      this.#source.querySelector("code")!.textContent = lesson?.script ?? "";
    }
  }
}

/** The lessons as links (`?lesson=NAME`), for a menu: each its title. */
export function lessonLinks(list: HTMLElement, href: (name: string) => string = (n) => `?lesson=${encodeURIComponent(n)}`): void {
  for (const lesson of LESSONS) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = href(lesson.name);
    a.textContent = lesson.title;
    a.dataset.lesson = lesson.name;
    li.append(a);
    list.append(li);
  }
}

