// Quality review: the supervisor opens the review queue, reviews a poorly rated
// conversation starting from the suggested scores and anchors a coaching comment on the
// agent's words; the agent reads the review and replies once; the admin's rubric page.

import { expect, signIn, snap, step, watch } from "../lib.mjs";

export default async function reviews({ browser, base, errors }) {
  const subject = "Database reports time out at month end";
  const supervisor = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  watch(supervisor, "supervisor", errors);
  let reviewPath = "";

  await step("the supervisor opens the review queue with its reasons", async () => {
    await signIn(supervisor, base, "priya@heard.demo");
    await supervisor.getByRole("link", { name: "Quality reviews" }).first().click();
    await supervisor.waitForURL(base + "/supervisor/reviews");
    const card = supervisor.locator(".review-queue > li", { hasText: subject });
    await card.waitFor();
    expect(await card.getByText("Poor survey rating").count() > 0, "the poor rating is not given as a reason");
    await snap(supervisor, "review-queue");
    await card.getByRole("link", { name: /^Review #/ }).click();
    await supervisor.waitForURL(/\/supervisor\/reviews\/new\?ticket=\d+/);
  });

  await step("the supervisor reviews with the suggested scores and a comment", async () => {
    await supervisor.getByRole("heading", { name: new RegExp(subject) }).waitFor();
    // Every item is pre-filled from the evidence, each suggestion with its evidence.
    const items = supervisor.locator("fieldset.rubric-item");
    const n = await items.count();
    expect(n === 10, `the rubric shows ${n} items`);
    for (let i = 0; i < n; i++) {
      const item = items.nth(i);
      expect(await item.locator("input[type=radio]:checked").count() === 1, `item ${i} has no suggested score`);
      expect(await item.locator(".evidence li").count() > 0, `item ${i} shows no evidence`);
    }
    await snap(supervisor, "review-form");
    const messageValue = await supervisor.locator("#comment-message-0 option", { hasText: "Hana Sato" }).last().getAttribute("value");
    await supervisor.locator("#comment-message-0").selectOption(messageValue);
    await supervisor.locator("#comment-item-0").selectOption("apologize");
    await supervisor.getByLabel(/^Quote/).first().fill("sorry for the stress this caused");
    await supervisor.locator("#comment-body-0").fill("A real apology for the experience, named in the customer's terms: keep doing this.");
    // A quote that is not in the message is refused beside the field, nothing lost.
    await supervisor.locator("#comment-body-1").fill("This one points at words that are not there.");
    await supervisor.locator("#comment-quote-1").fill("words nobody wrote");
    // The refusal answers 422, which the browser logs; that error is the point here.
    const logged = errors.length;
    await supervisor.getByRole("button", { name: "Submit review" }).click();
    await supervisor.locator("#comment-quote-1-error").waitFor();
    errors.splice(logged, errors.length - logged, ...errors.slice(logged).filter((e) => !e.includes("422")));
    expect(await supervisor.locator("#comment-body-0").inputValue() !== "", "the first comment was lost");
    await snap(supervisor, "review-form-refused");
    await supervisor.locator("#comment-body-1").fill("");
    await supervisor.locator("#comment-quote-1").fill("");
    await supervisor.getByLabel(/^Summary/).fill("Clear explanation and a check against it happening again.");
    await supervisor.getByRole("button", { name: "Submit review" }).click();
    await supervisor.waitForURL(/\/agent\/reviews\/\d+/);
    reviewPath = new URL(supervisor.url()).pathname;
    await supervisor.locator("mark", { hasText: "sorry for the stress this caused" }).waitFor();
    await snap(supervisor, "review-page");
    await supervisor.goto(base + "/supervisor/reviews");
    expect(await supervisor.locator(".review-queue > li", { hasText: subject }).count() === 0, "the reviewed ticket is still in the queue");
  });

  const agent = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  watch(agent, "agent", errors);
  await step("the agent sees the review and their trend, and replies once", async () => {
    await signIn(agent, base, "hana@heard.demo");
    await agent.getByRole("link", { name: "Reviews", exact: true }).click();
    await agent.waitForURL(base + "/agent/reviews");
    await agent.getByRole("heading", { name: /My trend/ }).waitFor();
    expect(await agent.locator("table tbody tr").count() >= 1, "no week in the trend");
    await snap(agent, "agent-reviews");
    await agent.getByRole("link", { name: new RegExp(subject) }).click();
    expect(new URL(agent.url()).pathname === reviewPath, `agent opened ${agent.url()}`);
    await agent.locator("mark", { hasText: "sorry for the stress this caused" }).waitFor();
    await agent.getByLabel(/^Your reply/).fill("Thank you. I will add the migration check to our runbook too.");
    await agent.getByRole("button", { name: "Send reply" }).click();
    await agent.getByText("I will add the migration check to our runbook too.").waitFor();
    expect(await agent.getByRole("button", { name: "Send reply" }).count() === 0, "the reply form is offered twice");
    await snap(agent, "review-replied");
    await supervisor.goto(base + reviewPath);
    await supervisor.getByText("I will add the migration check to our runbook too.").waitFor();
  });

  const admin = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  watch(admin, "admin", errors);
  await step("the admin sees the rubric and who reviews", async () => {
    await signIn(admin, base, "morgan@heard.demo");
    await admin.goto(base + "/admin");
    await admin.getByRole("link", { name: "Review rubric" }).click();
    await admin.waitForURL(base + "/admin/reviews");
    await admin.getByLabel("Label of hear").waitFor();
    await snap(admin, "admin-review-rubric");
  });
}
