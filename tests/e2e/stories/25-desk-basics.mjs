// The desk's daily basics (issue 16): an agent writes a macro (an unknown placeholder is
// refused beside the field), picks it on a ticket — the reply box fills in place and the
// tone coach reads it — and sends it; ticks tickets in the queues and assigns them to
// themself in one go, reading each ticket's result on the same page; and saves a view,
// which the workspace then lists and opens with its columns.

import { audit, expect, signIn, snap, step } from "../lib.mjs";

/** As lib.mjs's watch, except a refused form's own 422 (Chromium logs it as a failed load). */
function watchRefusals(page, label, errors) {
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().includes("status of 422")) errors.push(`${label}: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`${label}: ${e.message}`));
}

export default async function deskBasics({ browser, base, errors }) {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  watchRefusals(page, "agent", errors);
  const title = "Checking in (story)";

  await step("an agent writes a macro; an unknown placeholder is named beside the field", async () => {
    await signIn(page, base, "lena@heard.demo");
    await page.getByRole("link", { name: "Macros", exact: true }).first().click();
    await page.waitForURL(base + "/agent/macros");
    await page.getByLabel("Title").fill(title);
    await page.getByLabel("Reply", { exact: true }).fill("Hi {{customer.firstname}}, I am on ticket {{ticket.number}}.");
    await page.getByRole("button", { name: "Save macro" }).click();
    const error = page.locator("#macro-body-error");
    await error.waitFor();
    expect((await error.innerText()).includes("{{customer.firstname}}"), "the placeholder is not named");
    expect(!/\/api\/|POST|JSON/.test(await page.content()), "API wording on the page");
    await page.getByLabel("Reply", { exact: true }).fill(
      "Hi {{customer.first_name}}, I am sorry for the trouble. I am on ticket {{ticket.number}} now and will write again by {{promise.time}}.");
    await page.getByLabel(/Then set the status/).selectOption("pending_customer");
    await page.getByRole("button", { name: "Save macro" }).click();
    await page.getByText("The macro was saved.").waitFor();
    await page.locator("li.macro", { hasText: title }).waitFor();
    await snap(page, "macros");
    await audit(page, "macros");
  });

  let ticketPath = "";
  await step("the agent picks the macro on a ticket, reads the coach, and sends it", async () => {
    await page.goto(base + "/agent");
    const link = page.locator("section.queue table a[href^='/agent/tickets/']").first();
    ticketPath = await link.getAttribute("href");
    await page.goto(base + ticketPath);
    await page.locator("#macro").selectOption({ label: title });
    const box = page.locator("#reply");
    await page.waitForFunction(() => document.getElementById("reply").value.includes("I am on ticket"));
    const text = await box.inputValue();
    expect(text.includes(ticketPath.split("/").pop()), `the ticket number is not filled in: ${text}`);
    expect(!text.includes("{{"), `a placeholder is left: ${text}`);
    expect((await page.locator("#macro-then").innerText()).includes("pending customer"), "the status change is not said");
    await page.waitForFunction(() => /Score \d+/.test(document.getElementById("coach-status").textContent));
    await snap(page, "macro-filled");
    await page.locator("#reply-form").getByRole("button", { name: "Send" }).click();
    await page.waitForURL((u) => u.search.includes("done=sent"));
    await page.getByText("Your reply was sent.").waitFor();
    const last = page.locator(".entry, article, li").filter({ hasText: "I am on ticket" }).first();
    await last.waitFor();
  });

  await step("the agent ticks tickets in the queues and assigns them to themself", async () => {
    await page.goto(base + "/agent");
    const boxes = page.locator("section.queue input[type=checkbox][form=bulk]");
    expect((await boxes.count()) >= 2, "fewer than two tickets to tick");
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    await page.locator("#bulk-action").selectOption("assign_me");
    await page.getByRole("button", { name: "Apply to the ticked tickets" }).click();
    const results = page.locator("#bulk-results");
    await results.waitFor();
    const said = await results.innerText();
    expect(/2 done, 0 refused/.test(said), `the results read: ${said}`);
    await snap(page, "bulk-assigned");
    await audit(page, "queues-bulk");
  });

  await step("the agent saves a view and opens it from the workspace", async () => {
    await page.getByRole("link", { name: "Views", exact: true }).click();
    await page.waitForURL(base + "/agent/views");
    await page.getByLabel("Name").fill("My open work (story)");
    await page.locator("#view-assignee").selectOption("me");
    await page.getByRole("checkbox", { name: "Priority", exact: true }).check();
    await page.getByRole("button", { name: "Save view" }).click();
    await page.getByText("The view was saved.").waitFor();
    await page.getByRole("heading", { level: 1, name: /My open work \(story\)/ }).waitFor();
    await audit(page, "saved-view");
    await page.goto(base + "/agent");
    await page.getByRole("navigation", { name: "Saved views" }).getByRole("link", { name: /My open work \(story\)/ }).click();
    await page.getByRole("columnheader", { name: "Priority" }).waitFor();
    const rows = await page.locator("table.view-table tbody tr").count();
    expect(rows >= 2, `the view lists ${rows} of the tickets just assigned to the agent`);
    await snap(page, "saved-view");
  });
}
