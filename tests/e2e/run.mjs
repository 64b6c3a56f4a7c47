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
//
// Every page is screenshotted into screenshots/e2e/ (git-ignored). Any failed step fails
// the run with a non-zero exit. Uses Debian's chromium (CHROMIUM, default
// /usr/bin/chromium) through playwright-core; it never downloads a browser.
//
// HEARD_BIN names the binary; otherwise it is found in cargo's target folder.

import { chromium } from "playwright-core";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const shots = join(root, "screenshots", "e2e");
rmSync(shots, { recursive: true, force: true });
mkdirSync(shots, { recursive: true });

function heardBinary() {
  if (process.env.HEARD_BIN) return process.env.HEARD_BIN;
  const meta = JSON.parse(
    execFileSync("cargo", ["metadata", "--format-version", "1", "--no-deps"], { cwd: root, encoding: "utf8" })
  );
  return join(meta.target_directory, "debug", "heard");
}

function startServer(bin, dataDir) {
  return new Promise((resolveStart, reject) => {
    const child = spawn(bin, ["serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir", dataDir], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, RUST_LOG: process.env.RUST_LOG || "warn" },
    });
    let out = "";
    const timer = setTimeout(() => reject(new Error("the server did not start within 60 s:\n" + out)), 60_000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/heard listening on (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolveStart({ child, url: m[1] });
      }
    });
    child.stderr.on("data", (d) => { if (process.env.E2E_VERBOSE) process.stderr.write(d); });
    child.on("exit", (code) => { clearTimeout(timer); reject(new Error(`the server exited (${code}):\n${out}`)); });
  });
}

const timings = [];
let stepNo = 0;
let passed = 0;

