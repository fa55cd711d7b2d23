import { cleanup, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { ClusterReleaseState } from "../src/api";
import { describeTracks, groupByWave, WaveClusters } from "../src/components/WaveClusters";

const west: ClusterReleaseState = {
  cluster: "local-west", wave: "rest", waveIndex: 2, state: "Waiting", version: "1.0.0",
  tracks: [{ name: "stable", version: "1.0.0", replicas: 2, weight: 100 }], sync: "Synced", revision: "aaaaaaaa1111", health: "Healthy",
};
const east: ClusterReleaseState = {
  cluster: "local-east", wave: "canary-region", waveIndex: 1, state: "Progressing", version: "1.0.0",
  tracks: [{ name: "stable", version: "1.0.0", replicas: 2, weight: 50 }, { name: "canary", version: "2.0.0", replicas: 1, weight: 50 }],
  sync: "OutOfSync", revision: "bbbbbbbb2222", health: "Degraded", message: "local-east: web-canary 2.0.0 0/1 ready",
};

describe("WaveClusters", () => {
  afterEach(cleanup);

  it("groups clusters by wave in wave order", () => {
    expect(groupByWave([west, east]).map((w) => [w.index, w.wave, w.clusters.map((c) => c.cluster)])).toEqual([
      [1, "canary-region", ["local-east"]],
      [2, "rest", ["local-west"]],
    ]);
  });

  it("describes the traffic split and leaves out tracks scaled to nothing", () => {
    expect(describeTracks(east)).toBe("stable 1.0.0 50% · canary 2.0.0 50%");
    expect(describeTracks({ ...west, tracks: [...west.tracks, { name: "canary", version: "2.0.0", replicas: 0, weight: 0 }] })).toBe("stable 1.0.0 100%");
  });

  it("shows each cluster's state, version, traffic, health and sync revision under its wave", () => {
    render(<WaveClusters clusters={[west, east]} />);
    const first = within(screen.getByTestId("wave-canary-region"));
    expect(first.getByRole("heading").textContent).toBe("Wave 1: canary-region");
    const eastRow = within(first.getByTestId("cluster-local-east"));
    expect(eastRow.getByText("Progressing")).toBeTruthy();
    expect(eastRow.getByText("stable 1.0.0 50% · canary 2.0.0 50%")).toBeTruthy();
    expect(eastRow.getByText("Degraded")).toBeTruthy();
    expect(eastRow.getByText("local-east: web-canary 2.0.0 0/1 ready")).toBeTruthy();
    expect(eastRow.getByText("bbbbbbbb").parentElement?.textContent).toBe("bbbbbbbb (OutOfSync)");
    const westRow = within(within(screen.getByTestId("wave-rest")).getByTestId("cluster-local-west"));
    expect(westRow.getByText("Waiting")).toBeTruthy();
    expect(westRow.getByText("1.0.0")).toBeTruthy();
    expect(westRow.getByText("aaaaaaaa").parentElement?.textContent).toBe("aaaaaaaa");
    expect(screen.getAllByRole("heading").map((h) => h.textContent)).toEqual(["Waves", "Wave 1: canary-region", "Wave 2: rest"]);
  });
});
