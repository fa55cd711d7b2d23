import { describe, expect, it, vi } from "vitest";
import { loadConfig, readInlineConfig } from "../src/config";

function docWith(html: string): Document {
  const doc = document.implementation.createHTMLDocument("t");
  doc.head.innerHTML = html;
  return doc;
}

describe("config", () => {
  it("reads the config serve.mjs inlined in index.html without fetching", async () => {
    const doc = docWith(`<meta name="idp-config" content="{&quot;apiBase&quot;:&quot;http://127.0.0.1:7071/&quot;,&quot;authMode&quot;:&quot;dev&quot;,&quot;pollIntervalMs&quot;:500}">`);
    const fetchImpl = vi.fn<typeof fetch>();

    const config = await loadConfig(fetchImpl, doc);

    expect(config).toEqual({ apiBase: "http://127.0.0.1:7071", authMode: "dev", pollIntervalMs: 500 });
    expect(fetchImpl).not.toHaveBeenCalled();
  });

  it("falls back to /config.json when index.html has no (or a broken) config", async () => {
    const fetchImpl = vi.fn<typeof fetch>(async () => new Response(JSON.stringify({ apiBase: "", authMode: "entra" }), { status: 200 }));

    expect(readInlineConfig(docWith(`<meta name="idp-config" content="{not json">`))).toBeNull();
    const config = await loadConfig(fetchImpl, docWith(""));

    expect(config).toEqual({ apiBase: "", authMode: "entra", pollIntervalMs: 1000 });
    expect(fetchImpl).toHaveBeenCalledWith("/config.json", expect.objectContaining({ cache: "no-store" }));
  });

  it("says which status config.json answered when it cannot be loaded", async () => {
    const fetchImpl = vi.fn<typeof fetch>(async () => new Response("nope", { status: 404 }));
    await expect(loadConfig(fetchImpl, docWith(""))).rejects.toThrow("HTTP 404");
  });
});
