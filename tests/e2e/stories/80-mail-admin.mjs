// E-mail admin: the admin opens the e-mail page from the admin tabs, adds a mailbox for
// a team through its form, and finds it listed with how its mail comes in.

import { expect, signIn, snap, step, watch } from "../lib.mjs";

export default async function mailAdmin({ browser, base, errors }) {
  const admin = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  watch(admin, "admin", errors);
  const address = `sales-${Date.now()}@heard.demo`;
  try {
    await step("the admin opens the e-mail page", async () => {
      await signIn(admin, base, "morgan@heard.demo");
      await admin.goto(base + "/admin");
      await admin.getByRole("link", { name: "E-mail" }).click();
      await admin.getByRole("heading", { name: "E-mail", level: 1 }).waitFor();
      await admin.getByRole("heading", { name: "Quarantine", level: 2 }).waitFor();
      await snap(admin, "admin-mail");
    });

    await step("the admin adds a mailbox and sees it listed", async () => {
      const form = admin.locator('form[action="/admin/mail/mailboxes"]');
      await form.getByLabel("Address customers write to").fill(address);
      await form.getByRole("button", { name: "Add mailbox" }).click();
      await admin.waitForURL(/\/admin\/mail\?done=mailbox_added/);
      await admin.getByText("The mailbox was added.").waitFor();
      const card = admin.locator("li.mailbox", { has: admin.getByRole("heading", { name: address, level: 3 }) });
      await card.waitFor();
      expect((await card.innerText()).includes("Not fetched over IMAP"), "the new mailbox says how its mail comes in");
      await snap(admin, "admin-mail-added");
    });
  } finally {
    await admin.context().close();
  }
}
