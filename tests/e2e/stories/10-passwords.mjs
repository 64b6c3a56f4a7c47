// Passwords by mailed link: a customer who forgot theirs chooses a new one, and an admin
// adds a staff member who chooses their own (the admin never sees or sets it).

import { expect, plainText, signIn, snap, step, watch } from "../lib.mjs";

/** Waits for the next mail to `to` after `before` mails, and returns the link in it. */
async function mailedLink(smtp, before, to, path) {
  for (let i = 0; i < 100; i++) {
    const mail = smtp.inbox.slice(before).find((m) => m.to.some((t) => t.includes(to)));
    if (mail) {
      const link = (plainText(mail.data).match(new RegExp(`https?://\\S+${path}\\S+`)) || [])[0];
      expect(link, `no ${path} link in the mail:\n${mail.data}`);
      return link;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no mail reached ${to}`);
}

export default async function passwords({ browser, base, smtp, errors }) {
  await step("a customer who forgot their password chooses a new one by mailed link", async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    watch(page, "forgetful customer", errors);
    await page.goto(base + "/signin");
    await page.getByRole("link", { name: "Forgot your password?" }).click();
    await page.getByRole("heading", { name: "Forgot your password?" }).waitFor();
    await snap(page, "password-forgot");
    const before = smtp.inbox.length;
    await page.getByLabel("E-mail address of your account").fill("pat.murphy@gmail.example");
    await page.getByRole("button", { name: "E-mail me a link" }).click();
    await page.getByRole("heading", { name: "Check your e-mail" }).waitFor();
    await snap(page, "password-link-sent");
    const link = await mailedLink(smtp, before, "pat.murphy@gmail.example", "/signin/password/");
    expect(link.startsWith(base), `the link leads elsewhere: ${link}`);
    await page.goto(link);
    // The refusal answers 422, which the browser logs; that error is the point here.
    const refusedAt = errors.length;
    await page.getByLabel("New password").fill("short");
    // The browser's own check stops a short one; the server's answer is what we test.
    await page.locator("#password").evaluate((el) => el.removeAttribute("minlength"));
    await page.getByRole("button", { name: "Save the password and sign in" }).click();
    await page.locator("#password-error").waitFor();
    expect((await page.locator("#password-error").innerText()).includes("at least 10 characters"), "no reason beside the field");
    await snap(page, "password-choose-refused");
    errors.splice(refusedAt, errors.length - refusedAt, ...errors.slice(refusedAt).filter((e) => !e.includes("422")));
    await page.getByLabel("New password").fill("pat's new passphrase");
    await page.getByRole("button", { name: "Save the password and sign in" }).click();
    await page.waitForURL(base + "/?done=password");
    await page.getByText("Your new password is saved").waitFor();
    // Spent: the link now says so.
    const logged = errors.length;
    const gone = await page.goto(link);
    expect(gone.status() === 410, `a used link answered ${gone.status()}`);
    errors.splice(logged, errors.length - logged, ...errors.slice(logged).filter((e) => !e.includes("410")));
    await ctx.close();
  });

  await step("an admin adds a staff member, who chooses their own password", async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const admin = await ctx.newPage();
    watch(admin, "admin adding staff", errors);
    await signIn(admin, base, "morgan@heard.demo");
    await admin.goto(base + "/admin");
    const form = admin.locator("form[aria-labelledby='new-staff-h']");
    await form.getByLabel("Name").fill("Noor Haddad");
    await form.getByLabel("E-mail address").fill("noor@heard.demo");
    await form.getByLabel("Role").selectOption("agent");
    await form.locator("input[name=team]").first().check();
    const before = smtp.inbox.length;
    await form.getByRole("button", { name: "Add staff member" }).click();
    await admin.waitForURL(/done=staff_invited/);
    await admin.getByText("a link to choose their password is on its way").waitFor();
    await admin.getByRole("link", { name: "Noor Haddad" }).waitFor();
    await snap(admin, "admin-staff-added");
    const link = await mailedLink(smtp, before, "noor@heard.demo", "/signin/password/");
    await ctx.close();

    const noorCtx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const noor = await noorCtx.newPage();
    watch(noor, "new agent", errors);
    await noor.goto(link);
    await noor.getByRole("heading", { name: "Choose a new password" }).waitFor();
    await snap(noor, "password-choose");
    await noor.getByLabel("New password").fill("noor's very own passphrase");
    await noor.getByRole("button", { name: "Save the password and sign in" }).click();
    await noor.waitForURL(/\/agent\?done=password/);
    expect((await noor.locator(".who").innerText()).includes("Noor"), "signed in as someone else");
    await noorCtx.close();
  });
}
