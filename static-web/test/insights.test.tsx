import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { MemoryRouter, Route, Routes } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createApi, setApi } from "../src/api";
import { createClient } from "../src/api/client";
import { LineChart } from "../src/components/charts";
import {
  csvFileName, DORA_METRICS, formatMinutes, formatPerDay, formatRate, formatScore, levelSegments, scorecardPath, splitRef, teamPath,
} from "../src/insights";
import Ownership from "../src/pages/insights/Ownership";
import ScorecardPage from "../src/pages/insights/ScorecardPage";
import TeamPage from "../src/pages/insights/TeamPage";
import { ScorecardsTab } from "../src/pages/entity/ScorecardsTab";

afterEach(cleanup);

describe("insights number formats", () => {
  it("shows rates as percentages, no data as a dash", () => {
    expect(formatRate(0)).toBe("0 %");
    expect(formatRate(0.125)).toBe("12.5 %");
    expect(formatRate(1 / 3)).toBe("33.3 %");
    expect(formatRate(1)).toBe("100 %");
    expect(formatRate(null)).toBe("—");
  });

  it("shows times in the unit that reads best", () => {
    expect(formatMinutes(0.5)).toBe("30 s");
    expect(formatMinutes(45.4)).toBe("45 min");
    expect(formatMinutes(90)).toBe("1.5 h");
    expect(formatMinutes(60 * 24)).toBe("24 h");
    expect(formatMinutes(60 * 24 * 3)).toBe("3 days");
    expect(formatMinutes(undefined)).toBe("—");
  });

  it("shows frequency per day, and per week below one a day", () => {
    expect(formatPerDay(0)).toBe("0 per day");
    expect(formatPerDay(2.34)).toBe("2.3 per day");
    expect(formatPerDay(3)).toBe("3 per day");
    expect(formatPerDay(1 / 7)).toBe("1 per week");
    expect(formatPerDay(0.5)).toBe("3.5 per week");
  });

  it("rounds scores and reads DORA's five from figures", () => {
    expect(formatScore(87.5)).toBe("88");
    expect(formatScore(null)).toBe("—");
    const figures = {
      deployments: 4, succeeded: 3, deploymentsPerDay: 0.1, changeLeadTimeMinutes: 120, leadTimeSamples: 3, failedDeployments: 1,
      changeFailRate: 0.25, failedDeploymentRecoveryTimeMinutes: null, reworkDeployments: 1, deploymentReworkRate: 0.25,
    };
    expect(DORA_METRICS.map((m) => m.format(m.value(figures)))).toEqual(["0.7 per week", "2 h", "25 %", "—", "25 %"]);
  });
});

describe("level distribution", () => {
  const levels = [{ name: "Bronze", rules: ["a"] }, { name: "Silver", rules: ["b"] }, { name: "Gold", rules: ["c"] }];

  it("lists no level first, then every level from the lowest, empty ones included", () => {
    const s = levelSegments(levels, { entities: 8, levels: [{ level: "Silver", entities: 2 }, { level: "Bronze", entities: 4 }], noLevel: 2 });
    expect(s.map((x) => [x.label, x.count, x.percent, x.rank])).toEqual([
      ["No level", 2, 25, 0], ["Bronze", 4, 50, 1], ["Silver", 2, 25, 2], ["Gold", 0, 0, 3],
    ]);
  });

  it("keeps a counted level the definition no longer lists, and survives no entities", () => {
    const s = levelSegments(levels, { entities: 1, levels: [{ level: "Platinum", entities: 1 }], noLevel: 0 });
    expect(s[s.length - 1]).toMatchObject({ level: "Platinum", count: 1, percent: 100 });
    expect(levelSegments(levels, { entities: 0, levels: [], noLevel: 0 }).every((x) => x.percent === 0)).toBe(true);
  });
});

describe("insights paths", () => {
  it("build scorecard and team pages from refs", () => {
    expect(splitRef("scorecard:default/production-readiness")).toEqual({ kind: "scorecard", namespace: "default", name: "production-readiness" });
    expect(scorecardPath("scorecard:default/production-readiness")).toBe("/insights/scorecards/default/production-readiness");
    expect(teamPath("group:default/payments-team")).toBe("/insights/teams/default/payments-team");
    expect(teamPath("ops/sre team")).toBe("/insights/teams/ops/sre%20team");
  });

  it("names the CSV after its filters and the day", () => {
    const day = new Date("2026-12-07T10:00:00Z");
    expect(csvFileName({}, day)).toBe("ownership-health-2026-12-07.csv");
    expect(csvFileName({ problem: "noOwner", kind: "component" }, day)).toBe("ownership-health-noOwner-component-2026-12-07.csv");
  });
});

