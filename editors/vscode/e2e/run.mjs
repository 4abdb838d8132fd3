// The extension in a real VS Code: code-server serves VS Code's workbench, headless Chromium (Debian's
// package, driven by playwright-core; no browser is downloaded) uses it as a person would.
//
//   CODESEARCH_TEST_REPO=/abs/indexed/repo CODESEARCH_TEST_SERVER_CMD='["codesearch","serve"]' \
//   CODESEARCH_TEST_VSIX=/abs/codesearch.vsix CODESEARCH_TEST_SCREENSHOTS=/abs/folder node run.mjs
//
// Installs the .vsix into a fresh extensions folder, starts code-server on 127.0.0.1 with the repository
// open, then: "codesearch: Ask" from the Command Palette, a query typed into its QuickPick, the items
// checked, a screenshot of the QuickPick, Enter, the editor at the definition; "Find similar" from the
// editor's context menu, its QuickPick, the jump; "codesearch: Stop the server". Prints "ok N ..." per
// step and "all passed" at the end; exits 1 at the first failure (with a screenshot of that moment).

import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CODE_SERVER = path.join(HERE, "node_modules", ".bin", "code-server");
const CHROMIUM = process.env.CODESEARCH_TEST_CHROMIUM || "/usr/bin/chromium";
const CHROMIUM_FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];
const WAIT_MS = 180_000; // the first search waits for the server to load the model
const UI_MS = 60_000;

const repo = process.env.CODESEARCH_TEST_REPO ?? "";
const serverCommand = JSON.parse(process.env.CODESEARCH_TEST_SERVER_CMD ?? "null");
const vsix = process.env.CODESEARCH_TEST_VSIX ?? "";
const screenshots = process.env.CODESEARCH_TEST_SCREENSHOTS ?? "";

function check(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}

