// Single sign-on: a staff member signs in through the desk's OpenID Connect provider (the
// `oidc-provider` package run by tests/oidc, with its own login and consent pages), and
// someone whose address the provider has not verified is told why on the sign-in page.

import { expect, snap, step, watch } from "../lib.mjs";

/** Goes through the provider's login and consent pages as `login`. */
async function atProvider(page, login) {
  await page.locator("input[name=login]").fill(login);
  await page.locator("input[name=password]").fill("any password");
  await page.getByRole("button", { name: "Sign-in" }).click();
  await page.getByRole("button", { name: "Continue" }).click();
}

export default async function sso({ browser, base, errors }) {
  await step("an agent signs in with the desk's identity provider", async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    // The provider's own pages are not heard's: only heard's are watched for errors.
    await page.goto(base + "/signin");
    watch(page, "signing in with the provider", errors);
    await snap(page, "signin-sso");
    page.removeAllListeners("console");
    page.removeAllListeners("pageerror");
    await page.getByRole("link", { name: "Sign in with Heard ID" }).click();
    await page.waitForURL((u) => !u.href.startsWith(base));
    await atProvider(page, "hana");
    await page.waitForURL(base + "/agent");
    watch(page, "agent signed in with the provider", errors);
    await page.reload();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    expect((await page.content()).includes("Hana"), "the workspace does not show who signed in");
    await snap(page, "agent-after-sso");
    await ctx.close();
  });

  await step("an unverified address is refused on the sign-in page, in plain words", async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    await page.goto(base + "/signin");
    await page.getByRole("link", { name: "Sign in with Heard ID" }).click();
    await page.waitForURL((u) => !u.href.startsWith(base));
    await atProvider(page, "tom");
    await page.waitForURL((u) => u.href.startsWith(base + "/signin/sso/callback"));
    await page.locator("#sso-error").waitFor();
    const said = await page.locator("#sso-error").innerText();
    expect(said.includes("not verified"), `the refusal says: ${said}`);
    // The refusal answers 403, which the browser would log: only audit the page.
    await snap(page, "signin-sso-refused");
    await ctx.close();
  });
}
