import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MemoryRouter } from "react-router";
import { createApi, setApi, type Entity, type Me, type Pipeline } from "../src/api";
import { createClient } from "../src/api/client";
import { PipelineView } from "../src/pages/entity/PipelineView";

const entity: Entity = {
  apiVersion: "backstage.io/v1alpha1",
  kind: "Component",
  metadata: { name: "payments-api", namespace: "default" },
  spec: { type: "service", owner: "team-a", lifecycle: "production" },
};

const releaseManager: Me = {
  userRef: "user:default/ann", displayName: "Ann", groups: ["group:default/release-managers"], roles: ["release-manager"],
  permissions: ["catalog.read", "deployment.read", "deployment.create", "deployment.approve"],
};

const stage = (name: string, order: number, more: Partial<Pipeline["stages"][number]> = {}): Pipeline["stages"][number] => ({
  name, order, promotion: null, approvals: null, freeze: [], frozenNow: null, currentVersion: null, currentDeploymentId: null, pin: null, waiting: null, history: [], ...more,
});

const pipeline: Pipeline = {
  component: "component:default/payments-api",
  stages: [
    stage("prod", 2, {
      promotion: { auto: true, from: "staging", soak: "1h", analysis: [], afterRollback: "hold" },
      approvals: { required: 2, from: ["group:default/release-managers"] },
      currentVersion: "1.3.0",
      waiting: { version: "1.4.0", state: "AwaitingApproval", reason: "needs 1 more approval from group:default/release-managers (approved by user:default/bob)", deploymentId: "dep-promo-x", approvalsMissing: 1, approvedBy: ["user:default/bob"] },
    }),
    stage("dev", 0, { currentVersion: "1.5.0" }),
    stage("staging", 1, {
      promotion: { auto: true, from: "dev", soak: null, analysis: ["success-rate"], afterRollback: "hold" },
      freeze: [{ start: "2026-12-24T00:00:00Z", end: "2026-12-27T00:00:00Z", reason: "holidays" }],
      frozenNow: { until: "2026-12-27T00:00:00Z", reason: "holidays" },
      currentVersion: "1.4.0",
      pin: { version: "1.4.1", by: "user:default/jane", at: "2026-12-07T10:00:00Z" },
      waiting: { version: "1.5.0", state: "Frozen", reason: "waiting for freeze to end: staging is frozen until 2026-12-27 00:00 UTC (holidays)", until: "2026-12-27T00:00:00Z", promotionId: "promo-dep-1-staging" },
    }),
  ],
};

function mount(body: Pipeline) {
  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    if (url.endsWith("/api/components/default/payments-api/pipeline")) return Response.json(body);
    if (url.endsWith("/pipeline/prod/approve") && init?.method === "POST") return Response.json({ stage: "prod", deploymentId: "dep-promo-x", status: "Accepted" }, { status: 202 });
    if (url.endsWith("/pipeline/staging/unpin") && init?.method === "POST") return Response.json({ stage: "staging", wasPinned: true });
    return new Response(JSON.stringify({ title: "Not found", status: 404 }), { status: 404 });
  });
  setApi(createApi(createClient({ baseUrl: "http://api", getToken: () => "t", fetch })));
  render(<MemoryRouter><PipelineView entity={entity} me={releaseManager} /></MemoryRouter>);
  return fetch;
}

afterEach(cleanup);

describe("promotion pipeline view", () => {
  it("shows each stage in order with which version waits there and why", async () => {
    mount(pipeline);
    const view = await screen.findByTestId("pipeline-view");
    const names = within(view).getAllByRole("listitem").map((li) => li.getAttribute("data-testid"));
    expect(names).toEqual(["pipeline-stage-dev", "pipeline-stage-staging", "pipeline-stage-prod"]);

    const staging = screen.getByTestId("pipeline-stage-staging");
    expect(within(staging).getByTestId("stage-version").textContent).toBe("1.4.0");
    expect(within(staging).getByTestId("waiting-state").textContent).toBe("Frozen");
    expect(within(staging).getByTestId("waiting-reason").textContent).toContain("waiting for freeze to end");
    expect(within(staging).getByTestId("stage-pin").textContent).toContain("Pinned after rollback from 1.4.1");
    expect(staging.textContent).toContain("auto-promoted from dev after analysis success-rate");

    const prod = screen.getByTestId("pipeline-stage-prod");
    expect(within(prod).getByTestId("waiting-reason").textContent).toContain("needs 1 more approval from group:default/release-managers");
    expect(prod.textContent).toContain("2 approvals from group:default/release-managers");
  });

  it("approves what waits in a stage and unpins a pinned one through the pipeline API", async () => {
    const fetch = mount(pipeline);
    fireEvent.click(await screen.findByTestId("approve-stage-prod"));
    await waitFor(() => expect(fetch.mock.calls.some(([u, i]) => String(u).endsWith("/pipeline/prod/approve") && i?.method === "POST")).toBe(true));
    fireEvent.click(screen.getByTestId("unpin-stage-staging"));
    await waitFor(() => expect(fetch.mock.calls.some(([u, i]) => String(u).endsWith("/pipeline/staging/unpin") && i?.method === "POST")).toBe(true));
  });

  it("shows nothing for a component without pipeline rules", async () => {
    const fetch = mount({ component: "component:default/payments-api", stages: [stage("dev", 0, { currentVersion: "1.0.0" })] });
    await waitFor(() => expect(fetch).toHaveBeenCalled());
    expect(screen.queryByTestId("pipeline-view")).toBeNull();
  });
});
