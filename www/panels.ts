/**
 * The panels every playground may have, in the order each view reaches them (after the
 * diagram, which every playground has). Each is built where its root has its part and left out
 * where it has not. A `<brk-playground>` element has these alone (element.ts); the page puts
 * its own parts around them (main.ts, `pagePanels`), so that the element's script does not
 * carry the overview, the zoom, the stats, the lists, the bytes, the script box, trace replay
 * or the allocators side by side.
 */

import { Controls } from "./controls";
import { DerivedNote } from "./derived-note";
import { ErrorBox } from "./error-box";
import { Keys } from "./keys";
import { LessonPanel } from "./lesson-panel";
import { NarrationPanel } from "./narration-panel";
import type { PanelFactory } from "./panel";
import { Timebar } from "./timebar";

export const PANELS: readonly PanelFactory[] = [Controls.mount, Timebar.mount, Keys.mount, ErrorBox.mount, LessonPanel.mount, NarrationPanel.mount, DerivedNote.mount];
