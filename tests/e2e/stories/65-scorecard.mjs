// The balanced scorecard: the supervisor opens a team's scorecard from the dashboard,
// switches to the whole team per day, reads a figure's chart and table, opens the
// tickets behind a figure; an agent sees their own scorecard and no one else's.

import { expect, signIn, snap, step, watch } from "../lib.mjs";

export default async function scorecard({ browser, base, errors }) {
  const supervisor = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  watch(supervisor, "supervisor", errors);

  await step("the supervisor opens the balanced scorecard with charts and tables", async () => {
    await signIn(supervisor, base, "priya@heard.demo");
    await supervisor.goto(base + "/supervisor");
    await supervisor.getByRole("link", { name: "Balanced scorecard" }).click();
    await supervisor.waitForURL(base + "/supervisor/scorecard");
    await supervisor.getByRole("heading", { name: /^Scorecard: / }).waitFor();
    const rows = supervisor.locator("#scorecard-table tbody tr");
    expect(await rows.count() === 11, `the scorecard shows ${await rows.count()} figures`);
    expect(await supervisor.locator("figure.chart svg").count() === 11, "a chart per figure");
    for (const name of ["Satisfaction (rated 4–5)", "First response within target", "Promises kept", "Reopened after resolution", "Tone findings per reply sent"]) {
      expect(await rows.filter({ hasText: name }).count() === 1, `no row for ${name}`);
    }
    await snap(supervisor, "scorecard");
  });

  await step("the supervisor looks per day and opens the tickets behind a figure", async () => {
    await supervisor.getByLabel("Per", { exact: true }).selectOption("day");
    await supervisor.getByRole("button", { name: "Show" }).click();
    await supervisor.waitForURL(/period=day/);
    const row = supervisor.locator("#scorecard-table tbody tr", { hasText: "First response within target" });
    const cells = row.locator("td a");
    expect(await cells.count() >= 7, "a cell per day");
    await cells.last().click();
    await supervisor.waitForURL(/\/supervisor\/scorecard\/tickets\?.*figure=first_response/);
    await supervisor.getByRole("heading", { name: "First response within target" }).waitFor();
    await snap(supervisor, "scorecard-tickets");
    const csv = await supervisor.request.get(base + "/supervisor/scorecard?format=csv");
    expect(csv.ok() && (await csv.text()).startsWith("scope,period_start"), "the CSV export");
  });

  const agent = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  watch(agent, "agent", errors);
  await step("an agent sees their own scorecard only", async () => {
    await signIn(agent, base, "sam@heard.demo");
    await agent.getByRole("link", { name: "Scorecard", exact: true }).click();
    await agent.waitForURL(base + "/agent/scorecard");
    await agent.getByRole("heading", { name: "Scorecard: Sam Okafor" }).or(agent.getByRole("heading", { name: /^Scorecard: / })).first().waitFor();
    expect(await agent.locator("#sc-scope option").count() === 1, "an agent can pick only themselves");
    await snap(agent, "agent-scorecard");
    const other = await agent.request.get(base + "/agent/scorecard?scope=desk");
    expect(other.status() === 403, `the desk's scorecard answered ${other.status()} to an agent`);
  });
}