async function step(name, fn) {
  stepNo += 1;
  const started = Date.now();
  try {
    await fn();
    passed += 1;
    console.log(`ok   ${stepNo}. ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    console.log(`FAIL ${stepNo}. ${name}`);
    console.log(`e2e: ${passed} passed, 1 failed`);
    throw e;
  }
}

/** Screenshot the page and note how long the server took to answer its document. */
async function snap(page, name) {
  const t = await page.evaluate(() => {
    const n = performance.getEntriesByType("navigation")[0];
    return n ? Math.round(n.responseStart - n.requestStart) : null;
  });
  timings.push({ page: name, path: new URL(page.url()).pathname, ms: t });
  await page.screenshot({ path: join(shots, `${String(timings.length).padStart(2, "0")}-${name}.png`), fullPage: true });
}

function expect(cond, message) {
  if (!cond) throw new Error(message);
}

/** Fails the page on any console error: CSP violations, script errors, failed fetches. */
function watch(page, label, errors) {
  page.on("console", (m) => { if (m.type() === "error") errors.push(`${label}: ${m.text()}`); });
  page.on("pageerror", (e) => errors.push(`${label}: ${e.message}`));
}

async function signIn(page, base, email) {
  await page.goto(base + "/signin");
  await page.getByLabel("E-mail address").fill(email);
  await page.getByLabel("Password").fill("heard-demo-2026");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForLoadState("load");
}

async function main() {
  const bin = heardBinary();
  expect(existsSync(bin), `no heard binary at ${bin}; build it with cargo build -p heard`);
  const dataDir = mkdtempSync(join(tmpdir(), "heard-e2e-"));
  const { child, url: base } = await startServer(bin, dataDir);
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
    const customer = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    watch(customer, "customer", errors);
    const subject = "My screen went all blue and the laptop restarts";
    let ticketPath = "";

    await step("security headers on pages", async () => {
      const r = await customer.goto(base + "/signin");
      const h = r.headers();
      expect((h["content-security-policy"] || "").includes("script-src 'self'"), "CSP with script-src 'self' missing");
      expect(!(h["content-security-policy"] || "").includes("unsafe-inline"), "CSP allows inline code");
      expect(h["x-frame-options"] === "DENY", "X-Frame-Options: DENY missing");
      await snap(customer, "sign-in");
    });

    await step("a form posted without its token is refused", async () => {
      const r = await customer.request.post(base + "/signin", {
        form: { csrf: "forged", email: "olivia.chen@northwind.example", password: "heard-demo-2026" },
        maxRedirects: 0,
      });
      expect(r.status() === 403, `forged sign-in answered ${r.status()}`);
    });

    await step("a new customer signs up", async () => {
      await customer.goto(base + "/signup");
      await customer.getByLabel("Your name").fill("Robin <b>Tester</b>");
      await customer.getByLabel("E-mail address").fill("robin.tester@example.org");
      await customer.getByLabel(/^Password/).fill("a-long-enough-password");
      await snap(customer, "sign-up");
      await customer.getByRole("button", { name: "Create account" }).click();
      await customer.waitForURL(/\/\?done=welcome/);
      // The name is shown as text, never as markup.
      expect(await customer.locator(".who").innerText().then((t) => t.includes("Robin <b>Tester</b>")), "name not escaped as text");
      await snap(customer, "portal-home-new-customer");
    });

    await step("the customer starts a request and sees a suggested article", async () => {
      await customer.getByRole("link", { name: "New request" }).first().click();
      await customer.getByLabel("In a few words").pressSequentially(subject, { delay: 5 });
      await customer.getByLabel(/What happened/).fill(
        "Since this morning my laptop shows a blue screen and restarts every time I open the VPN. I tried restarting twice. I have a presentation at 2pm."
      );
      await customer.locator("#suggestions li").first().waitFor({ timeout: 10_000 });
      const n = await customer.locator("#suggestions li").count();
      expect(n > 0, "no article suggested");
      await snap(customer, "portal-new-request-suggestions");
      await customer.getByRole("button", { name: "Send request" }).click();
      await customer.waitForURL(/\/requests\/\d+\?done=created/);
      ticketPath = new URL(customer.url()).pathname;
      expect(await customer.getByRole("heading", { level: 1 }).innerText().then((t) => t.includes(subject)), "request page lacks the subject");
      await customer.getByText("We received your request").waitFor();
      await snap(customer, "portal-request-received");
    });
    const ticketId = ticketPath.split("/").pop();

    const agent = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    watch(agent, "agent", errors);
    await step("an agent finds it in the team queue", async () => {
      await signIn(agent, base, "sam@heard.demo");
      expect(new URL(agent.url()).pathname === "/agent", `agent landed on ${agent.url()}`);
      await agent.locator(`a[href="/agent/tickets/${ticketId}"]`).first().waitFor();
      await snap(agent, "agent-queues");
      await agent.locator(`a[href="/agent/tickets/${ticketId}"]`).first().click();
      await agent.waitForURL(new RegExp(`/agent/tickets/${ticketId}$`));
      await agent.getByText("Their account, in full").waitFor();
      await snap(agent, "agent-ticket");
    });

    await step("the agent sees a gentle break reminder and switches presence", async () => {
      await agent.goto(base + "/agent");
      const reminder = agent.locator("#break-reminder");
      await reminder.waitFor();
      expect((await reminder.innerText()).includes("without a break"), "no reminder for an agent 2 h into his shift");
      await snap(agent, "agent-break-reminder");
      await agent.getByRole("button", { name: "Take a break" }).click();
      await agent.locator("#presence-state", { hasText: "On a break" }).waitFor();
      expect(new URL(agent.url()).pathname === "/agent", "the switch left the page");
      await agent.reload();
      await agent.locator("#presence-state", { hasText: "On a break" }).waitFor();
      await snap(agent, "agent-on-a-break");
      await agent.getByRole("button", { name: "Available", exact: true }).click();
      await agent.locator("#presence-state", { hasText: "Available" }).waitFor();
      await agent.goto(base + `/agent/tickets/${ticketId}`);
    });

    await step("the agent takes ownership", async () => {
      await agent.getByLabel("Owner", { exact: true }).selectOption("me");
      await agent.getByRole("button", { name: "Update" }).click();
      await agent.waitForURL(/done=updated/);
      await agent.locator(".summary").getByText("owner: Sam Okafor").waitFor();
    });

    await step("the tone coach flags a condescending draft", async () => {
      const box = agent.getByLabel(/Your reply to/);
      await box.fill("Obviously you should have updated the driver. As I already said, simply just reinstall it.");
      await agent.locator('#coach-findings li[data-kind="condescension"]').first().waitFor({ timeout: 10_000 });
      await agent.locator("#coach-preview mark").first().waitFor();
      await snap(agent, "agent-tone-coach-findings");
    });

    await step("the agent rewrites it until the checklist ticks, and sends it", async () => {
      const box = agent.getByLabel(/Your reply to/);
      await box.fill(
        "Hi Robin, I'm sorry the blue screen keeps interrupting your work, especially with a presentation at 2pm. " +
        "I understand how stressful that is. I'm updating the display driver on your laptop remotely now, " +
        "and I'll update you by 1pm today with the result."
      );
      await agent.waitForFunction(
        () => !document.querySelector('#coach-findings li[data-kind="condescension"]') &&
          document.querySelector('#coach-checklist li[data-key="apologizes"]').classList.contains("done"),
        null,
        { timeout: 10_000 }
      );
      await snap(agent, "agent-tone-coach-improved");
      await agent.getByRole("button", { name: "Send", exact: true }).click();
      await agent.waitForURL(/done=sent/);
      await agent.getByText("Your reply was sent.").waitFor();
    });

    await step("the agent promises the next update", async () => {
      const promise = agent.locator("#promise-form");
      if ((await promise.count()) > 0 && !(await agent.locator(".summary .promise-due").count())) {
        await promise.getByLabel(/Update the customer within/).selectOption("2");
        await promise.getByRole("button", { name: /Promise/ }).click();
        await agent.waitForURL(/done=promised/);
      }
      await snap(agent, "agent-ticket-after-reply");
    });

    await step("the customer sees the reply and when they will hear next", async () => {
      await customer.goto(base + ticketPath);
      await customer.getByText("I'm updating the display driver").waitFor();
      await customer.locator(".promise-box").getByText("Sam Okafor").waitFor();
      const promise = customer.locator("#next-update time");
      await promise.waitFor();
      expect((await promise.innerText()).length > 0, "no promise shown");
      await snap(customer, "portal-request-replied");
      await customer.locator("#file").setInputFiles({
        name: "stop-code.txt", mimeType: "text/plain", buffer: Buffer.from("CRITICAL_PROCESS_DIED 0x000000EF\n"),
      });
      await customer.getByRole("button", { name: "Send", exact: true }).click();
      await customer.waitForURL(/done=attached/);
      await customer.locator(".files").getByRole("link", { name: "stop-code.txt" }).waitFor();
      await customer.setViewportSize({ width: 390, height: 844 });
      await customer.reload();
      await snap(customer, "portal-request-phone");
    });

    await step("without JavaScript, the coach runs on “Check wording”", async () => {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, javaScriptEnabled: false });
      const page = await ctx.newPage();
      await signIn(page, base, "sam@heard.demo");
      await page.goto(base + `/agent/tickets/${ticketId}`);
      await page.getByLabel(/Your reply to/).fill("As I already said, obviously you should have read the manual.");
      await page.getByRole("button", { name: "Check wording" }).click();
      await page.locator("#coach-findings li.finding").first().waitFor();
      expect((await page.getByLabel(/Your reply to/).inputValue()).startsWith("As I already said"), "the draft was lost");
      await snap(page, "agent-no-js-check-wording");
      // The presence switch is a plain form too.
      await page.goto(base + "/agent");
      await page.getByRole("button", { name: "Away", exact: true }).click();
      await page.waitForURL(/done=presence/);
      await page.locator("#presence-state", { hasText: "Away" }).waitFor();
      await page.getByRole("button", { name: "Available", exact: true }).click();
      await page.waitForURL(/done=presence/);
      await page.locator("#presence-state", { hasText: "Available" }).waitFor();
      await ctx.close();
    });

    await step("the agent hands the ticket over with a note, and the customer is told who has it", async () => {
      await agent.goto(base + `/agent/tickets/${ticketId}`);
      const form = agent.locator("#handover-form");
      await form.getByLabel("To", { exact: true }).selectOption({ label: "Lena Fischer (on a break)" });
      await form.getByLabel(/Why/).fill("Lena fixed this laptop model's driver last week");
      await form.getByLabel(/Hand-off note/).fill(
        "Blue screen whenever the VPN opens; display driver updated remotely, stop code CRITICAL_PROCESS_DIED in the attached file. Presentation at 2pm."
      );
      await form.getByRole("button", { name: "Hand over" }).click();
      await agent.waitForURL(/done=handed_over/);
      await agent.locator("#handoff").getByText("Handed over by Sam Okafor").waitFor();
      await agent.locator(".summary").getByText("owner: Lena Fischer").waitFor();
      await snap(agent, "agent-ticket-handed-over");
      await customer.goto(base + ticketPath);
      const told = customer.locator("#handoff-told");
      await told.waitFor();
      const text = await told.innerText();
      expect(
        text.includes("Lena Fischer has your request now") && text.includes("will not need to repeat anything"),
        `the customer was told: ${text}`
      );
      expect(!(await customer.content()).includes("CRITICAL_PROCESS_DIED in the attached"), "the hand-off note reached the customer");
      await customer.locator(".timeline").getByText("Lena Fischer took over your request").waitFor();
      await snap(customer, "portal-request-handed-over");
    });

    const supervisor = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    watch(supervisor, "supervisor", errors);
    await step("a supervisor sees the ticket on the dashboard", async () => {
      await signIn(supervisor, base, "priya@heard.demo");
      expect(new URL(supervisor.url()).pathname === "/supervisor", `supervisor landed on ${supervisor.url()}`);
      await supervisor.locator(`a[href="/agent/tickets/${ticketId}"]`).first().waitFor();
      const table = supervisor.locator("#agents-presence");
      await table.getByText("Lena Fischer").waitFor();
      await table.locator(".presence-state", { hasText: "On a break" }).first().waitFor();
      await table.locator(".badge", { hasText: "break overdue" }).first().waitFor();
      await snap(supervisor, "supervisor-dashboard");
    });

    const admin = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    watch(admin, "admin", errors);
    await step("the admin pages and search render", async () => {
      await signIn(admin, base, "morgan@heard.demo");
      await admin.getByRole("heading", { name: "Teams" }).waitFor();
      await snap(admin, "admin");
      // The policy book saves back as it was shown.
      await admin.getByRole("button", { name: "Save calendars and policies" }).click();
      await admin.waitForURL(/done=service_levels/);
      await admin.goto(base + "/agent/search?q=vpn");
      await admin.getByRole("heading", { name: /Tickets/ }).waitFor();
      await snap(admin, "agent-search");
    });

    await step("no script errors or CSP violations on any page", async () => {
      expect(errors.length === 0, "console errors:\n" + errors.join("\n"));
    });
  } finally {
    await browser.close();
    child.kill("SIGTERM");
    rmSync(dataDir, { recursive: true, force: true });
  }
  console.log("\nserver time to first byte per page (ms, from the browser's navigation timing):");
  for (const t of timings) console.log(`  ${String(t.ms).padStart(4)}  ${t.page}  ${t.path}`);
  console.log(`\nscreenshots in ${shots}`);
}

main().then(
  () => console.log(`e2e: ${passed} passed, 0 failed`),
  (e) => {
    console.error(e && e.stack ? e.stack : e);
    process.exit(1);
  }
);