describe("LineChart", () => {
  it("shows its empty text when no point has a value, and breaks the line at a gap", () => {
    const { rerender } = render(<LineChart title="Lead time" testId="c" points={[{ at: "2026-12-01T00:00:00Z", value: null }]} format={String} empty="Nothing yet." />);
    expect(screen.getByTestId("c-empty").textContent).toBe("Nothing yet.");
    rerender(
      <LineChart
        title="Lead time" testId="c" format={String}
        points={[1, 2, null, 4, 5].map((value, i) => ({ at: `2026-12-0${i + 1}T00:00:00Z`, value }))}
      />,
    );
    const chart = screen.getByTestId("c");
    expect(chart.querySelectorAll("polyline")).toHaveLength(2);
    expect(chart.querySelectorAll("circle")).toHaveLength(4);
  });
});

const summary = { entities: 3, levels: [{ level: "Bronze", entities: 1 }], noLevel: 2, averageScore: 41.7, rules: [
  { id: "owned", title: "Owned", type: "ownerExists", weight: 1, passed: 3, failed: 0 },
  { id: "docs", title: "Has TechDocs", type: "techDocs", weight: 1, passed: 1, failed: 2 },
] };
const card = { ref: "scorecard:default/prod", name: "prod", title: "Prod", description: null, owner: "group:default/platform-team", levels: [{ name: "Bronze", rules: ["owned", "docs"] }], summary };

function withApi(routes: Record<string, unknown>) {
  const fetch = vi.fn(async (input: RequestInfo | URL, _init?: RequestInit) => {
    const url = new URL(String(input));
    const key = Object.keys(routes).find((k) => url.pathname === k);
    if (!key) return new Response("", { status: 404 });
    const body = routes[key];
    return typeof body === "function" ? (body as (u: URL) => Response)(url) : Response.json(body);
  });
  setApi(createApi(createClient({ baseUrl: "http://api", getToken: () => "t", fetch })));
  return fetch;
}

describe("scorecard page", () => {
  it("shows rules, teams linked to their page, and asks for the entities of the chosen level", async () => {
    const fetch = withApi({
      "/api/insights/scorecards/default/prod": { scorecard: card, teams: [{ team: "group:default/payments-team", title: null, summary }] },
      "/api/insights/scorecards/default/prod/entities": (u: URL) => Response.json({
        items: u.searchParams.get("level") === "none" ? [] : [{ entity: "component:default/a", level: "Bronze", levelRank: 0, score: 100, outcomes: [] }],
        total: u.searchParams.get("level") === "none" ? 0 : 1, offset: 0, limit: 25, hidden: 0,
      }),
      "/api/insights/scorecards/default/prod/history": { points: [] },
    });
    render(
      <MemoryRouter initialEntries={["/insights/scorecards/default/prod"]}>
        <Routes><Route path="/insights/scorecards/:namespace/:name" element={<ScorecardPage />} /></Routes>
      </MemoryRouter>,
    );
    await screen.findByTestId("scorecard-entity-table");
    expect(within(screen.getByTestId("rule-docs")).getByTestId("rule-failed").textContent).toBe("2");
    expect(screen.getByTestId("team-link").getAttribute("href")).toBe("/insights/teams/default/payments-team");
    expect(screen.getByTestId("scorecard-history-empty")).toBeTruthy();
    fireEvent.change(screen.getByTestId("scorecard-filter-level"), { target: { value: "none" } });
    await screen.findByTestId("scorecard-entities-empty");
    expect(fetch.mock.calls.some(([u]) => String(u).includes("/entities?level=none"))).toBe(true);
  });
});

