// What every browser story shares: the server and SMTP server it runs against, the step
// runner, and the screenshot-and-audit of each page (see run.mjs for what the audit checks).

import { spawn, execFileSync } from "node:child_process";
import net from "node:net";
import { mkdirSync, rmSync } from "node:fs";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const shots = join(root, "screenshots", "e2e");
rmSync(shots, { recursive: true, force: true });
mkdirSync(shots, { recursive: true });

export function heardBinary() {
  if (process.env.HEARD_BIN) return process.env.HEARD_BIN;
  const meta = JSON.parse(
    execFileSync("cargo", ["metadata", "--format-version", "1", "--no-deps"], { cwd: root, encoding: "utf8" })
  );
  return join(meta.target_directory, "debug", "heard");
}

/**
 * A small SMTP server on a loopback port that keeps what it receives: enough of RFC 5321
 * (EHLO, MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT) for heard's mailer.
 */
export function startSmtp() {
  const inbox = [];
  const server = net.createServer((sock) => {
    let buf = "";
    let inData = false;
    let msg = null;
    sock.write("220 e2e.test ESMTP\r\n");
    sock.on("data", (chunk) => {
      buf += chunk.toString("latin1");
      let i;
      while ((i = buf.indexOf("\r\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (inData) {
          if (line === ".") {
            inData = false;
            inbox.push(msg);
            msg = null;
            sock.write("250 OK: queued\r\n");
          } else {
            msg.data += (line.startsWith(".") ? line.slice(1) : line) + "\r\n";
          }
          continue;
        }
        const cmd = line.slice(0, 4).toUpperCase();
        if (cmd === "EHLO") sock.write("250-e2e.test\r\n250 8BITMIME\r\n");
        else if (cmd === "HELO") sock.write("250 e2e.test\r\n");
        else if (cmd === "MAIL") { msg = { from: line, to: [], data: "" }; sock.write("250 OK\r\n"); }
        else if (cmd === "RCPT" && msg) { msg.to.push(line); sock.write("250 OK\r\n"); }
        else if (cmd === "DATA" && msg) { inData = true; sock.write("354 End data with <CR><LF>.<CR><LF>\r\n"); }
        else if (cmd === "RSET") { msg = null; sock.write("250 OK\r\n"); }
        else if (cmd === "NOOP") sock.write("250 OK\r\n");
        else if (cmd === "QUIT") sock.end("221 Bye\r\n");
        else sock.write("502 Command not implemented\r\n");
      }
    });
    sock.on("error", () => {});
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok({ server, inbox, port: server.address().port })));
}

/** The text/plain part of a MIME message, transfer encoding undone. */
export function plainText(raw) {
  const decode = (headers, body) => {
    const cte = (headers.match(/content-transfer-encoding:\s*([\w-]+)/i) || [])[1] || "7bit";
    if (/quoted-printable/i.test(cte)) {
      return body.replace(/=\r\n/g, "").replace(/=([0-9A-F]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16)));
    }
    if (/base64/i.test(cte)) return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
    return body;
  };
  const split = (part) => {
    const at = part.indexOf("\r\n\r\n");
    return [part.slice(0, at), part.slice(at + 4)];
  };
  const [headers, body] = split(raw);
  const boundary = (headers.match(/boundary="?([^";\r\n]+)"?/i) || [])[1];
  if (!boundary) return decode(headers, body);
  for (const part of body.split("--" + boundary)) {
    const [h, b] = split(part.replace(/^\r\n/, ""));
    if (/content-type:\s*text\/plain/i.test(h)) return decode(h, b);
  }
  throw new Error("no text/plain part in the mail:\n" + raw);
}

export function startServer(bin, dataDir, smtpPort, extra = {}) {
  return new Promise((resolveStart, reject) => {
    const args = [
      "serve", "--demo", "--listen", extra.listen || "127.0.0.1:0", "--data-dir", dataDir,
      "--smtp-url", `smtp://127.0.0.1:${smtpPort}`, "--mail-from", "Help Desk <help@heard.demo>",
      ...(extra.args || []),
    ];
    const child = spawn(bin, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, RUST_LOG: process.env.RUST_LOG || "warn" },
    });
    let out = "";
    const timer = setTimeout(() => reject(new Error("the server did not start within 60 s:\n" + out)), 60_000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/heard listening on (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolveStart({ child, url: m[1] });
      }
    });
    child.stderr.on("data", (d) => { if (process.env.E2E_VERBOSE) process.stderr.write(d); });
    child.on("exit", (code) => { clearTimeout(timer); reject(new Error(`the server exited (${code}):\n${out}`)); });
  });
}

export const timings = [];
let stepNo = 0;
let passed = 0;
/** How many steps have passed so far. */
export function passedSteps() {
  return passed;
}

