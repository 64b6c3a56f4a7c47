// End-to-end story in headless Chromium: the real `heard serve --demo` binary on a fresh
// data folder, driven through its pages the way people use them.
//
//   1. A new customer signs up, starts a request, sees a suggested article, sends it.
//   2. An agent opens it from the team queue, types a condescending draft, sees the tone
//      coach's finding, rewrites it until the checklist ticks, and sends it.
//   3. The customer sees the reply and when they will hear next.
//   4. The agent, reminded of a break he is overdue, takes one and comes back (with and
//      without JavaScript), then hands the ticket to a colleague with a note; the
//      customer is told who has it now and that they need not repeat anything.
//   5. A supervisor sees the ticket, and everyone's presence and breaks, on the dashboard.
// Around it: a second agent opens the same ticket and each sees the other (and who is
// writing a reply); a customer signs in with a link e-mailed through a small SMTP server
// the test runs; the admin pages are used.
//
// Every page is screenshotted into screenshots/e2e/ (git-ignored) and audited: every
// control and link has an accessible name, headings go in order under one h1, the
// landmarks and the skip link are there, text meets WCAG AA contrast on its background,
// keyboard focus is visible, and at phone width (390×844) nothing scrolls sideways.
// Any failed step fails the run with a non-zero exit. The time to first byte of each page
// is reported, never asserted (speed is measured by the benchmarks). Uses Debian's chromium (CHROMIUM, default
// /usr/bin/chromium) through playwright-core; it never downloads a browser.
//
// HEARD_BIN names the binary; otherwise it is found in cargo's target folder.
//
// The stories live in stories/, one file each, sharing lib.mjs; each new capability adds
// its own file there.

import { chromium } from "playwright-core";
import { mkdtempSync, readdirSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { expect, heardBinary, passedSteps, startServer, startSmtp, step, timings } from "./lib.mjs";
import { freePort, startOidcProvider } from "./lib.mjs";

const here = dirname(fileURLToPath(import.meta.url));

async function main() {
  const bin = heardBinary();
  expect(existsSync(bin), `no heard binary at ${bin}; build it with cargo build -p heard`);
  const dataDir = mkdtempSync(join(tmpdir(), "heard-e2e-"));
  const smtp = await startSmtp();
  // The desk signs staff in with an OpenID provider, which must know heard's address first.
  const heardPort = await freePort();
  const oidc = await startOidcProvider(`http://127.0.0.1:${heardPort}`);
  const { child, url: base } = await startServer(bin, dataDir, smtp.port, {
    listen: `127.0.0.1:${heardPort}`,
    args: oidc.args,
  });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  const errors = [];
  try {
    // Each file in stories/ is one story over the same demo server, run in name order;
    // E2E_ONLY=name runs the stories whose file name contains it.
    const only = process.env.E2E_ONLY;
    const stories = readdirSync(join(here, "stories")).filter((f) => f.endsWith(".mjs")).sort();
    for (const file of stories) {
      if (only && !file.includes(only)) continue;
      console.log(`-- ${file}`);
      const story = (await import(pathToFileURL(join(here, "stories", file)).href)).default;
      await story({ browser, base, smtp, errors, dataDir, oidc });
    }

    await step("no script errors or CSP violations on any page", async () => {
      expect(errors.length === 0, "console errors:\n" + errors.join("\n"));
    });
  } finally {
    await browser.close();
    smtp.server.close();
    child.kill("SIGTERM");
    oidc.child.kill("SIGTERM");
    rmSync(dataDir, { recursive: true, force: true });
  }
  console.log("\nserver time to first byte per page (ms, from the browser's navigation timing; debug build,\nreported, not asserted):");
  for (const t of timings) console.log(`  ${String(t.ms).padStart(4)}  ${t.page}  ${t.path}`);
  console.log(`\nscreenshots in ${join(here, "../../screenshots/e2e")}`);
}

main().then(
  () => console.log(`e2e: ${passedSteps()} passed, 0 failed`),
  (e) => {
    console.error(e && e.stack ? e.stack : e);
    process.exit(1);
  }
);
