import { describe, expect, it } from "vitest";
import type { Deployment } from "../src/api";
import { availableActions } from "../src/pages/DeploymentDetail";

const base: Deployment = {
  id: "d1", component: "component:default/payments-api", environment: "prod", version: "1.5.0", previousVersion: "1.4.2",
  strategy: { type: "canary" }, status: "Running", requestedBy: "user:default/jane", createdAt: "", updatedAt: "", steps: [],
  release: { type: "canary", weights: { stable: 80, canary: 20 }, currentStep: 1, totalSteps: 4 },
};
const names = (d: Deployment) => availableActions(d).map((a) => a.action);

describe("deployment controls per status", () => {
  it("offers pause, promote, promote-full and abort for a running canary", () => {
    expect(names(base)).toEqual(["pause", "promote", "promote-full", "abort"]);
  });
  it("offers resume instead of pause when paused", () => {
    expect(names({ ...base, status: "Paused" })).toEqual(["resume", "promote", "promote-full", "abort"]);
  });
  it("offers approve and reject while waiting for approval", () => {
    expect(names({ ...base, status: "WaitingForApproval" })).toEqual(["approve", "reject"]);
  });
  it("offers a switch for blue/green instead of canary steps", () => {
    const bg: Deployment = { ...base, strategy: { type: "blueGreen" }, release: { type: "blueGreen", activeColor: "blue", previewColor: "green" } };
    const actions = availableActions(bg);
    expect(actions.map((a) => a.action)).toEqual(["pause", "promote", "abort"]);
    expect(actions[1].label).toBe("Switch traffic to green");
  });
  it("offers only rollback once finished, and nothing without a previous version", () => {
    expect(names({ ...base, status: "Succeeded" })).toEqual(["rollback"]);
    expect(names({ ...base, status: "Failed", previousVersion: null })).toEqual([]);
  });
});
