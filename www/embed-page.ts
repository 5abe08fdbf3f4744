/**
 * embed.html: one `<brk-playground>` filling the page, configured from the query string, for
 * authors who embed with an iframe:
 *
 *   <iframe src="embed.html?script=a%20%3D%20malloc(16)%3B%20free(a)&controls=steps" height="420"></iframe>
 *
 * The parameters are the element's attributes: script, preset, policy, split, coalesce, trim,
 * derive, controls, start-step, height, checks and lesson.
 */

import { ATTRIBUTES } from "./element";

const known: readonly string[] = ATTRIBUTES;

const params = new URLSearchParams(location.search);
const element = document.createElement("brk-playground");
for (const name of ATTRIBUTES) {
  const value = params.get(name);
  if (value !== null) element.setAttribute(name, value);
}
const unknown = [...params.keys()].filter((k) => !known.includes(k));
document.getElementById("mount")!.append(element);
void element.ready.then((app) => {
  if (unknown.length > 0) {
    app.showError(`embed.html does not know the parameter${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => `"${k}"`).join(", ")}: the parameters are ${ATTRIBUTES.join(", ")}`);
  }
  document.body.dataset.ready = "true";
});
