import { chromium, type Browser, type Page } from "playwright-core";

/** Debian's chromium, headless; never a downloaded browser (no `playwright install`). */
export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface OpenedReport {
  browser: Browser;
  page: Page;
  /** Console errors, page errors and requests that left the page (it must need none). */
  errors: string[];
  requests: string[];
}

export async function openReport(htmlPath: string, width = 1360): Promise<OpenedReport> {
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
  const page = await browser.newPage({ viewport: { width, height: 900 }, deviceScaleFactor: 1 });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("request", (r) => {
    if (!r.url().startsWith("file:")) requests.push(r.url());
  });
  await page.goto(`file://${htmlPath}`, { waitUntil: "load" });
  return { browser, page, errors, requests };
}

/** A full-page screenshot of a report. */
export async function screenshot(htmlPath: string, pngPath: string): Promise<void> {
  const { browser, page } = await openReport(htmlPath);
  try {
    await page.screenshot({ path: pngPath, fullPage: true });
  } finally {
    await browser.close();
  }
}

if (import.meta.main) {
  const [html, png] = process.argv.slice(2);
  if (!html || !png) {
    process.stderr.write("usage: node loadtests/src/browser.ts <report.html> <out.png>\n");
    process.exit(2);
  }
  await screenshot(html, png);
  process.stdout.write(`${png}\n`);
}
