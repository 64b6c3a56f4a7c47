// No dead ends (issue 16): an agent who tries to close an upset customer's ticket before
// its root cause is recorded is told so on the same page, beside the Diagnose field, which
// takes the focus; a customer browses the help centre, searches, opens an article, says
// it helped, and finds the way to a person.

import { expect, signIn, snap, step, watch } from "../lib.mjs";

/** As lib.mjs's watch, except the refusal page's own 422 (a refused form answers 422 by
 * design, which Chromium logs as a failed load). */
function watchRefusals(page, label, errors) {
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().includes("status of 422")) errors.push(`${label}: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`${label}: ${e.message}`));
}

export default async function desk({ browser, base, errors }) {
  const ctx = { viewport: { width: 1280, height: 900 } };
  let ticketId = 0;

  await step("an upset customer writes in", async () => {
    const customer = await (await browser.newContext(ctx)).newPage();
    watch(customer, "upset customer", errors);
    await signIn(customer, base, "marcus.webb@northwind.example");
    const csrf = await customer.locator('meta[name="csrf-token"]').getAttribute("content");
    const r = await customer.request.post(base + "/api/v1/tickets", {
      headers: { "x-csrf-token": csrf },
      data: {
        subject: "Shared drive gone AGAIN",
        body: "This is the THIRD time I'm writing!!! The shared drive vanished again, it's absolutely unacceptable and I am furious.",
      },
    });
    expect(r.status() === 201, `opening the ticket answered ${r.status()}`);
    ticketId = (await r.json()).id;
    await customer.context().close();
  });

  await step("only valid moves are offered, and a refusal comes back beside the field", async () => {
    const agent = await (await browser.newContext(ctx)).newPage();
    watchRefusals(agent, "agent", errors);
    await signIn(agent, base, "lena@heard.demo");
    const path = `/agent/tickets/${ticketId}`;
    await agent.goto(base + path);
    const offered = await agent.locator("#status option").evaluateAll((os) => os.map((o) => o.value));
    expect(!offered.includes("closed"), `closing an open ticket is offered: ${offered}`);
    await agent.locator("#status").selectOption("resolved");
    await agent.locator("#update-form").getByRole("button", { name: "Update" }).click();
    await agent.waitForURL((u) => u.search.includes("done=updated"));
    await agent.locator("#status").selectOption("closed");
    await agent.locator("#update-form").getByRole("button", { name: "Update" }).click();
    const error = agent.locator("#diagnose-root_cause-error");
    await error.waitFor();
    const text = await error.innerText();
    expect(text.includes("root cause"), `refusal reads: ${text}`);
    expect(!/\/api\/|POST|JSON/.test(await agent.content()), "API wording on the page");
    const focused = await agent.evaluate(() => document.activeElement && document.activeElement.id);
    expect(focused === "root_cause", `focus is on ${focused}, not the Diagnose field`);
    expect(
      (await agent.locator("#root_cause").getAttribute("aria-invalid")) === "true",
      "the Diagnose field is not marked"
    );
    await snap(agent, "desk-refusal-beside-the-field");
    // Recording the root cause there, then closing, goes through.
    await agent.locator("#root_cause").fill("The nightly backup job unmounted the shared drive on the file server");
    await agent.getByRole("button", { name: "Record the diagnosis" }).click();
    await agent.waitForURL((u) => u.search.includes("done=diagnosed"));
    await agent.locator("#status").selectOption("closed");
    await agent.locator("#update-form").getByRole("button", { name: "Update" }).click();
    await agent.waitForURL((u) => u.search.includes("done=updated"));
    await agent.goto(base + "/agent/history");
    await snap(agent, "desk-my-history");
    await agent.context().close();
  });

  await step("a customer browses the help centre and finds the way to a person", async () => {
    const page = await (await browser.newContext(ctx)).newPage();
    watch(page, "help reader", errors);
    await page.goto(base + "/help");
    await page.getByRole("heading", { name: "Help centre", level: 1 }).waitFor();
    await snap(page, "help-home");
    await page.getByRole("link", { name: "Network/VPN" }).click();
    await page.getByRole("heading", { name: "Network/VPN" }).waitFor();
    await snap(page, "help-topic");
    await page.getByLabel("Search the help centre").fill("vpn disconnecting");
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByRole("heading", { name: /for “vpn disconnecting”/ }).waitFor();
    await snap(page, "help-search");
    await page.getByRole("link", { name: "The VPN keeps disconnecting" }).first().click();
    await page.getByRole("heading", { name: "The VPN keeps disconnecting", level: 1 }).waitFor();
    await snap(page, "help-article");
    await page.getByRole("button", { name: "Yes, it helped" }).click();
    await page.getByText("glad this article helped").waitFor();
    await snap(page, "help-article-helped");
    await page.getByRole("link", { name: "Ask a person" }).click();
    await page.waitForURL((u) => u.pathname === "/signin");
    await page.getByLabel("E-mail address").fill("olivia.chen@northwind.example");
    await page.getByLabel("Password").fill("heard-demo-2026");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((u) => u.pathname === "/requests/new");
    await snap(page, "help-to-a-person");
    await page.getByRole("link", { name: "Help centre" }).click();
    await page.waitForURL((u) => u.pathname === "/help");
    await page.context().close();
  });
}