export async function step(name, fn) {
  stepNo += 1;
  const started = Date.now();
  try {
    await fn();
    passed += 1;
    console.log(`ok   ${stepNo}. ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    console.log(`FAIL ${stepNo}. ${name}`);
    console.log(`e2e: ${passed} passed, 1 failed`);
    throw e;
  }
}

/** Screenshot the page, audit it, and note how long the server took to answer it. */
export async function snap(page, name) {
  const t = await page.evaluate(() => {
    const n = performance.getEntriesByType("navigation")[0];
    return n ? Math.round(n.responseStart - n.requestStart) : null;
  });
  timings.push({ page: name, path: new URL(page.url()).pathname, ms: t });
  await page.screenshot({ path: join(shots, `${String(timings.length).padStart(2, "0")}-${name}.png`), fullPage: true });
  await audit(page, name);
}

/**
 * The accessibility and phone checks every page must pass. Fails with the list of what
 * is wrong, each with the element it is about.
 */
export async function audit(page, name) {
  const problems = await page.evaluate(() => {
    const out = [];
    const describe = (el) => {
      const id = el.id ? `#${el.id}` : "";
      const cls = el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "";
      return `<${el.tagName.toLowerCase()}${id}${cls}> “${(el.textContent || el.value || "").trim().slice(0, 40)}”`;
    };
    const visible = (el) => {
      if (el.closest("[hidden], .visually-hidden")) return false;
      const r = el.getBoundingClientRect();
      const s = getComputedStyle(el);
      return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.display !== "none";
    };
    const textOf = (ids) => ids.split(/\s+/).map((i) => document.getElementById(i)).filter(Boolean).map((e) => e.textContent).join(" ").trim();
    const nameOf = (el) => {
      if (el.getAttribute("aria-labelledby")) return textOf(el.getAttribute("aria-labelledby"));
      if (el.getAttribute("aria-label")) return el.getAttribute("aria-label").trim();
      if (el.labels && el.labels.length) return Array.from(el.labels).map((l) => l.textContent).join(" ").trim();
      if (el.tagName === "BUTTON" || el.tagName === "A" || el.tagName === "SUMMARY") return (el.textContent || "").trim();
      if (el.type === "submit" || el.type === "button") return (el.value || "").trim();
      return (el.getAttribute("title") || "").trim();
    };
    // Every control and link has an accessible name.
    for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea, button, a[href], summary")) {
      if (!nameOf(el)) out.push(`no accessible name: ${describe(el)}`);
    }
    for (const el of document.querySelectorAll("[aria-describedby], [aria-labelledby]")) {
      for (const attr of ["aria-describedby", "aria-labelledby"]) {
        for (const id of (el.getAttribute(attr) || "").split(/\s+/).filter(Boolean)) {
          if (!document.getElementById(id)) out.push(`${attr} names a missing #${id}: ${describe(el)}`);
        }
      }
    }
    const ids = new Map();
    for (const el of document.querySelectorAll("[id]")) ids.set(el.id, (ids.get(el.id) || 0) + 1);
    for (const [id, n] of ids) if (n > 1) out.push(`id #${id} is used ${n} times`);
    // One h1, and no heading level skipped.
    const headings = Array.from(document.querySelectorAll("h1, h2, h3, h4, h5, h6")).map((h) => Number(h.tagName[1]));
    if (headings.filter((l) => l === 1).length !== 1) out.push(`expected one h1, found ${headings.filter((l) => l === 1).length}`);
    headings.forEach((l, i) => { if (i > 0 && l > headings[i - 1] + 1) out.push(`heading h${l} follows h${headings[i - 1]}`); });
    // Landmarks and the skip link.
    if (document.querySelectorAll("main").length !== 1) out.push("expected one <main>");
    if (!document.querySelector("body > header")) out.push("no banner (<header>)");
    const skip = document.querySelector("a.skip[href='#main']");
    if (!skip) out.push("no skip link to #main");
    if (!document.documentElement.lang) out.push("<html> has no lang");
    // Contrast of text on its background (WCAG AA: 4.5, or 3 for large text).
    const rgba = (c) => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null; const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
    const lum = ([r, g, b]) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
    const blend = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat(1);
    const background = (el) => {
      const layers = [];
      for (let e = el; e; e = e.parentElement) {
        const c = rgba(getComputedStyle(e).backgroundColor);
        if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
      }
      return layers.reverse().reduce((under, top) => blend(top, under), [255, 255, 255, 1]);
    };
    const checked = new Set();
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || checked.has(el) || !n.textContent.trim() || el.closest("svg, option, script, style") || !visible(el)) continue;
      checked.add(el);
      const s = getComputedStyle(el);
      const bg = background(el);
      const fg = blend(rgba(s.color) || [0, 0, 0, 1], bg);
      const [a, b] = [lum(fg) + 0.05, lum(bg) + 0.05];
      const ratio = Math.max(a, b) / Math.min(a, b);
      const size = parseFloat(s.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(s.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) out.push(`contrast ${ratio.toFixed(2)}:1 (${s.color} on rgb(${bg.slice(0, 3).map(Math.round).join(",")})): ${describe(el)}`);
    }
    return out;
  });
  // Keyboard: the skip link comes first, and every focused element shows it has focus.
  // Start from the top of the page, as after loading it.
  await page.evaluate(() => {
    if (document.activeElement) document.activeElement.blur();
    document.body.setAttribute("tabindex", "-1");
    document.body.focus();
    document.body.removeAttribute("tabindex");
    window.scrollTo(0, 0);
  });
  for (let i = 0; i < 14; i++) {
    await page.keyboard.press("Tab");
    const f = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      const s = getComputedStyle(el);
      const ring = (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2) || (s.boxShadow && s.boxShadow !== "none");
      return { ring, what: `<${el.tagName.toLowerCase()}> “${(el.textContent || el.value || el.name || "").trim().slice(0, 40)}”`, skip: el.classList.contains("skip") };
    });
    if (!f) break;
    if (i === 0 && !f.skip) problems.push(`the first Tab goes to ${f.what}, not the skip link`);
    if (!f.ring) problems.push(`no visible focus on ${f.what}`);
  }
  await page.evaluate(() => { if (document.activeElement) document.activeElement.blur(); });
  // A phone: nothing scrolls sideways.
  const size = page.viewportSize();
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth <= width) return null;
    const wide = Array.from(document.querySelectorAll("body *"))
      .filter((e) => e.getBoundingClientRect().right > width + 1 && !e.closest(".scroll"))
      .slice(0, 5)
      .map((e) => `<${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}${typeof e.className === "string" && e.className ? "." + e.className.split(" ").join(".") : ""}>`);
    return `the page is ${document.documentElement.scrollWidth}px wide at 390px: ${wide.join(", ")}`;
  });
  if (overflow) problems.push(overflow);
  await page.screenshot({ path: join(shots, `${String(timings.length).padStart(2, "0")}-${name}-phone.png`), fullPage: true });
  await page.setViewportSize(size);
  if (problems.length) throw new Error(`${name} (${page.url()}) fails the accessibility audit:\n  ` + problems.join("\n  "));
}

