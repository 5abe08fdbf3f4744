/**
 * tutorial.html: the page for tutorial authors. It loads `<brk-playground>` the way an author's
 * page does, and marks the body ready once every playground on it is drawn.
 */

import "./element";

const elements = [...document.querySelectorAll("brk-playground")];
void Promise.all(elements.map((e) => e.ready)).then(() => {
  document.body.dataset.ready = "true";
});

// "Copy" buttons beside each code sample.
for (const pre of document.querySelectorAll<HTMLElement>("pre[data-copy]")) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "copy";
  button.textContent = "Copy";
  button.addEventListener("click", () => {
    void navigator.clipboard?.writeText(pre.querySelector("code")?.textContent ?? "").then(
      () => (button.textContent = "Copied"),
      () => (button.textContent = "Select and copy"),
    );
  });
  pre.append(button);
}
