// Opens Neo4j Browser on the demo graph with Debian's chromium, logs in, applies cloudmap's style
// sheet, runs the HIGH attack-path query and saves a PNG (docs/screenshot-attack-path.png).
//
//   cd scripts/screenshot && npm install
//   NEO4J_BROWSER_URL=http://127.0.0.1:7474/browser/ NEO4J_URI=bolt://127.0.0.1:7687 \
//   NEO4J_PASSWORD=... GUIDE_URL=http://127.0.0.1:7480 node attack-path.mjs [OUT.png]
//
// GUIDE_URL is where `cloudmap browser guide` serves style.grass. The password is read from the
// environment and typed into the login form only.
import { chromium } from 'playwright-core';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] || path.join(here, '..', '..', 'docs', 'screenshot-attack-path.png');
const browserUrl = process.env.NEO4J_BROWSER_URL || 'http://127.0.0.1:7474/browser/';
const boltUri = process.env.NEO4J_URI || 'bolt://127.0.0.1:7687';
const user = process.env.NEO4J_USER || 'neo4j';
const password = process.env.NEO4J_PASSWORD;
const guideUrl = process.env.GUIDE_URL || 'http://127.0.0.1:7480';
if (!password) {
  console.error('error: set NEO4J_PASSWORD (the password of the Neo4j user)');
  process.exit(2);
}

const QUERY = `MATCH reach = (:Internet)-[:CAN_REACH]->(vm:VirtualMachine {name: 'payments-web'})
MATCH vuln = (vm)-[:HAS_VULNERABILITY]->(:Vulnerability {id: 'CVE-2021-44228'})
MATCH data = (vm)-[:CAN_AUTHENTICATE_AS]->(:Identity)-[:CAN_ACCESS]->(:DataStore)-[:STORES]->(:SensitiveInfoType {category: 'pci'})
OPTIONAL MATCH finding = (f:Finding)-[:AFFECTS]->(vm) WHERE f.level IN ['critical', 'high']
RETURN reach, vuln, data, finding`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 }, deviceScaleFactor: 1 });
  await page.goto(browserUrl);
  await page.getByTestId('boltaddress').fill(boltUri, { timeout: 90000 });
  await page.getByTestId('username').fill(user);
  await page.getByTestId('password').fill(password);
  await page.getByTestId('connect').click();
  await page.getByTestId('activeEditor').waitFor({ timeout: 60000 });

  const run = async (text) => {
    const editor = page.getByTestId('activeEditor');
    await editor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(text);
    await page.keyboard.press('Control+Enter');
  };
  await run(`:style ${guideUrl}/style.grass`);
  await page.waitForTimeout(2000);
  await run(QUERY);
  await page.locator('svg .node').first().waitFor({ timeout: 60000 });
  await page.waitForTimeout(6000); // let the force layout settle
  const frame = page.locator('[data-testid="frame"]').filter({ has: page.locator('svg .node') }).first();
  if (process.env.FULL_PAGE) await page.screenshot({ path: out.replace(/\.png$/, '-page.png') });
  await frame.screenshot({ path: out });
  console.log(`saved ${out}`);
} finally {
  await browser.close();
}
