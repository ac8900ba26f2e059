// Screenshots of our jobs in the real Temporal web UI, for the README (headless Debian Chromium via playwright-core).
// Usage: node dist/scripts/screenshotUi.js WORKFLOW_ID [UI_URL=http://127.0.0.1:8233]  → docs/images/temporal-ui-*.png
// (the embedded server is headless by default: start it with `anime-dub server start --ui` first).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const [id, base = 'http://127.0.0.1:8233'] = process.argv.slice(2);
if (!id) {
  console.error('usage: screenshotUi WORKFLOW_ID [UI_URL]');
  process.exit(2);
}
const out = fileURLToPath(new URL('../../docs/images/', import.meta.url));
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  // No background traffic: this machine reaches no outside host.
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
await page.goto(`${base}/namespaces/default/workflows?query=${encodeURIComponent("WorkflowType='dubJob'")}`);
await page.waitForTimeout(4000);
await page.screenshot({ path: path.join(out, 'temporal-ui-jobs.png') });
await page.goto(`${base}/namespaces/default/workflows/${encodeURIComponent(id)}`);
await page.waitForTimeout(4000);
await page.screenshot({ path: path.join(out, 'temporal-ui-job.png') });
await browser.close();
console.log(`wrote ${out}temporal-ui-jobs.png and temporal-ui-job.png`);
