// Practice mode: the supervisor fills the practice sets from resolved conversations; a
// new agent practises one, scrubbed of personal data, answers the replayed customer and
// reads the tone coach's findings, until the run is finished.

import { expect, signIn, snap, step, watch } from "../lib.mjs";

export default async function practice({ browser, base, errors }) {
  const supervisor = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  watch(supervisor, "supervisor", errors);
  await step("the supervisor adds resolved conversations to the practice sets", async () => {
    await signIn(supervisor, base, "priya@heard.demo");
    await supervisor.getByRole("link", { name: "Practice", exact: true }).click();
    await supervisor.waitForURL(base + "/agent/practice");
    await supervisor.getByRole("button", { name: "Add conversations to practise on" }).click();
    await supervisor.getByText(/conversations were added to the practice sets/).waitFor();
    expect(await supervisor.getByRole("button", { name: /^Practise/ }).count() > 0, "no conversation to practise on");
  });

  const agent = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  watch(agent, "agent", errors);
  await step("an agent starts a practice run on a scrubbed conversation", async () => {
    await signIn(agent, base, "lena@heard.demo");
    await agent.getByRole("link", { name: "Practice", exact: true }).click();
    await agent.waitForURL(base + "/agent/practice");
    await agent.getByRole("heading", { name: "1. Calm customers" }).waitFor();
    await snap(agent, "practice-sets");
    await agent.getByRole("button", { name: /^Practise/ }).first().click();
    await agent.waitForURL(/\/agent\/practice\/runs\/\d+/);
    const first = agent.locator("#practice-conversation li.customer").first();
    await first.waitFor();
    const text = await first.locator(".body").textContent();
    expect(!/[\w.+-]+@[\w-]+\.\w/.test(text), `an e-mail address reached the sandbox: ${text}`);
    await snap(agent, "practice-run");
  });

  await step("the tone coach answers each practice reply until the run is done", async () => {
    for (let i = 0; i < 12; i++) {
      if (await agent.getByText(/Practice finished/).count() > 0) break;
      const replies = await agent.locator("#practice-conversation li.agent").count();
      await agent.getByLabel("Your reply").fill(i === 0
        ? "Obviously you should have restarted it first. Calm down, it is a simple fix."
        : "I am sorry for the trouble. I have checked your account and will update you by 3 pm today.");
      await agent.getByRole("button", { name: "Send practice reply" }).click();
      await agent.waitForLoadState("load");
      await agent.locator("#practice-conversation li.agent").nth(replies).waitFor();
      if (i === 0) {
        const findings = agent.locator("#practice-conversation li.agent").first().locator(".findings li");
        expect(await findings.count() > 0, "the tone coach found nothing in a condescending reply");
        await snap(agent, "practice-tone");
      }
    }
    await agent.getByText(/Practice finished/).waitFor();
    await agent.goto(base + "/agent/practice");
    expect(await agent.locator("#runs-h + ul li", { hasText: "finished" }).count() >= 1, "the finished run is not listed");
    await snap(agent, "practice-progress");
  });
}
