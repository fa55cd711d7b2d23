import { describe, expect, it, vi } from "vitest";
import { ApiError, createClient, joinUrl, readProblem } from "../src/api/client";
import { createApi } from "../src/api";

function fakeFetch(status: number, body: unknown, headers: Record<string, string> = { "Content-Type": "application/json" }) {
  return vi.fn(async (_input: RequestInfo | URL, _init?: RequestInit) =>
    new Response(body === undefined ? null : typeof body === "string" ? body : JSON.stringify(body), { status, headers }),
  );
}

describe("API client", () => {
  it("sends the bearer token and JSON body to apiBase + path", async () => {
    const fetch = fakeFetch(202, { id: "dep-1" });
    const api = createApi(createClient({ baseUrl: "http://127.0.0.1:7071/", getToken: () => "tok-123", fetch }));

    const result = await api.deployments.create("component:default/payments-api", "staging", "1.5.0");

    expect(result).toEqual({ id: "dep-1" });
    const [url, init] = fetch.mock.calls[0];
    expect(url).toBe("http://127.0.0.1:7071/api/deployments");
    expect(init?.method).toBe("POST");
    const headers = init?.headers as Record<string, string>;
    expect(headers.Authorization).toBe("Bearer tok-123");
    expect(headers["Content-Type"]).toBe("application/json");
    expect(JSON.parse(String(init?.body))).toEqual({ component: "component:default/payments-api", environment: "staging", version: "1.5.0" });
  });

  it("sends no Authorization header in cookie (Entra) mode", async () => {
    const fetch = fakeFetch(200, { userRef: "user:default/jane" });
    const api = createApi(createClient({ baseUrl: "", getToken: () => null, fetch }));
    await api.auth.me();
    const [url, init] = fetch.mock.calls[0];
    expect(url).toBe("/api/me");
    expect((init?.headers as Record<string, string>).Authorization).toBeUndefined();
    expect(init?.credentials).toBe("same-origin");
  });

  it("maps a 422 ProblemDetails with per-field errors", async () => {
    const fetch = fakeFetch(
      422,
      { type: "https://idp/errors/validation", title: "Invalid template values", status: 422, detail: "2 values are invalid", errors: { name: ["must match ^[a-z-]+$"], owner: "is required" } },
      { "Content-Type": "application/problem+json" },
    );
    const api = createApi(createClient({ baseUrl: "", getToken: () => "t", fetch }));

    const error = await api.scaffolder.createTask("template:default/dotnet-service", { name: "Bad Name" }).catch((e) => e);

    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(422);
    expect(error.problem.title).toBe("Invalid template values");
    expect(error.problem.detail).toBe("2 values are invalid");
    expect(error.problem.type).toBe("https://idp/errors/validation");
    expect(error.fieldErrors).toEqual({ name: ["must match ^[a-z-]+$"], owner: ["is required"] });
  });

  it("calls onUnauthorized on 401 and still rejects with the problem", async () => {
    const onUnauthorized = vi.fn();
    const fetch = fakeFetch(401, { title: "Token expired", status: 401 });
    const api = createApi(createClient({ baseUrl: "", getToken: () => "old", onUnauthorized, fetch }));

    const error = await api.clusters.list().catch((e) => e);

    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.isUnauthorized).toBe(true);
    expect(error.problem.title).toBe("Token expired");
  });

  it("does not treat 403 as a sign-out, and marks it forbidden", async () => {
    const onUnauthorized = vi.fn();
    const fetch = fakeFetch(403, { title: "Forbidden", status: 403, detail: "Requires deployment.create on component:default/payments-api" });
    const api = createApi(createClient({ baseUrl: "", getToken: () => "t", onUnauthorized, fetch }));

    const error = await api.deployments.create("component:default/payments-api", "prod", "1.0.0").catch((e) => e);

    expect(onUnauthorized).not.toHaveBeenCalled();
    expect(error.isForbidden).toBe(true);
    expect(error.problem.detail).toContain("deployment.create");
  });

  it("synthesises a problem from a non-JSON error body", async () => {
    const problem = await readProblem(new Response("upstream timed out", { status: 502, statusText: "Bad Gateway" }));
    expect(problem).toEqual({ title: "Bad Gateway", status: 502, detail: "upstream timed out" });
  });

  it("does not put an HTML error page into the detail", async () => {
    const problem = await readProblem(new Response("<html><body>oops</body></html>", { status: 500 }));
    expect(problem.status).toBe(500);
    expect(problem.detail).toBeUndefined();
  });

  it("turns a network failure into status 0 and lets aborts through untouched", async () => {
    const down = createClient({ baseUrl: "", getToken: () => null, fetch: vi.fn(async () => { throw new TypeError("Failed to fetch"); }) });
    const error = await down.request<never>("GET", "/api/me").catch((e: ApiError) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(0);

    const aborted = createClient({ baseUrl: "", getToken: () => null, fetch: vi.fn(async () => { throw new DOMException("aborted", "AbortError"); }) });
    const abortError = await aborted.request<never>("GET", "/api/me").catch((e: Error) => e);
    expect(abortError).not.toBeInstanceOf(ApiError);
    expect(abortError.name).toBe("AbortError");
  });

  it("encodes path segments and repeated query values", async () => {
    const fetch = fakeFetch(200, { pages: [] });
    const api = createApi(createClient({ baseUrl: "http://h", getToken: () => null, fetch }));
    await api.docs.page("component", "default", "a b", "guide/intro page.md");
    expect(fetch.mock.calls[0][0]).toBe("http://h/api/docs/component/default/a%20b/page?path=guide%2Fintro+page.md");
    expect(joinUrl("http://h", "/x", { a: ["1", "2"], b: undefined, c: "" })).toBe("http://h/x?a=1&a=2");
  });

  it("returns undefined for an empty 202 body", async () => {
    const fetch = vi.fn(async () => new Response(null, { status: 202 }));
    const api = createApi(createClient({ baseUrl: "", getToken: () => "t", fetch }));
    await expect(api.deployments.act("d1", "approve", "looks good")).resolves.toBeUndefined();
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/api/deployments/d1/approve");
    expect(JSON.parse(String(init.body))).toEqual({ comment: "looks good" });
  });
});
