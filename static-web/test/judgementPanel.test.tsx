import { cleanup, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { Judgement } from "../src/api";
import { explainVerdict, JudgementPanel } from "../src/components/JudgementPanel";

const failed: Judgement = {
  at: "2026-12-07T10:00:12Z", from: "2026-12-07T10:00:00Z", to: "2026-12-07T10:00:12Z",
  score: 25, pass: 75, marginal: 50, outcome: "fail",
  metrics: [
    { metric: "error-rate", verdict: "high", passed: false, critical: false, weight: 3, direction: "increase", pValue: 0.00004, canaryMedian: 0.005, baselineMedian: 0.0006, canarySamples: 13, baselineSamples: 13 },
    { metric: "latency-p99", verdict: "pass", passed: true, critical: false, weight: 1, direction: "increase", pValue: 1, canaryMedian: 0.0495, baselineMedian: 0.0495, canarySamples: 13, baselineSamples: 13 },
    { metric: "throughput", verdict: "nodata", passed: true, critical: true, weight: 1, direction: "decrease", pValue: null, canaryMedian: null, baselineMedian: null, canarySamples: 1, baselineSamples: 0, message: "1 canary and 0 baseline samples: at least 3 of each are needed" },
  ],
};

describe("JudgementPanel", () => {
  afterEach(cleanup);

  it("shows the score against its marks and why each metric passed or failed", () => {
    render(<JudgementPanel judgement={failed} />);

    expect(screen.getByTestId("judgement-score").textContent).toBe("score 25");
    expect(screen.getByTestId("judgement-score").className).toContain("badge-bad");
    expect(screen.getByTestId("judgement-outcome").textContent).toContain("below the marginal mark: rolled back");
    const errors = within(screen.getByTestId("verdict-error-rate"));
    expect(errors.getByText("high").className).toContain("badge-bad");
    expect(errors.getByText("4.0e-5")).toBeTruthy();
    expect(errors.getByText("0.0050")).toBeTruthy();
    expect(errors.getByText("0.00060")).toBeTruthy();
    expect(errors.getByText("canary is significantly higher than baseline")).toBeTruthy();
    expect(within(screen.getByTestId("verdict-latency-p99")).getByText("pass").className).toContain("badge-ok");
    const nodata = within(screen.getByTestId("verdict-throughput"));
    expect(nodata.getByText(/critical/)).toBeTruthy();
    expect(nodata.getByText(/at least 3 of each/)).toBeTruthy();
    expect(screen.getByRole("meter", { name: "Judgement score 25 of 100" })).toBeTruthy();
  });

  it("says a marginal score waits for a human and a judgement without data has no score", () => {
    render(<JudgementPanel judgement={{ ...failed, score: 60, outcome: "marginal" }} />);
    expect(screen.getByTestId("judgement-score").className).toContain("badge-warn");
    expect(screen.getByTestId("judgement-outcome").textContent).toContain("waiting for a human");
    cleanup();

    render(<JudgementPanel judgement={{ ...failed, score: null, outcome: "nodata" }} />);
    expect(screen.getByTestId("judgement-score").textContent).toBe("no score");
    expect(screen.queryByRole("meter")).toBeNull();
  });

  it("explains a significant change that goes the harmless way", () => {
    expect(explainVerdict({ ...failed.metrics[0], verdict: "low", passed: true })).toBe("canary is lower than baseline, which is fine for a metric whose increase is bad");
  });
});
