import { cleanup, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { AnalysisRuns, type AnalysisMeasurement, type AnalysisRunSummary } from "../src/components/AnalysisRuns";

afterEach(cleanup);

const runs: AnalysisRunSummary[] = [{
  name: "step 2",
  phase: "Error",
  message: "analysis error (step 2): success: 5 consecutive errors, more than consecutiveErrorLimit 4",
  startedAt: "2026-12-07T10:00:00Z",
  finishedAt: "2026-12-07T10:00:05Z",
  metrics: [
    { name: "success", phase: "Error", dryRun: false, count: 0, successful: 0, failed: 0, inconclusive: 0, error: 5, message: "5 consecutive errors" },
    { name: "latency", phase: "Running", dryRun: true, count: 2, successful: 1, failed: 1, inconclusive: 0, error: 0, message: null },
  ],
}];

const measurements: AnalysisMeasurement[] = [
  { at: "2026-12-07T10:00:00Z", metric: "success", result: "Error", message: "metrics provider error: Prometheus answered 503", analysis: "step 2" },
  { at: "2026-12-07T10:00:00Z", metric: "latency", result: "Successful", value: 0.05, values: [0.05], condition: "result[0] < 0.5", dryRun: true, analysis: "step 2" },
  { at: "2026-12-07T10:00:01Z", metric: "latency", result: "Failed", value: 0.7, values: [0.7, 0.2], condition: "all(result, {# < 0.5})", dryRun: true, analysis: "step 2" },
  { at: "2026-12-07T09:00:00Z", metric: "latency", result: "Successful", value: 0.01, analysis: "step 4" },
];

describe("analysis runs on the deployment page", () => {
  it("says why the analysis ended and shows each metric's measurements, dry-run ones marked", () => {
    render(<AnalysisRuns runs={runs} measurements={measurements} />);
    const run = screen.getByTestId("analysis-run");
    expect(within(run).getByTestId("analysis-phase").textContent).toBe("Error");
    expect(within(run).getByTestId("analysis-why").textContent).toContain("more than consecutiveErrorLimit 4");

    const [success, latency] = within(run).getAllByTestId("analysis-metric");
    expect(within(success).queryByTestId("dry-run")).toBeNull();
    expect(success.textContent).toContain("5 errors");
    expect(within(success).getAllByTestId("measurement")).toHaveLength(1);
    expect(within(success).getByTestId("measurement").textContent).toContain("Prometheus answered 503");

    expect(within(latency).getByTestId("dry-run").textContent).toContain("dry run");
    const rows = within(latency).getAllByTestId("measurement");
    expect(rows).toHaveLength(2); // the other analysis' measurement is not mixed in
    expect(rows[1].textContent).toContain("Failed (dry run)");
    expect(rows[1].textContent).toContain("[0.7, 0.2]");
    expect(rows[1].textContent).toContain("all(result, {# < 0.5})");
  });

  it("shows nothing for a release without analyses in Argo Rollouts' form", () => {
    const { container } = render(<AnalysisRuns runs={undefined} measurements={measurements} />);
    expect(container.innerHTML).toBe("");
  });
});
