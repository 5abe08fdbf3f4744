/**
 * The diagram's view controls: the zoom slider (pixels per byte, in powers of two) and the
 * "Fit whole heap" switch. They change how the diagram is drawn, never the heap.
 */

import type { DiagramWindow, Mount, Panel } from "./panel";

export class ZoomControls implements Panel {
  static mount({ find, diagram }: Mount): ZoomControls | null {
    const zoom = find<HTMLInputElement>("zoom");
    const fit = find<HTMLInputElement>("fit");
    return zoom && fit && new ZoomControls(zoom, fit, diagram);
  }

  constructor(zoom: HTMLInputElement, fit: HTMLInputElement, diagram: DiagramWindow) {
    const apply = (): void => {
      const z = 2 ** Number(zoom.value);
      zoom.setAttribute("aria-valuetext", `${z} pixels per byte`);
      diagram.setZoom(z);
    };
    zoom.addEventListener("input", apply);
    fit.addEventListener("change", () => {
      zoom.disabled = fit.checked;
      diagram.setFit(fit.checked);
    });
    apply();
  }

  /** The view changes nothing here: the controls hold their own state. */
  update(): void {}
}
