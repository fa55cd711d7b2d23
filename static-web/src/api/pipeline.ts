/** Promotion pipelines (`GET /api/components/{ns}/{name}/pipeline`, docs/api.md). */

export interface PromotionRuleView {
  auto: boolean;
  from: string;
  soak?: string | null;
  analysis: string[];
  afterRollback: string;
}

export interface ApprovalPolicy {
  required: number;
  from: string[];
}

export interface FreezeWindow {
  start?: string | null;
  end?: string | null;
  cron?: string | null;
  duration?: string | null;
  timeZone?: string | null;
  reason?: string | null;
}

export interface StagePin {
  version: string;
  by: string;
  at: string;
  deploymentId?: string | null;
}

/** What waits to enter a stage and why. */
export interface PipelineWaiting {
  version: string;
  state: string;
  reason: string;
  until?: string | null;
  promotionId?: string | null;
  deploymentId?: string | null;
  approvalsMissing?: number | null;
  approvedBy?: string[] | null;
}

export interface PromotionRecord {
  id: string;
  from: string;
  to: string;
  version: string;
  status: string;
  message?: string | null;
  deploymentId?: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface PipelineStage {
  name: string;
  order: number;
  promotion: PromotionRuleView | null;
  approvals: ApprovalPolicy | null;
  freeze: FreezeWindow[];
  frozenNow: { until: string; reason: string } | null;
  currentVersion: string | null;
  currentDeploymentId: string | null;
  pin: StagePin | null;
  waiting: PipelineWaiting | null;
  history: PromotionRecord[];
}

export interface Pipeline {
  component: string;
  stages: PipelineStage[];
}

/** True when any stage declares a pipeline rule (otherwise the environments table says everything). */
export function hasPipeline(p: Pipeline | null | undefined): boolean {
  return !!p?.stages.some((s) => s.promotion || s.approvals || s.freeze.length > 0 || s.pin || s.waiting);
}
