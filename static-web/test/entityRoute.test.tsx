import { cleanup, render, screen, waitFor } from "@testing-library/react";
import { Suspense } from "react";
import { MemoryRouter, Route, Routes, useLocation } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import { EntityRoute } from "../src/App";
import { createApi, setApi, type Me } from "../src/api";
import { createClient } from "../src/api/client";
import { entityPath } from "../src/api/query";
import { AuthProvider } from "../src/auth/AuthProvider";
import { defaultConfig } from "../src/config";
import { parseEntityRoute } from "../src/routeData";

describe("entity addresses", () => {
  it("read Backstage's /catalog/{namespace}/{kind}/{name}, kinds in any case", () => {
    expect(parseEntityRoute(["ops", "Component", "payments"])).toEqual({
      kind: "component", namespace: "ops", name: "payments", legacy: false, canonical: "/catalog/ops/component/payments",
    });
  });

  it("recognise the former /catalog/{kind}/{namespace}/{name} and give its Backstage address", () => {
    expect(parseEntityRoute(["API", "default", "payments api"])).toEqual({
      kind: "api", namespace: "default", name: "payments api", legacy: true, canonical: "/catalog/default/api/payments%20api",
    });
  });

  it("read Backstage's form when both first segments are kinds, keeping the other reading", () => {
    const route = parseEntityRoute(["user", "group", "admins"])!;
    expect([route.kind, route.namespace, route.legacy]).toEqual(["group", "user", false]);
    expect(route.otherReading).toEqual({ kind: "user", namespace: "group", name: "admins", canonical: "/catalog/group/user/admins" });
  });

  it("are no entity at all when neither segment is a kind, or a segment is missing", () => {
    expect(parseEntityRoute(["default", "widget", "x"])).toBeNull();
    expect(parseEntityRoute(["default", "component"])).toBeNull();
  });

  it("are what every link the app makes uses", () => {
    expect(entityPath("Component:ops/a b")).toBe("/catalog/ops/component/a%20b");
    expect(entityPath({ kind: "group", namespace: "default", name: "team-a" })).toBe("/catalog/default/group/team-a");
  });
});

const me: Me = { userRef: "user:default/jane", displayName: "Jane", groups: [], roles: ["viewer"], permissions: ["catalog.read"] };

function Where() {
  const l = useLocation();
  return <output data-testid="where">{l.pathname + l.search + l.hash}</output>;
}

function mount(address: string) {
  const fetch = vi.fn(async (input: RequestInfo | URL) => {
    const url = String(input);
    if (url.includes("/api/catalog/entities/by-name/component/default/payments-api")) {
      return Response.json({ apiVersion: "backstage.io/v1alpha1", kind: "Component", metadata: { name: "payments-api", namespace: "default", title: "Payments API" }, spec: {} });
    }
    return Response.json({ title: "Not found", status: 404 }, { status: 404 });
  });
  setApi(createApi(createClient({ baseUrl: "http://api", getToken: () => "t", fetch })));
  render(
    <AuthProvider config={defaultConfig} initial={{ status: "signedIn", me }}>
      <MemoryRouter initialEntries={[address]}>
        <Suspense fallback={<p>loading</p>}>
          <Routes>
            <Route path="/catalog/:first/:second/:name" element={<EntityRoute />} />
          </Routes>
        </Suspense>
        <Where />
      </MemoryRouter>
    </AuthProvider>,
  );
  return fetch;
}

afterEach(cleanup);

describe("the entity route", () => {
  it("redirects a former-form address to Backstage's, keeping query and fragment, and shows the entity", async () => {
    const fetch = mount("/catalog/Component/default/payments-api?tab=docs&doc=a.md#setup");
    expect((await screen.findByTestId("entity-title")).textContent).toBe("Payments API");
    expect(screen.getByTestId("where").textContent).toBe("/catalog/default/component/payments-api?tab=docs&doc=a.md#setup");
    const entityCalls = fetch.mock.calls.map((c) => String(c[0])).filter((u) => u.includes("/entities/by-name/"));
    expect(entityCalls).toEqual(["http://api/api/catalog/entities/by-name/component/default/payments-api"]);
  });

  it("serves Backstage's address in place", async () => {
    mount("/catalog/default/component/payments-api");
    expect((await screen.findByTestId("entity-title")).textContent).toBe("Payments API");
    expect(screen.getByTestId("where").textContent).toBe("/catalog/default/component/payments-api");
  });

  it("offers the other reading when an address whose two segments are kinds names nothing", async () => {
    mount("/catalog/component/api/payments-api");
    const other = await screen.findByTestId("entity-other-reading");
    expect(other.querySelector("a")?.getAttribute("href")).toBe("/catalog/api/component/payments-api");
  });

  it("says how entity addresses look when the kind is unknown", async () => {
    mount("/catalog/default/widget/x");
    await waitFor(() => expect(screen.getByTestId("entity-not-found").textContent).toContain("/catalog/<namespace>/<kind>/<name>"));
  });
});