describe("team page", () => {
  it("says plainly when the caller may not read the team's DORA", async () => {
    withApi({
      "/api/insights/teams/default/payments-team/scorecards": [{ scorecard: card, trend: [] }],
      "/api/insights/dora/teams/default/payments-team": () => Response.json({ title: "Forbidden", status: 403, detail: "metrics.read" }, { status: 403 }),
    });
    render(
      <MemoryRouter initialEntries={["/insights/teams/default/payments-team"]}>
        <Routes><Route path="/insights/teams/:namespace/:name" element={<TeamPage />} /></Routes>
      </MemoryRouter>,
    );
    await screen.findByTestId("dora-forbidden");
    expect(screen.getByTestId("team-scorecard-prod")).toBeTruthy();
    expect(screen.getByTestId("team-trend-prod-empty")).toBeTruthy();
  });
});

describe("ownership export", () => {
  it("fetches the CSV with the bearer token and saves it through a blob URL", async () => {
    const fetch = withApi({
      "/api/insights/ownership": (u: URL) => u.searchParams.get("format") === "csv"
        ? new Response("problem,entity\r\n", { headers: { "Content-Type": "text/csv" } })
        : Response.json({ counts: { noOwner: 1, unknownOwner: 0, orphaned: 0, emptyGroup: 0, inactiveOwner: 0 }, items: [
          { problem: "noOwner", entity: "component:default/x", kind: "Component", title: null, owner: null, detail: "no spec.owner" },
        ], total: 1, inactiveDays: 90 }),
    });
    const createObjectURL = vi.fn(() => "blob:x");
    Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() });
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => undefined);
    render(<MemoryRouter initialEntries={["/insights/ownership?problem=noOwner"]}><Ownership /></MemoryRouter>);
    await screen.findByTestId("ownership-table");
    expect(within(screen.getByTestId("ownership-problem-noOwner")).getByTestId("ownership-count").textContent).toBe("1");
    fireEvent.click(screen.getByTestId("ownership-export"));
    await screen.findByTestId("ownership-export-done");
    const csvCall = fetch.mock.calls.find(([u]) => String(u).includes("format=csv"))!;
    expect(String(csvCall[0])).toContain("problem=noOwner");
    expect(csvCall[1]?.headers).toMatchObject({ Authorization: "Bearer t" });
    expect(createObjectURL).toHaveBeenCalledOnce();
    expect(click).toHaveBeenCalledOnce();
    click.mockRestore();
  });
});

describe("DORA axis labels", () => {
  it("are short forms of each figure", () => {
    expect(DORA_METRICS.map((m) => m.tick(m.id.endsWith("rate") ? 0.25 : 1.5))).toEqual(["1.5/d", "2 min", "25%", "2 min", "25%"]);
  });
});

describe("entity scorecards tab", () => {
  it("shows the level, the next one, each rule by title with its detail, and the recorded changes", async () => {
    withApi({
      "/api/insights/entities/component/default/a/scorecards": [{
        scorecard: "scorecard:default/prod", title: "Prod", levels: [{ name: "Bronze", rules: ["owned"] }, { name: "Silver", rules: ["docs"] }],
        result: { entity: "component:default/a", level: "Bronze", levelRank: 0, score: 50, outcomes: [
          { rule: "owned", passed: true, detail: null }, { rule: "docs", passed: false, detail: "no techdocs-ref annotation" },
        ] },
        history: [{ at: "2026-12-07T10:00:00Z", level: "Bronze", score: 50, failed: ["docs"] }],
      }],
      "/api/insights/scorecards": [card],
    });
    const entity = { apiVersion: "backstage.io/v1alpha1", kind: "Component", metadata: { name: "a", namespace: "default" }, spec: {} };
    render(<MemoryRouter><ScorecardsTab entity={entity as never} /></MemoryRouter>);
    const panel = await screen.findByTestId("entity-scorecard-scorecard:default/prod");
    expect(within(panel).getByTestId("entity-scorecard-level").textContent).toBe("Bronze");
    expect(panel.textContent).toContain("next: Silver");
    await within(within(panel).getByTestId("entity-rule-docs")).findByText("Has TechDocs");
    expect(within(panel).getByTestId("entity-rule-docs").getAttribute("data-passed")).toBe("false");
    expect(within(panel).getAllByTestId("entity-rule-detail").map((d) => d.textContent)).toEqual([" — no techdocs-ref annotation"]);
    expect(within(panel).getByTestId("entity-scorecard-history").textContent).toContain("Changes (1)");
  });
});
