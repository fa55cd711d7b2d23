import { cleanup, render, screen } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createApi, setApi } from "../src/api";
import { createClient } from "../src/api/client";
import { shortDeploymentId } from "../src/format";
import Deployments from "../src/pages/Deployments";

const deployment = (id: string, version: string) => ({
  id, kind: "deploy", component: "component:default/payments-api", environment: "dev", version, previousVersion: null,
  strategy: { type: "rolling", steps: [] }, status: "Succeeded", requestedBy: "user:default/jane",
  createdAt: "2026-12-06T15:30:12Z", updatedAt: "2026-12-06T15:31:00Z", finishedAt: "2026-12-06T15:31:00Z", steps: [], commits: [],
});

afterEach(cleanup);

describe("deployment ids in lists", () => {
  it("show the random tail that tells one day's deployments apart", () => {
    expect(shortDeploymentId("dep-20261206153012-a1b2c3d4")).toBe("a1b2c3d4");
    expect(shortDeploymentId("dep-20261206153013-0f9e8d7c")).toBe("0f9e8d7c");
    expect(shortDeploymentId("custom-1")).toBe("custom-1");
    expect(shortDeploymentId("an-orchestration-instance-id-x")).toBe("…nstance-id-x");
  });

  it("are distinct for every row of the same day, with the full id in the link's title", async () => {
    const ids = ["dep-20261206153012-a1b2c3d4", "dep-20261206153012-0f9e8d7c", "dep-20261206091500-5e5e5e5e"];
    const fetch = vi.fn(async () => Response.json({ items: ids.map((id, i) => deployment(id, `1.0.${i}`)), pageInfo: { nextCursor: null } }));
    setApi(createApi(createClient({ baseUrl: "http://api", getToken: () => "t", fetch })));
    render(<MemoryRouter initialEntries={["/deployments"]}><Deployments /></MemoryRouter>);
    await screen.findByTestId("deployments-table");
    const links = screen.getAllByTestId("deployment-id");
    expect(links.map((l) => l.textContent)).toEqual(["a1b2c3d4", "0f9e8d7c", "5e5e5e5e"]);
    expect(new Set(links.map((l) => l.textContent)).size).toBe(ids.length);
    expect(links.map((l) => l.getAttribute("title"))).toEqual(ids);
    expect(links.map((l) => l.getAttribute("href"))).toEqual(ids.map((id) => `/deployments/${id}`));
  });
});
