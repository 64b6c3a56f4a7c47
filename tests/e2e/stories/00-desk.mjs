// The desk's main story: a customer signs up and asks for help, agents answer it with the
// tone coach, hand it over, and a supervisor and an admin see it (see run.mjs's header).

import { expect, plainText, signIn, snap, step, watch } from "../lib.mjs";

export default async function desk({ browser, base, smtp, errors }) {
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
    const before = smtp.inbox.length;
    await customer.getByRole("button", { name: "Create account" }).click();
    // The address is proved before the account opens: the page is the same whether or
    // not it already has one, and the link in the mail finishes the sign-up.
    await customer.getByRole("heading", { name: "Check your e-mail" }).waitFor();
    await snap(customer, "sign-up-check-mail");
    for (let i = 0; i < 100 && smtp.inbox.length === before; i++) await new Promise((r) => setTimeout(r, 100));
    expect(smtp.inbox.length === before + 1, "no sign-up mail arrived at the SMTP server");
    const mail = smtp.inbox[smtp.inbox.length - 1];
    expect(mail.to.some((t) => t.includes("robin.tester@example.org")), `mail went to ${mail.to}`);
    const link = (plainText(mail.data).match(/https?:\/\/\S+\/signin\/link\/\S+/) || [])[0];
    expect(link && link.startsWith(base), `no link to this server in the mail:\n${mail.data}`);
    await customer.goto(link);
    await customer.getByRole("button", { name: "Sign in now" }).click();
    await customer.waitForURL(base + "/");
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

  await step("a second agent on the same ticket: each sees the other, and who is replying", async () => {
    const lena = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    watch(lena, "second agent", errors);
    await signIn(lena, base, "lena@heard.demo");
    await lena.goto(base + `/agent/tickets/${ticketId}`);
    // Rendered with the page: Sam is already there.
    await lena.locator("#viewers").getByText("Sam Okafor").waitFor();
    // Sam's page learns of Lena from its next heartbeat.
    await agent.locator("#viewers").getByText(/Lena/).waitFor({ timeout: 15_000 });
    await snap(agent, "agent-ticket-two-viewers");
    await lena.getByLabel(/Your reply to/).fill("Hi Robin, I'm looking into this for you now.");
    await agent.locator("#viewers .replying").waitFor({ timeout: 15_000 });
    expect((await agent.locator("#viewers").innerText()).includes("writing a reply"), "replying not shown");
    // Lena leaves; Sam's page says nobody else is there.
    await lena.getByLabel(/Your reply to/).fill("");
    await lena.goto(base + "/agent");
    await agent.locator("#viewers").getByText("Nobody else has this ticket open.").waitFor({ timeout: 15_000 });
    await lena.context().close();
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
    await admin.getByRole("heading", { name: "Teams", exact: true }).waitFor();
    await snap(admin, "admin");
    await admin.getByRole("link", { name: "Sam Okafor" }).click();
    await admin.getByLabel(/^Skills/).waitFor();
    await snap(admin, "admin-agent");
    await admin.goto(base + "/admin/calendars");
    await admin.getByRole("heading", { name: /Calendars and holidays/ }).waitFor();
    await snap(admin, "admin-calendars");
    await admin.goto(base + "/admin/service-levels");
    await snap(admin, "admin-policies");
    // The policy book saves back as it was shown.
    await admin.getByRole("button", { name: "Save calendars and policies" }).click();
    await admin.waitForURL(/done=service_levels/);
    await admin.goto(base + "/admin/categories");
    await snap(admin, "admin-categories");
    await admin.goto(base + "/agent/search?q=vpn");
    await admin.getByRole("heading", { name: /Tickets/ }).waitFor();
    expect(await admin.locator("#a-h + ul li").count() > 0, "no article found for vpn");
    await snap(admin, "agent-search");
  });

  await step("a customer signs in with a link sent by e-mail, once", async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    watch(page, "link customer", errors);
    await page.goto(base + "/signin");
    const before = smtp.inbox.length;
    await page.getByLabel("Send the link to").fill("olivia.chen@northwind.example");
    await page.getByRole("button", { name: "E-mail me a sign-in link" }).click();
    await page.getByRole("heading", { name: "Check your e-mail" }).waitFor();
    await snap(page, "sign-in-link-sent");
    for (let i = 0; i < 100 && smtp.inbox.length === before; i++) await new Promise((r) => setTimeout(r, 100));
    expect(smtp.inbox.length === before + 1, "no mail arrived at the SMTP server");
    const mail = smtp.inbox[smtp.inbox.length - 1];
    expect(mail.to.some((t) => t.includes("olivia.chen@northwind.example")), `mail went to ${mail.to}`);
    const link = (plainText(mail.data).match(/https?:\/\/\S+\/signin\/link\/\S+/) || [])[0];
    expect(link && link.startsWith(base), `no link to this server in the mail:\n${mail.data}`);
    await page.goto(link);
    await snap(page, "sign-in-link-confirm");
    await page.getByRole("button", { name: "Sign in now" }).click();
    await page.waitForURL(base + "/");
    await page.getByRole("heading", { name: /requests/i }).first().waitFor();
    expect((await page.locator(".who").innerText()).includes("Olivia"), "signed in as someone else");
    // Spent: answered 410 Gone, which the browser logs; that error is the point here.
    const logged = errors.length;
    const gone = await page.goto(link);
    expect(gone.status() === 410, `a used link answered ${gone.status()}`);
    await page.getByRole("heading", { name: "This link no longer works" }).waitFor();
    errors.splice(logged, errors.length - logged, ...errors.slice(logged).filter((e) => !e.includes("410")));
    await ctx.close();
  });
}
