/**
 * The lessons: the classic heap bugs, each a short scenario on the allocator that shows it best
 * (checks off where the mistake needs them) with two or three sentences on what happens. The
 * page offers them in its Lessons menu (`?lesson=NAME`), `<brk-playground lesson="NAME">` and
 * `embed.html?lesson=NAME` show one, and tutorial.html shows them all.
 *
 * What each text says is what the allocator does with its script: tests/lab.test.mjs checks
 * every outcome through the page's data-* contract.
 */

import type { App } from "./app";
import { readScenario } from "./engine";
import { scenarioSteps } from "./scenario";
import type { Options } from "./types";

/** One lesson. */
export interface Lesson {
  /** Its name in links and attributes: `?lesson=overflow`. */
  name: string;
  title: string;
  /** The allocator and the checks it runs with. */
  options: Options;
  /** The scenario. */
  script: string;
  /** Two or three sentences: what the mistake is, what the heap does, what C would run into. */
  text: string;
}

const SEED: Options = { policy: "first-fit", split: false, coalesce: false, trim: false, derive: false, checks: false };
const SEGREGATED: Options = { policy: "segregated", split: true, coalesce: true, trim: true, derive: false, checks: false };

export const LESSONS: readonly Lesson[] = [
  {
    name: "overflow",
    title: "Overflow into the next header",
    options: SEED,
    script: `// a holds 16 bytes; memset writes 24
a = malloc(16)
b = malloc(16)
memset(a, 'A', 24)   // a's 16 bytes, then the 8 bytes of b's header
c = malloc(8)        // malloc walks the chain through b's header`,
    text:
      "a has room for 16 bytes, and memset writes 24: the last 8 land on b's header. Its size now reads " +
      "0x41414140, its flags FREE (the low bit of 0x41) and its next 0x41414141, far outside the heap. The next " +
      "malloc walks the chain, takes b for a free block of a gigabyte and hands it out again: c and b are one block.",
  },
  {
    name: "use-after-free",
    title: "Use after free",
    options: SEGREGATED,
    script: `// the segregated allocator keeps a free block's list links in its data
a = malloc(16)
b = malloc(16)
free(a)
strcpy(a, "dangling")   // a still holds the address: it writes into the free block
c = malloc(16)          // takes a's block off its list, through the broken links`,
    text:
      "After free(a), a still holds the block's address, but the block is the allocator's again: the segregated " +
      "allocator keeps its free list's links in the first bytes of a free block's data. strcpy through a writes " +
      "the text over them, and the next malloc of that size, taking the block off its list, follows a link made " +
      "of the text's bytes out of the heap: a segmentation fault.",
  },
  {
    name: "double-free",
    title: "Double free: one block, two owners",
    options: SEGREGATED,
    script: `a = malloc(16)
b = malloc(16)
free(a)
free(a)         // a second time: the block goes on its list again, linked to itself
c = malloc(16)
d = malloc(16)  // the same address as c`,
    text:
      "The second free(a) pushes the block onto its size class's list again, where it already was: it now links " +
      "to itself. The next two mallocs of that size both take it: c and d are one block, and whatever the program " +
      "writes through one it reads through the other.",
  },
  {
    name: "interior-free",
    title: "Freeing a pointer into the middle of a block",
    options: SEGREGATED,
    script: `a = malloc(32)
b = malloc(16)
a[8] = 0x10      // a's own data, which free will read as a header: 16 bytes
free(a + 16)     // not an address malloc returned: 16 bytes into a
c = malloc(16)   // hands out a + 16`,
    text:
      "free is given only a pointer, and takes the 8 bytes before it for the block's header. Given a + 16 it " +
      "reads a's own data, which here says 16 bytes: free puts that block on the list of 16-byte blocks, and the " +
      "next malloc(16) hands out a + 16. c lies inside a, and each now overwrites the other.",
  },
  {
    name: "off-by-one",
    title: "Off by one: the terminating NUL",
    options: SEED,
    script: `a = malloc(16)
b = malloc(16)
strcpy(a, "sixteen chars!!!")   // 16 characters and a NUL: 17 bytes`,
    text:
      "strcpy copies the text and its terminating NUL: 16 characters take 17 bytes. The one byte too many is the " +
      "lowest byte of b's header, where its size is kept: b's size now reads 0, and a block that reused it would " +
      "hand out bytes that belong to the blocks after it.",
  },
  {
    name: "leak",
    title: "A leak",
    options: { ...SEED, checks: true },
    script: `a = malloc(32)
b = malloc(16)
a = malloc(64)   // a now points elsewhere: nothing refers to the first block
free(b)`,
    text:
      "Assigning a new block to a drops the only pointer to the first one. Nothing is broken and nothing is " +
      "refused, but that block can never be freed: at the end of the scenario it is marked leaked, and the stats " +
      "count its bytes.",
  },
];

/** The lesson called `name`; an Error that lists the lessons when there is none. */
export function lessonNamed(name: string): Lesson {
  const lesson = LESSONS.find((l) => l.name === name);
  if (!lesson) {
    throw new Error(`there is no lesson "${name}": the lessons are ${LESSONS.map((l) => l.name).join(", ")}`);
  }
  return lesson;
}

/**
 * Opens `lesson` in `app` at `position` (default: before the first step), as one edit: its
 * allocator and checks, its steps. Throws a readable Error if the script does not parse.
 */
export function openLesson(app: App, lesson: Lesson, position = 0): void {
  const steps = scenarioSteps(readScenario(lesson.script));
  app.load({ options: lesson.options, steps, position: Math.max(0, Math.min(position, steps.length)) });
}