export function expect(cond, message) {
  if (!cond) throw new Error(message);
}

/** Fails the page on any console error: CSP violations, script errors, failed fetches. */
export function watch(page, label, errors) {
  page.on("console", (m) => { if (m.type() === "error") errors.push(`${label}: ${m.text()}`); });
  page.on("pageerror", (e) => errors.push(`${label}: ${e.message}`));
}

export async function signIn(page, base, email) {
  await page.goto(base + "/signin");
  await page.getByLabel("E-mail address").fill(email);
  await page.getByLabel("Password").fill("heard-demo-2026");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForLoadState("load");
}

/** A free loopback port, for a server whose address another must know before it starts. */
export function freePort() {
  return new Promise((ok, fail) => {
    const s = net.createServer();
    s.on("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/** The people the desk's OpenID provider knows (login name → claims), for 95-sso. */
export const oidcAccounts = {
  hana: { email: "hana@heard.demo", email_verified: true, name: "Hana", groups: ["desk"] },
  tom: { email: "tom@heard.demo", email_verified: false, name: "Tom", groups: ["desk"] },
};

/**
 * The OpenID Connect provider of tests/oidc (the `oidc-provider` package, its own login
 * and consent pages) on a loopback port, knowing heard at `heardBase` as its client.
 */
export function startOidcProvider(heardBase) {
  const config = {
    client_id: "heard-e2e",
    client_secret: "e2e client secret",
    redirect_uris: [`${heardBase}/signin/sso/callback`],
    accounts: oidcAccounts,
  };
  return new Promise((ok, fail) => {
    const child = spawn("node", [join(root, "tests", "oidc", "provider.mjs"), JSON.stringify(config)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const timer = setTimeout(() => fail(new Error("the OpenID provider did not start within 30 s:\n" + out)), 30_000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/oidc provider listening on (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        ok({
          child,
          issuer: m[1],
          args: [
            "--oidc-issuer", m[1], "--oidc-client-id", config.client_id,
            "--oidc-client-secret", config.client_secret, "--oidc-name", "Heard ID",
            "--oidc-scopes", "openid email profile groups",
            "--oidc-role-claim", "groups", "--oidc-role-map", "desk=agent,leads=supervisor",
          ],
        });
      }
    });
    child.stderr.on("data", (d) => { if (process.env.E2E_VERBOSE) process.stderr.write(d); });
    child.on("exit", (code) => { clearTimeout(timer); fail(new Error(`the OpenID provider exited (${code}):\n${out}`)); });
  });
}
