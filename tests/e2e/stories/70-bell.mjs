// The bell: a supervisor sees how many notifications they have not read in the header
// (the demo's poor rating waits for them), opens the list and marks all as read; the count
// falls to nought, and a page left open in another tab catches up without a reload.

import { expect, signIn, snap, step, watch } from "../lib.mjs";

export default async function bell({ browser, base, errors }) {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  watch(page, "supervisor", errors);
  // A second tab whose timers the story moves on, to see the polled count catch up.
  const other = await page.context().newPage();
  watch(other, "supervisor's other tab", errors);
  await other.clock.install();

  await step("the supervisor sees the bell count in the header", async () => {
    await signIn(page, base, "priya@heard.demo");
    const count = page.locator("#bell-count");
    await count.waitFor();
    const n = parseInt(await count.textContent(), 10);
    expect(n >= 1, `the bell shows ${n}`);
    expect(await page.locator("#bell-live[aria-live=polite]").count() === 1, "no live region for the bell");
    await other.goto(base + "/agent/reviews");
    expect((await other.locator("#bell-count").textContent()).trim().startsWith(String(n)), "the tabs disagree");
  });

  await step("the supervisor opens the notifications and marks all as read", async () => {
    await page.getByRole("link", { name: /^Notifications/ }).click();
    await page.waitForURL(base + "/agent/notifications");
    await page.getByRole("heading", { name: "Notifications" }).waitFor();
    const poor = page.locator("li.notification.unread", { hasText: "Poor rating" }).first();
    await poor.waitFor();
    expect(await poor.getByRole("link", { name: /^ticket #\d+/ }).count() === 1, "no link to the ticket");
    await snap(page, "notifications");
    await page.getByRole("button", { name: "Mark all as read" }).click();
    await page.getByText("Your notifications are marked as read.").waitFor();
    expect((await page.locator("#bell-count").textContent()).trim().startsWith("0"), "the bell still counts");
    expect(await page.locator("li.notification.unread").count() === 0, "something is still unread");
    await snap(page, "notifications-read");
    const polled = await page.evaluate(() =>
      fetch("/api/v1/notifications/unread", { credentials: "same-origin" }).then((r) => r.json()));
    expect(polled.unread === 0, `the polled count is ${polled.unread}`);
  });

  await step("the other tab's bell catches up without a reload", async () => {
    await other.clock.runFor(21000);
    await other.waitForFunction(() => document.getElementById("bell-count").textContent.trim().startsWith("0"));
    expect(await other.locator("#bell-count.none").count() === 1, "the bell still looks unread");
  });
}