function lineOf(file, needle) {
  const line = fs.readFileSync(file, "utf8").split("\n").findIndex((text) => text.includes(needle)) + 1;
  check(line > 0, `${needle} not in ${file}`);
  return line;
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** A fresh VS Code profile: the extension installed, settings that keep the workbench quiet. */
function prepareProfile(root) {
  const userData = path.join(root, "user-data");
  const extensions = path.join(root, "extensions");
  fs.mkdirSync(path.join(userData, "User"), { recursive: true });
  fs.writeFileSync(path.join(userData, "User", "settings.json"), JSON.stringify({
    "codesearch.serverCommand": serverCommand,
    "codesearch.debounceMs": 100,
    "security.workspace.trust.enabled": false,
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": false,
    "workbench.enableExperiments": false,
    "extensions.autoCheckUpdates": false,
    "update.mode": "none",
    "telemetry.telemetryLevel": "off",
    "editor.minimap.enabled": false,
  }, null, 1));
  const installed = spawnSync(CODE_SERVER, [
    "--user-data-dir", userData, "--extensions-dir", extensions, "--install-extension", vsix,
  ], { encoding: "utf8", timeout: UI_MS });
  check(installed.status === 0, `installing ${vsix} failed:\n${installed.stdout}\n${installed.stderr}`);
  check(fs.readdirSync(extensions).some((name) => name.startsWith("codesearch.codesearch-")),
    `the extension is not in ${extensions}: ${fs.readdirSync(extensions)}`);
  return { userData, extensions };
}

async function startCodeServer(profile, port, logPath) {
  const log = fs.openSync(logPath, "w");
  const child = spawn(CODE_SERVER, [
    "--auth", "none", "--bind-addr", `127.0.0.1:${port}`, "--user-data-dir", profile.userData,
    "--extensions-dir", profile.extensions, "--disable-telemetry", "--disable-update-check",
    "--disable-workspace-trust", "--disable-getting-started-override", "--ignore-last-opened", repo,
  ], { stdio: ["ignore", log, log] });
  const deadline = Date.now() + UI_MS;
  while (Date.now() < deadline) {
    check(child.exitCode === null, `code-server exited:\n${fs.readFileSync(logPath, "utf8")}`);
    if (fs.readFileSync(logPath, "utf8").includes("HTTP server listening")) {
      return child;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`code-server did not start:\n${fs.readFileSync(logPath, "utf8")}`);
}

async function runCommand(page, title) {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget .quick-input-box input");
  await input.waitFor({ state: "visible", timeout: UI_MS });
  await input.fill(`>${title}`);
  const row = page.locator(".quick-input-widget .monaco-list-row", { hasText: title }).first();
  await row.waitFor({ timeout: UI_MS });
  await page.keyboard.press("Enter");
}

/** The QuickPick rows once one of them contains ``needle``: [{label, description, detail}]. */
async function quickPickRows(page, needle) {
  const rows = page.locator(".quick-input-widget .quick-input-list .monaco-list-row");
  await rows.filter({ hasText: needle }).first().waitFor({ timeout: WAIT_MS });
  return rows.evaluateAll((elements) => elements.map((row) => ({
    label: row.querySelector(".label-name")?.textContent?.trim() ?? "",
    description: row.querySelector(".label-description")?.textContent?.trim() ?? "",
    detail: row.querySelector(".quick-input-list-label-meta")?.textContent?.trim() ?? "",
    aria: row.getAttribute("aria-label") ?? "",
  })));
}

/** The active editor's file name and the cursor's line (from the status bar: "Ln 12, Col 1"). */
async function editorPosition(page) {
  const tab = await page.locator(".tabs-container .tab.active").getAttribute("aria-label", { timeout: UI_MS });
  const selection = await page.locator("[id='status.editor.selection'] .statusbar-item-label").textContent();
  const match = /Ln (\d+), Col (\d+)/.exec(selection ?? "");
  return { tab: tab ?? "", line: match ? Number(match[1]) : -1 };
}

async function waitForEditor(page, file, line) {
  const deadline = Date.now() + UI_MS;
  let seen;
  while (Date.now() < deadline) {
    seen = await editorPosition(page);
    if (seen.tab.startsWith(file) && seen.line === line) {
      return seen;
    }
    await page.waitForTimeout(100);
  }
  throw new Error(`the editor is at ${JSON.stringify(seen)}, not ${file}:${line}`);
}

async function testAsk(page) {
  await runCommand(page, "codesearch: Ask");
  const title = page.locator(".quick-input-widget .quick-input-title", { hasText: "codesearch: Ask" });
  await title.waitFor({ timeout: UI_MS });
  await page.keyboard.type("hash a password with a random salt");
  const rows = await quickPickRows(page, "hash_password");
  const passwords = path.join(repo, "server", "passwords.py");
  const hashLine = lineOf(passwords, "def hash_password");
  check(rows[0].label === "hash_password", `first item: ${JSON.stringify(rows)}`);
  check(rows[0].description === `server/passwords.py:${hashLine}`, `first item: ${JSON.stringify(rows[0])}`);
  check(rows.length >= 5, `${rows.length} items`);
  check(rows.every((row) => /^[\w/.]+:\d+$/.test(row.description)), JSON.stringify(rows));
  console.log(`ok 1 Ask: ${rows.length} items, first ${rows[0].label} ${rows[0].description}`);
  if (screenshots) {
    await page.screenshot({ path: path.join(screenshots, "vscode-ask.png") });
  }
  await page.keyboard.press("Enter");
  await waitForEditor(page, "passwords.py", hashLine);
  console.log(`ok 2 Enter opened server/passwords.py at line ${hashLine}`);
}

async function testFindSimilar(page) {
  const passwords = path.join(repo, "server", "passwords.py");
  const verifyLine = lineOf(passwords, "def verify_password");
  // A right-click inside hash_password's body: the cursor moves there and the context menu opens.
  const editorLine = page.locator(".monaco-editor .view-lines .view-line", { hasText: "os.urandom" }).first();
  await editorLine.click({ button: "right", timeout: UI_MS });
  const item = page.locator(".context-view .monaco-menu .action-label", { hasText: "Find similar" });
  await item.waitFor({ timeout: UI_MS });
  // A menu ignores a click that comes too soon after it opened (it takes it for the right-click's
  // release): click until the menu closes, which it does once it runs the command.
  const deadline = Date.now() + UI_MS;
  while (await item.isVisible()) {
    check(Date.now() < deadline, "the context menu did not run Find similar");
    await item.click().catch(() => undefined); // the menu may close between the check and the click
    await item.waitFor({ state: "hidden", timeout: 1_000 }).catch(() => undefined);
  }
  const title = page.locator(".quick-input-widget .quick-input-title", { hasText: "codesearch: similar to passwords.py" });
  await title.waitFor({ timeout: WAIT_MS });
  const rows = await quickPickRows(page, "verify_password");
  const sibling = rows.findIndex((row) => row.label === "verify_password");
  check(sibling >= 0 && rows[sibling].description === `server/passwords.py:${verifyLine}`, JSON.stringify(rows));
  check(!rows.some((row) => row.label === "hash_password"), "the definition itself is not among the similar ones");
  console.log(`ok 3 Find similar (context menu): ${rows.length} items, verify_password is number ${sibling + 1}`);
  if (screenshots) {
    await page.screenshot({ path: path.join(screenshots, "vscode-similar.png") });
  }
  // The row whose label is the function's name (another row's text may mention it too).
  const label = page.locator(".label-name", { hasText: /^\s*verify_password\s*$/ });
  await page.locator(".quick-input-widget .quick-input-list .monaco-list-row", { has: label }).click();
  await waitForEditor(page, "passwords.py", verifyLine);
  console.log(`ok 4 Enter moved to verify_password at line ${verifyLine}`);
}

async function testStop(page) {
  // The extension started the server: the driver checks that it ends (server.json: PROTOCOL.md, section 1).
  const runtime = process.env.XDG_RUNTIME_DIR ?? "";
  const info = JSON.parse(fs.readFileSync(path.join(runtime, "codesearch", "server.json"), "utf8"));
  console.log(`server pid ${info.pid}`);
  await runCommand(page, "codesearch: Stop the server");
  await page.locator(".notifications-toasts", { hasText: "the server is stopping" }).waitFor({ timeout: UI_MS });
  console.log("ok 5 Stop the server");
}

async function main() {
  check(repo && Array.isArray(serverCommand) && vsix, "set CODESEARCH_TEST_REPO, _SERVER_CMD and _VSIX");
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "cs-code-server-"));
  const profile = prepareProfile(scratch);
  const port = await freePort();
  const codeServer = await startCodeServer(profile, port, path.join(scratch, "code-server.log"));
  const context = await chromium.launchPersistentContext(path.join(scratch, "chromium-profile"), {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, viewport: { width: 1280, height: 760 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  try {
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(repo)}`, { timeout: UI_MS });
    await page.locator(".monaco-workbench .part.activitybar").waitFor({ timeout: UI_MS });
    await page.keyboard.press("F1"); // open a file, as a user would, so the context menu has an editor
    await page.locator(".quick-input-widget .quick-input-box input").fill("passwords.py");
    await page.locator(".quick-input-widget .monaco-list-row", { hasText: "passwords.py" }).first().waitFor({ timeout: UI_MS });
    await page.keyboard.press("Enter");
    await page.locator(".tabs-container .tab.active", { hasText: "passwords.py" }).waitFor({ timeout: UI_MS });
    await testAsk(page);
    await testFindSimilar(page);
    await testStop(page);
    console.log("all passed");
  } catch (error) {
    await page.screenshot({ path: path.join(scratch, "failure.png") }).catch(() => undefined);
    console.error(`FAILED: ${error.stack}\n(screenshot and code-server log in ${scratch})`);
    process.exitCode = 1;
  } finally {
    await context.close();
    codeServer.kill();
  }
  if (process.exitCode !== 1) {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
