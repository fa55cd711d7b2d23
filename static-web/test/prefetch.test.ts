import { afterEach, describe, expect, it, vi } from "vitest";
import { createClient, PREFETCH_TTL_MS } from "../src/api/client";
import { createApi, setApi } from "../src/api";
import { prefetchRoute } from "../src/routeData";

/** A fetch whose answers the test releases one by one, recording every URL asked for. */
function controlledFetch() {
  const calls: { url: string; auth?: string; release: (status: number, body: unknown) => void }[] = [];
  const fetch = vi.fn(
    (input: RequestInfo | URL, init?: RequestInit) =>
      new Promise<Response>((resolve, reject) => {
        init?.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
        calls.push({
          url: String(input),
          auth: (init?.headers as Record<string, string>)?.Authorization,
          release: (status, body) => resolve(new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } })),
        });
      }),
  );
  return { fetch, calls };
}

function setup(token: () => string | null = () => "tok") {
  const { fetch, calls } = controlledFetch();
  const onUnauthorized = vi.fn();
  const api = createApi(createClient({ baseUrl: "http://api", getToken: token, onUnauthorized, fetch }));
  return { api, fetch, calls, onUnauthorized };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 50 && !check(); i++) await new Promise((r) => setTimeout(r, 0));
  expect(check()).toBe(true);
};

afterEach(() => vi.restoreAllMocks());

describe("prefetched GETs", () => {
  it("answer the first identical GET from the one request already in flight", async () => {
    const { api, calls } = setup();
    void api.catalog.byName("component", "default", "payments", { prefetch: true });
    const page = api.catalog.byName("component", "default", "payments");
    expect(calls).toHaveLength(1);
    calls[0].release(200, { metadata: { name: "payments" } });
    await expect(page).resolves.toEqual({ metadata: { name: "payments" } });
    expect(calls).toHaveLength(1);
  });

  it("are taken once: the next identical GET asks the server again", async () => {
    const { api, calls } = setup();
    void api.clusters.list({ prefetch: true });
    calls[0].release(200, [{ name: "old" }]);
    await expect(api.clusters.list()).resolves.toEqual([{ name: "old" }]);
    const again = api.clusters.list();
    await until(() => calls.length === 2);
    calls[1].release(200, [{ name: "new" }]);
    await expect(again).resolves.toEqual([{ name: "new" }]);
  });

  it("are not shared with another URL or another token", async () => {
    let token = "alice";
    const { api, calls } = setup(() => token);
    void api.clusters.list({ prefetch: true });
    void api.clusters.workloads("default", "payments");
    token = "bob";
    void api.clusters.list();
    await until(() => calls.length === 3);
    expect(calls.map((c) => [c.url, c.auth])).toEqual([
      ["http://api/api/clusters", "Bearer alice"],
      ["http://api/api/components/default/payments/workloads", "Bearer alice"],
      ["http://api/api/clusters", "Bearer bob"],
    ]);
  });

  it("that failed are dropped without a sign-out, and the page's GET asks for itself", async () => {
    const { api, calls, onUnauthorized } = setup();
    const prefetch = api.auth.me({ prefetch: true });
    const page = api.auth.me();
    calls[0].release(401, { title: "expired", status: 401 });
    await expect(prefetch).rejects.toMatchObject({ status: 401 });
    expect(onUnauthorized).not.toHaveBeenCalled();
    await until(() => calls.length === 2);
    calls[1].release(200, { userRef: "user:default/jane" });
    await expect(page).resolves.toEqual({ userRef: "user:default/jane" });
    expect(onUnauthorized).not.toHaveBeenCalled();
  });

  it("older than the TTL are ignored", async () => {
    const { api, calls } = setup();
    const now = Date.now();
    const clock = vi.spyOn(Date, "now").mockReturnValue(now);
    void api.clusters.list({ prefetch: true });
    calls[0].release(200, [{ name: "stale" }]);
    clock.mockReturnValue(now + PREFETCH_TTL_MS + 1);
    const page = api.clusters.list();
    await until(() => calls.length === 2);
    calls[1].release(200, [{ name: "fresh" }]);
    await expect(page).resolves.toEqual([{ name: "fresh" }]);
  });

  it("are handed back by a caller that aborts, for the next identical GET", async () => {
    const { api, calls } = setup();
    void api.clusters.list({ prefetch: true });
    const first = new AbortController();
    const aborted = api.clusters.list({ signal: first.signal });
    first.abort();
    await expect(aborted).rejects.toMatchObject({ name: "AbortError" });
    const second = api.clusters.list();
    calls[0].release(200, [{ name: "c1" }]);
    await expect(second).resolves.toEqual([{ name: "c1" }]);
    expect(calls).toHaveLength(1);
  });
});

describe("prefetchRoute", () => {
  it("starts the catalog's results and facets with the URL's filters, search and cursor", async () => {
    const { api, calls } = setup();
    setApi(api);
    prefetchRoute({ pathname: "/catalog", search: "?kind=Component&tag=grpc&q=pay" });
    expect(calls.map((c) => c.url)).toEqual([
      "http://api/api/catalog/entities/by-query?filter=kind%3DComponent%2Cmetadata.tags%3Dgrpc&fullTextFilterTerm=pay&limit=20&fields=kind%2Cmetadata.name%2Cmetadata.namespace%2Cmetadata.title%2Cmetadata.description%2Cmetadata.tags%2Cspec.type%2Cspec.owner%2Cspec.lifecycle",
      "http://api/api/catalog/entity-facets?facet=kind&facet=spec.type&facet=spec.owner&facet=spec.lifecycle&facet=metadata.tags&filter=kind%3DComponent%2Cmetadata.tags%3Dgrpc",
    ]);
  });

  it("starts an entity by its decoded name in either address form, and nothing for other pages, unknown kinds or a malformed address", () => {
    const { api, calls } = setup();
    setApi(api);
    prefetchRoute({ pathname: "/catalog/ops/Component/pay%20ments", search: "" });
    prefetchRoute({ pathname: "/catalog/api/default/orders", search: "" }); // the former form, redirected to this entity
    prefetchRoute({ pathname: "/deployments", search: "" });
    prefetchRoute({ pathname: "/catalog/default/widget/x", search: "" });
    prefetchRoute({ pathname: "/catalog/default/component/%E0%A4%A", search: "" });
    expect(calls.map((c) => c.url)).toEqual([
      "http://api/api/catalog/entities/by-name/component/ops/pay%20ments",
      "http://api/api/catalog/entities/by-name/api/default/orders",
    ]);
  });
});
