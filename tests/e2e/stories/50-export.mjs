// An agent exports their queue as CSV: the download holds every open ticket of their
// teams, in queue order, the same tickets the API lists for them.

import { readFileSync } from "node:fs";
import { expect, signIn, snap, step, watch } from "../lib.mjs";

/** Reads a CSV file (quoted cells may hold commas, quotes and line ends). */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; }
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { row.push(cell); cell = ""; }
    else if (c === "\r") {}
    else if (c === "\n") { row.push(cell); rows.push(row); row = []; cell = ""; }
    else cell += c;
  }
  return rows;
}

export default async function exportStory({ browser, base, errors }) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const agent = await context.newPage();
  watch(agent, "agent (export)", errors);

  await step("an agent downloads their queue as CSV", async () => {
    await signIn(agent, base, "sam@heard.demo");
    expect(new URL(agent.url()).pathname === "/agent", `agent landed on ${agent.url()}`);
    await snap(agent, "agent-queues-export");
    const [download] = await Promise.all([
      agent.waitForEvent("download"),
      agent.getByRole("link", { name: "Export CSV" }).click(),
    ]);
    expect(/^queue-\d{4}-\d{2}-\d{2}\.csv$/.test(download.suggestedFilename()), `file named ${download.suggestedFilename()}`);
    const rows = parseCsv(readFileSync(await download.path(), "utf8"));
    const header = rows.shift();
    expect(header[0] === "id" && header.includes("subject") && header.includes("status"), `header ${header}`);
    expect(rows.length > 0, "the export is empty");
    // The same tickets, in the same order, as the API's queue list for this agent.
    const open = "new,open,pending_customer,pending_third_party";
    const listed = await agent.request.get(`${base}/api/v1/tickets?order=due&status=${open}&limit=200`);
    expect(listed.ok(), `the API list answered ${listed.status()}`);
    const ids = (await listed.json()).items.map((t) => String(t.id));
    const exported = rows.map((r) => r[0]);
    expect(JSON.stringify(exported) === JSON.stringify(ids), `exported ${exported.join(" ")} but the queue is ${ids.join(" ")}`);
    const status = header.indexOf("status");
    expect(rows.every((r) => open.split(",").includes(r[status])), "a closed ticket was exported");
  });
  await context.close();
}
