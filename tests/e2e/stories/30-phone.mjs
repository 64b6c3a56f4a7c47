// The phone: an agent's softphone opens the caller lookup on an incoming call; the agent
// sees who is calling, logs the call with a call-back promise on their open ticket and
// finds it in the ticket's conversation; an unknown number becomes a new customer; a
// number that cannot be read is refused plainly on the page.

import { expect, signIn, snap, step, watch } from "../lib.mjs";

export default async function phone({ browser, base, errors }) {
  const agent = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  watch(agent, "phone agent", errors);
  let ticketUrl = "";

  await step("a softphone opens the lookup for a known caller's number, written nationally", async () => {
    await signIn(agent, base, "lena@heard.demo");
    // The demo desk's default country is +1; Olivia Chen's number is +1 212 555 0142.
    await agent.goto(base + "/agent/call?number=" + encodeURIComponent("(212) 555-0142"));
    await agent.getByRole("heading", { level: 1, name: /Call from \+12125550142/ }).waitFor();
    await agent.getByRole("heading", { level: 2, name: "Olivia Chen" }).waitFor();
    const caller = agent.locator("section.caller").first();
    expect((await caller.innerText()).includes("Outlook keeps asking for my password"), "her open ticket is not shown");
    expect((await caller.innerText()).includes("NW-10442"), "her verified facts are not shown");
    expect(await agent.locator('a[href="tel:+12125550142"]').count() > 0, "no tel: link for the number");
    await snap(agent, "agent-caller-lookup");
  });

  await step("the agent logs the call with a call-back on her open ticket", async () => {
    const form = agent.locator("section.caller form.call-form").first();
    await form.getByLabel(/Outlook keeps asking for my password/).check();
    await form.getByLabel("Outcome").selectOption("call_back_needed");
    await form.getByLabel(/^Notes/).fill("Walked her through removing the old keychain entry; will call back once the profile has synced.");
    await form.getByLabel("Call-back", { exact: true }).selectOption("2");
    await form.getByRole("button", { name: "Log the call" }).click();
    await agent.waitForURL(/\/agent\/tickets\/\d+\?done=call_logged/);
    ticketUrl = agent.url().split("?")[0];
    const entry = agent.locator(".conversation li", { hasText: "old keychain entry" });
    await entry.waitFor();
    expect((await entry.innerText()).includes("phone call"), "the call is not marked as a phone entry");
    expect(await entry.locator('a[href="tel:+12125550142"]').count() === 1, "no tel: link on the call entry");
    expect((await agent.locator(".summary").innerText()).includes("promised an update by"), "the call-back is not the ticket's promise");
    await snap(agent, "agent-ticket-call-logged");
  });

  await step("the ticket page logs another call and links the customer's number", async () => {
    await agent.goto(ticketUrl);
    const panel = agent.locator("aside");
    expect(await panel.locator('a[href="tel:+12125550142"]').count() > 0, "no tel: link in the customer panel");
    const form = agent.locator("#call-form");
    expect((await form.getByLabel("Their number").inputValue()) === "+12125550142", "the call form does not start with her number");
    await form.getByLabel("We called them").check();
    await form.getByLabel("Outcome").selectOption("resolved");
    await form.getByLabel(/^Notes/).fill("Called back: Outlook has stopped asking.");
    await form.getByRole("button", { name: "Log the call" }).click();
    await agent.waitForURL(/done=call_logged/);
    await agent.locator(".conversation li", { hasText: "Outlook has stopped asking" }).waitFor();
  });

  await step("an unknown number becomes a new customer", async () => {
    await agent.goto(base + "/agent/call?number=" + encodeURIComponent("+44 20 7946 0999"));
    await agent.getByRole("heading", { name: "Nobody has this number yet" }).waitFor();
    await snap(agent, "agent-caller-unknown");
    await agent.getByLabel("Name", { exact: true }).fill("Alex Morgan");
    await agent.getByLabel("E-mail address", { exact: true }).fill("alex.morgan@example.org");
    await agent.getByRole("button", { name: /Create customer with \+442079460999/ }).click();
    await agent.waitForURL(/done=caller_added/);
    await agent.getByRole("heading", { level: 2, name: "Alex Morgan" }).waitFor();
    await snap(agent, "agent-caller-new-customer");
  });

  await step("a number that cannot be read is refused on the page, not with an error page", async () => {
    const r = await agent.goto(base + "/agent/call?number=" + encodeURIComponent("call me maybe"));
    expect(r.status() === 200, `the lookup answered ${r.status()}`);
    await agent.getByText("is not a phone number we can read").waitFor();
    await snap(agent, "agent-caller-unreadable");
  });
}
