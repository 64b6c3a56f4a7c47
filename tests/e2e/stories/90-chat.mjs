// Live chat: a customer chats through the widget embedded in a plain page served from
// another origin (no cookies, a chat token instead); an agent accepts on /agent/chats,
// they talk live both ways, the agent hands the chat to a colleague with a note, and the
// customer ends it. The desk is set open around the clock first, so the chat is answered
// live whatever the hour the story runs.

import http from "node:http";
import { expect, signIn, snap, step, watch } from "../lib.mjs";

/** A page on another origin (another loopback port) that includes the widget. */
function hostPage(base) {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Shop</title></head>
<body><h1>A shop that uses heard</h1><p>Questions? Chat with us.</p>
<script src="${base}/chat/widget.js" async></script></body></html>`;
  const server = http.createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(html);
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok({ server, url: `http://127.0.0.1:${server.address().port}/` })));
}

/** Calls the API from a signed-in page, with its session cookie and form token. */
function api(page, method, path, body) {
  return page.evaluate(async ([method, path, body]) => {
    const csrf = document.querySelector('meta[name="csrf-token"]').content;
    const r = await fetch("/api/v1" + path, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, body: await r.json().catch(() => null) };
  }, [method, path, body]);
}

export default async function chat({ browser, base, errors }) {
  const host = await hostPage(base);
  const admin = await (await browser.newContext()).newPage();
  const agent = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  const customer = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
  watch(agent, "chat agent", errors);
  watch(customer, "chat customer", errors);
  let chatUrl = "";
  try {
    await step("the desk is open around the clock and Lena takes chats", async () => {
      await signIn(admin, base, "morgan@heard.demo");
      const book = (await api(admin, "GET", "/service-levels")).body;
      const days = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
      book.calendars[book.default_calendar].periods = days.map((day) => ({ day, start: "00:00", end: "00:00" }));
      const put = await api(admin, "PUT", "/service-levels", book);
      expect(put.status === 200, `the calendar was not saved: ${JSON.stringify(put.body)}`);
      await signIn(agent, base, "lena@heard.demo");
      const p = await api(agent, "PUT", "/me/presence", { presence: "available" });
      expect(p.status === 200, "Lena could not become available");
    });

    await step("a guest on another site starts a chat in the widget and sees honest waiting", async () => {
      await customer.goto(host.url);
      await customer.getByRole("button", { name: "Chat with us" }).click();
      const dialog = customer.getByRole("dialog", { name: "Chat with us" });
      await dialog.getByLabel("Your name").fill("Wendy Widget");
      await dialog.getByLabel("Your e-mail address").fill("wendy@shop.example");
      await dialog.getByLabel("How can we help?").fill("My VPN keeps dropping every few minutes");
      await dialog.getByRole("button", { name: "Start chat" }).click();
      await dialog.getByRole("status").filter({ hasText: /next|ahead of you/ }).waitFor();
      expect((await dialog.getByRole("status").innerText()).includes("about"), "no wait estimate shown");
      await dialog.getByRole("button", { name: "Leave a message instead" }).waitFor();
      await customer.screenshot({ path: "screenshots/e2e/chat-widget-waiting.png" }).catch(() => {});
    });

    await step("Lena sees the waiting chat on /agent/chats and accepts it", async () => {
      await agent.goto(base + "/agent/chats");
      const row = agent.locator("#waiting-list li", { hasText: "My VPN keeps dropping" });
      await row.waitFor();
      await row.getByRole("button", { name: "Accept" }).click();
      await agent.waitForURL(/\/agent\/chats\?chat=\d+&done=chat_accepted/);
      chatUrl = agent.url().split("&")[0];
      await agent.locator("#chat-log li", { hasText: "My VPN keeps dropping" }).waitFor();
      await agent.locator("a", { hasText: /Customer and ticket #\d+/ }).waitFor();
      await snap(agent, "agent-chat-accepted");
    });

    await step("they talk live both ways, with the tone coach on Lena's draft", async () => {
      const dialog = customer.getByRole("dialog", { name: "Chat with us" });
      await dialog.getByRole("status").filter({ hasText: /is here to help/ }).waitFor();
      await agent.getByLabel(/Your line to/).fill("Sorry about the drops, Wendy! Which VPN client version are you on?");
      await agent.locator("#coach-status").filter({ hasText: /Score|to look at|no findings|[0-9]/ }).waitFor({ timeout: 5000 }).catch(() => {});
      await agent.getByRole("button", { name: "Send", exact: true }).click();
      await dialog.getByRole("log").locator("li", { hasText: "Which VPN client version" }).waitFor();
      await dialog.getByLabel("Your message").fill("Version 5.2, since the update yesterday");
      await dialog.getByLabel("Your message").press("Enter");
      const line = agent.locator("#chat-log li", { hasText: "Version 5.2" });
      await line.waitFor();
      expect(await line.locator(".frustration").count() === 1, "no frustration shown on the customer's line");
      await dialog.getByRole("log").locator("li", { hasText: "Version 5.2" }).locator(".heard-chat-pending").waitFor({ state: "detached" });
      await customer.screenshot({ path: "screenshots/e2e/chat-widget-talking.png" }).catch(() => {});
      await snap(agent, "agent-chat-talking");
    });

    await step("Lena hands the chat to Sam with a note the customer never sees", async () => {
      await agent.goto(chatUrl);
      const options = await agent.locator("#handover-to option").allInnerTexts();
      const sam = options.find((o) => o.startsWith("Sam"));
      expect(sam, "Sam is not among the colleagues to hand over to");
      await agent.locator("#handover-to").selectOption({ label: sam });
      await agent.getByLabel(/Hand-off note/).fill("VPN client 5.2 drops every few minutes since yesterday's update; customer on a shop site");
      await agent.getByRole("button", { name: "Hand over" }).click();
      await agent.waitForURL(/done=handed_over/);
      const dialog = customer.getByRole("dialog", { name: "Chat with us" });
      const text = await dialog.getByRole("log").innerText();
      expect(!text.includes("Hand-off"), "the customer saw the internal hand-off note");
    });

    await step("the customer ends the chat; the conversation stays a ticket", async () => {
      const dialog = customer.getByRole("dialog", { name: "Chat with us" });
      await dialog.getByRole("button", { name: "End chat" }).click();
      await dialog.getByRole("status").filter({ hasText: /The chat has ended/ }).waitFor();
      await agent.goto(chatUrl);
      await agent.locator("#chat-state", { hasText: "Ended" }).waitFor();
    });
  } finally {
    host.server.close();
  }
}
