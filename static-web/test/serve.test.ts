// @vitest-environment node
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Runs the real serve.mjs against a throwaway dist folder on a free port.
let child: ChildProcess;
let base = "";
const dir = mkdtempSync(join(tmpdir(), "idp-serve-"));

beforeAll(async () => {
  mkdirSync(join(dir, "assets"));
  writeFileSync(join(dir, "index.html"), `<!doctype html><html><head><title>app</title><meta name="idp-config" content="{&quot;apiBase&quot;:&quot;&quot;,&quot;authMode&quot;:&quot;entra&quot;}"></head><body></body></html>`);
  writeFileSync(join(dir, "assets", "index-abc123.js"), "console.log('x');".repeat(100));
  child = spawn(process.execPath, [join(__dirname, "..", "serve.mjs"), "--port", "0", "--api", "http://127.0.0.1:7071", "--auth-mode", "entra", "--dir", dir], { stdio: ["ignore", "pipe", "pipe"] });
  base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("serve.mjs did not start")), 5000);
    child.stdout!.on("data", (chunk: Buffer) => {
      const m = /http:\/\/127\.0\.0\.1:(\d+)/.exec(chunk.toString());
      if (m) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${m[1]}`);
      }
    });
    child.on("exit", (code) => reject(new Error(`serve.mjs exited with ${code}`)));
  });
});

afterAll(async () => {
  if (child.exitCode === null) {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

describe("serve.mjs", () => {
  it("generates config.json from its flags, uncached", async () => {
    const res = await fetch(`${base}/config.json`);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toEqual({ apiBase: "http://127.0.0.1:7071", authMode: "entra", pollIntervalMs: 1000 });
  });

  it("puts the same config in index.html in place of the build's, so the app need not fetch it", async () => {
    const html = await (await fetch(`${base}/catalog`)).text();
    expect(html.match(/name="idp-config"/g)).toHaveLength(1);
    const m = /<meta name="idp-config" content="([^"]*)" \/>/.exec(html);
    expect(m).not.toBeNull();
    const decoded = m![1].replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
    expect(JSON.parse(decoded)).toEqual({ apiBase: "http://127.0.0.1:7071", authMode: "entra", pollIntervalMs: 1000 });
  });

  it("falls back to index.html for app routes with no-cache and a CSP allowing the API", async () => {
    const res = await fetch(`${base}/catalog/default/component/payments-api`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("<title>app</title>");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(res.headers.get("content-security-policy")).toContain("connect-src 'self' http://127.0.0.1:7071");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("serves hashed assets immutable and compressed, and 404s missing ones", async () => {
    const res = await fetch(`${base}/assets/index-abc123.js`, { headers: { "Accept-Encoding": "gzip" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(res.headers.get("content-type")).toContain("text/javascript");
    expect((await fetch(`${base}/assets/missing.js`)).status).toBe(404);
  });

  it("rejects writes", async () => {
    expect((await fetch(`${base}/config.json`, { method: "POST" })).status).toBe(405);
  });

  it("exits cleanly on SIGTERM", async () => {
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});
