// Scratch: node tests/support/try.mjs "<query>" "<script>" out.png  (not a test)
import { launch, openPlayground } from "./browser.mjs";
import { serve } from "./server.mjs";
const [query = "", script = "", out = "/tmp/try/shot.png", js = ""] = process.argv.slice(2);
const server = await serve();
const browser = await launch();
try {
  const { page, errors } = await openPlayground(browser, server.url, query);
  if (script) {
    await page.fill("#script", script);
    await page.click("#script-run-all");
  }
  if (js) console.log(JSON.stringify(await page.evaluate(js), null, 1));
  console.log("narration:", await page.textContent("#narration"));
  console.log("error:", await page.locator("#error").isVisible() ? await page.textContent("#error") : null);
  console.log("blocks:", JSON.stringify(await page.$$eval("#diagram .block", (els) => els.map((e) => ({ ...e.dataset, text: e.querySelector(".dat-text")?.textContent })))));
  await page.screenshot({ path: out, fullPage: false });
  console.log("errors:", errors.map(String));
} finally {
  await browser.close();
  await server.close();
}
