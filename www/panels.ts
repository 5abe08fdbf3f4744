/**
 * The panels a playground may have, in the order each view reaches them (after the diagram,
 * which every playground has: the overview frames what it has just drawn). Each is built where
 * its root has its part and left out where it has not, so the page and a `<brk-playground>`
 * element use the same list. A new panel is one new module and one line here.
 *
 * Parts only the page has (the script box, trace replay, side by side) are listed in main.ts,
 * `PAGE_PANELS`, so that the element's script does not carry them.
 */

import { BytesPanel } from "./bytes";
import { Controls } from "./controls";
import { ErrorBox } from "./error-box";
import { Keys } from "./keys";
import { ListsPanel } from "./lists";
import { NarrationPanel } from "./narration-panel";
import { Overview } from "./overview";
import type { PanelFactory } from "./panel";
import { StatsPanel } from "./stats";
import { Timebar } from "./timebar";
import { ZoomControls } from "./zoom";

export const PANELS: readonly PanelFactory[] = [
  Overview.mount,
  ZoomControls.mount,
  Controls.mount,
  Timebar.mount,
  Keys.mount,
  ErrorBox.mount,
  NarrationPanel.mount,
  StatsPanel.mount,
  ListsPanel.mount,
  BytesPanel.mount,
];
