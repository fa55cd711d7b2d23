import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MemoryRouter, Route, Routes } from "react-router";
import { createApi, setApi, type Entity, type Environment, type Me } from "../src/api";
import { createClient } from "../src/api/client";
import { checkPermission } from "../src/auth/permissions";
import { DeploymentsTab } from "../src/pages/entity/DeploymentsTab";

const entity: Entity = {
  apiVersion: "backstage.io/v1alpha1",
  kind: "Component",
  metadata: { name: "payments-api", namespace: "default" },
  spec: { type: "service", owner: "team-a", lifecycle: "production" },
};

const environments: Environment[] = [
  { name: "staging", order: 1, clusters: [{ name: "local-b", namespace: "payments" }], strategy: { type: "canary" }, protected: false, current: { version: "1.4.2", deploymentId: "dep-9", status: "Succeeded", by: "user:default/jane", at: "2026-11-20T10:00:00Z" } },
  { name: "dev", order: 0, clusters: [{ name: "local-a", namespace: "payments" }], strategy: { type: "rolling" }, protected: false, current: null },
  { name: "prod", order: 2, clusters: [{ name: "local-c", namespace: "payments" }], strategy: { type: "blueGreen" }, protected: true, current: null },
];

const viewer: Me = { userRef: "user:default/guest", displayName: "Guest", groups: ["group:default/visitors"], roles: ["viewer"], permissions: ["catalog.read"] };
const owner: Me = {
  userRef: "user:default/jane", displayName: "Jane", groups: ["group:default/team-a"], roles: ["application-owner"],
  permissions: ["catalog.read", "deployment.create", "deployment.rollback", "deployment.promote"],
};

function mountWith(me: Me) {
  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    if (url.endsWith("/api/components/default/payments-api/environments")) return Response.json(environments);
    if (url.endsWith("/api/deployments") && init?.method === "POST") return Response.json({ id: "dep-new" }, { status: 202 });
    return new Response(JSON.stringify({ title: "Not found", status: 404 }), { status: 404 });
  });
  setApi(createApi(createClient({ baseUrl: "http://api", getToken: () => "t", fetch })));
  render(
    <MemoryRouter initialEntries={["/catalog/default/component/payments-api?tab=deployments"]}>
      <Routes>
        <Route path="/catalog/:namespace/:kind/:name" element={<DeploymentsTab entity={entity} me={me} />} />
        <Route path="/deployments/:id" element={<p>deployment page</p>} />
      </Routes>
    </MemoryRouter>,
  );
  return fetch;
}

afterEach(cleanup);

describe("entity Deployments tab", () => {
  it("tells a viewer the API refused to show deployments and shows Deploy disabled with the missing permission", async () => {
    const fetch = vi.fn(async () =>
      new Response(JSON.stringify({ title: "Forbidden", status: 403, detail: "Requires deployment.read.", permission: "deployment.read" }), {
        status: 403, headers: { "content-type": "application/problem+json" },
      }));
    setApi(createApi(createClient({ baseUrl: "http://api", getToken: () => "t", fetch })));
    render(<MemoryRouter><DeploymentsTab entity={entity} me={viewer} /></MemoryRouter>);
    const restricted = await screen.findByTestId("deployments-restricted");
    expect(restricted.textContent).toContain("Requires deployment.read on this component (you are a viewer)");
    const deploy = within(restricted).getByTestId("deploy-button");
    expect(deploy).toHaveProperty("disabled", true);
    expect(within(restricted).getByTestId("deploy-disabled-reason").textContent).toBe("Requires deployment.create on this component (you are a viewer)");
    expect(within(restricted).getByTestId("rollback-button")).toHaveProperty("disabled", true);
  });

  it("disables Deploy for a viewer and says which permission is missing", async () => {
    mountWith(viewer);
    const row = await screen.findByTestId("env-row-staging");
    const deploy = within(row).getByTestId("deploy-button");
    expect(deploy).toHaveProperty("disabled", true);
    const reason = within(row).getByTestId("deploy-disabled-reason");
    expect(reason.textContent).toBe("Requires deployment.create on this component (you are a viewer)");
    expect(deploy.getAttribute("aria-describedby")).toBe(reason.id);
    expect(within(row).getByTestId("promote-disabled-reason").textContent).toContain("deployment.create");
  });

  it("lists environments in order with their current version", async () => {
    mountWith(viewer);
    await screen.findByTestId("env-row-staging");
    const rows = screen.getAllByTestId(/^env-row-/).map((r) => r.getAttribute("data-testid"));
    expect(rows).toEqual(["env-row-dev", "env-row-staging", "env-row-prod"]);
    expect(within(screen.getByTestId("env-row-staging")).getByTestId("env-version").textContent).toBe("1.4.2");
  });

  it("enables Deploy for an owner and explains why Rollback is still unavailable where nothing is deployed", async () => {
    mountWith(owner);
    const dev = await screen.findByTestId("env-row-dev");
    expect(within(dev).getByTestId("deploy-button")).toHaveProperty("disabled", false);
    expect(within(dev).queryByTestId("deploy-disabled-reason")).toBeNull();
    expect(within(dev).getByTestId("rollback-disabled-reason").textContent).toBe("Nothing is deployed here yet");
    const staging = screen.getByTestId("env-row-staging");
    expect(within(staging).getByTestId("promote-button")).toHaveProperty("disabled", false);
  });

  it("deploys the typed version to the row's environment", async () => {
    const fetch = mountWith(owner);
    const dev = await screen.findByTestId("env-row-dev");
    fireEvent.click(within(dev).getByTestId("deploy-button"));
    fireEvent.change(screen.getByTestId("deploy-version-input"), { target: { value: "1.5.0" } });
    fireEvent.click(screen.getByTestId("deploy-submit"));
    await screen.findByText("deployment page");
    const post = fetch.mock.calls.find(([, init]) => init?.method === "POST")!;
    expect(JSON.parse(String(post[1]!.body))).toEqual({ component: "component:default/payments-api", environment: "dev", version: "1.5.0" });
  });

  it("tells an owner of another team that they are not a member of the owning group", () => {
    const other: Me = { ...owner, groups: ["group:default/team-b"] };
    const decision = checkPermission(other, "deployment.create", { entity, environment: "prod" });
    expect(decision.allowed).toBe(false);
    expect(decision.reason).toBe("Requires deployment.create on this component: it is owned by group:default/team-a and you are not a member");
  });

  it("shows the server's ProblemDetails when environments fail to load", async () => {
    const fetch = vi.fn(async () => new Response(JSON.stringify({ title: "Catalog unavailable", status: 503, detail: "storage timeout" }), { status: 503 }));
    setApi(createApi(createClient({ baseUrl: "", getToken: () => "t", fetch })));
    render(<MemoryRouter><DeploymentsTab entity={entity} me={owner} /></MemoryRouter>);
    const problem = await screen.findByTestId("problem");
    await waitFor(() => expect(problem.textContent).toContain("Catalog unavailable"));
    expect(problem.textContent).toContain("storage timeout");
  });
});
