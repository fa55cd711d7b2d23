// Wire shapes of the IdpServerless backend. Catalog and scaffolder follow Backstage's APIs.

export interface ProblemDetails {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: Record<string, string[]>;
  [extension: string]: unknown;
}

export interface PageInfo {
  nextCursor?: string | null;
  prevCursor?: string | null;
}

export interface DevUser {
  ref: string;
  displayName: string;
  email?: string;
  groups: string[];
}

export interface DevToken {
  access_token: string;
  token_type: string;
  expires_in: number;
}

export interface Me {
  userRef: string;
  displayName: string;
  groups: string[];
  roles: string[];
  permissions: string[];
}

export interface EntityLink {
  url: string;
  title?: string;
  icon?: string;
}

export interface EntityRelation {
  type: string;
  targetRef: string;
}

export interface Entity {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    etag?: string;
    title?: string;
    description?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    tags?: string[];
    links?: EntityLink[];
  };
  spec?: Record<string, unknown>;
  relations?: EntityRelation[];
}

export interface EntityQueryResult {
  items: Entity[];
  totalItems: number;
  pageInfo: PageInfo;
}

export interface FacetValue {
  value: string;
  count: number;
}

export interface FacetsResult {
  facets: Record<string, FacetValue[]>;
}

export interface DocPageRef {
  path: string;
  title: string;
}

export interface DocPage {
  title: string;
  html: string;
}

export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  enumNames?: string[];
  default?: unknown;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  format?: string;
  [key: string]: unknown;
}

export interface TemplateParameterSchema {
  title: string;
  description?: string;
  steps: { title: string; description?: string; schema: JsonSchema }[];
}

export type TaskStatus = "open" | "processing" | "completed" | "failed" | "cancelled";

export interface TaskOutputLink {
  title?: string;
  url?: string;
  entityRef?: string;
  icon?: string;
}

export interface Task {
  id: string;
  status: TaskStatus;
  spec?: unknown;
  createdAt: string;
  lastHeartbeatAt?: string | null;
  output?: { links?: TaskOutputLink[]; text?: { title?: string; content?: string }[] | string[] } | null;
}

export interface TaskEvent {
  id: number | string;
  taskId: string;
  type: "log" | "completion" | string;
  body: { message: string; stepId?: string; status?: string; [k: string]: unknown };
  createdAt: string;
}

export interface DryRunResult {
  log: { body: { message: string; stepId?: string; status?: string } }[];
  directoryContents: { path: string; base64Content: string; executable?: boolean }[];
  output: unknown;
}

export type DeploymentStatus =
  | "Pending"
  | "WaitingForApproval"
  | "Running"
  | "Paused"
  | "Succeeded"
  | "Failed"
  | "RolledBack"
  | "Aborted";

export interface EnvironmentCurrent {
  version: string;
  deploymentId: string;
  status: DeploymentStatus | string;
  by: string;
  at: string;
}

export interface DeliveryStrategy {
  type: "rolling" | "blueGreen" | "canary" | string;
  steps?: unknown[];
}

export interface Environment {
  name: string;
  order: number;
  clusters: { name: string; namespace: string }[];
  strategy: DeliveryStrategy;
  protected: boolean;
  current: EnvironmentCurrent | null;
}

export interface DeploymentStep {
  name: string;
  status: string;
  startedAt?: string | null;
  finishedAt?: string | null;
  message?: string | null;
}

export interface AnalysisResult {
  at: string;
  metric: string;
  value: number;
  threshold: number;
  result: "Successful" | "Failed" | "Inconclusive" | string;
}

/** One metric's verdict in a canary-versus-baseline judgement. */
export interface MetricVerdict {
  metric: string;
  verdict: "pass" | "high" | "low" | "nodata" | string;
  passed: boolean;
  critical: boolean;
  weight: number;
  direction: "increase" | "decrease" | "either" | string;
  pValue?: number | null;
  canaryMedian?: number | null;
  baselineMedian?: number | null;
  canarySamples: number;
  baselineSamples: number;
  message?: string | null;
}

/** A canary-versus-baseline judgement: score 0-100 (null without data), thresholds, outcome, verdicts. */
export interface Judgement {
  at: string;
  from: string;
  to: string;
  score?: number | null;
  pass: number;
  marginal: number;
  outcome: "pass" | "marginal" | "fail" | "nodata" | string;
  metrics: MetricVerdict[];
}

export interface Release {
  type: "canary" | "blueGreen";
  stableVersion?: string;
  canaryVersion?: string;
  weights?: { stable: number; canary: number };
  currentStep?: number;
  totalSteps?: number;
  activeColor?: string;
  previewColor?: string;
  analysis?: AnalysisResult[];
  judgement?: Judgement | null;
}

export interface Deployment {
  id: string;
  component: string;
  environment: string;
  version: string;
  previousVersion?: string | null;
  strategy: DeliveryStrategy | string;
  status: DeploymentStatus;
  requestedBy: string;
  createdAt: string;
  updatedAt: string;
  steps: DeploymentStep[];
  release?: Release | null;
  /** Each cluster's state in a release that goes wave by wave (absent for environments without waves). */
  clusters?: ClusterReleaseState[] | null;
}

/** One cluster of a release that goes wave by wave. */
export interface ClusterReleaseState {
  cluster: string;
  wave: string;
  waveIndex: number;
  state: "Waiting" | "Progressing" | "Succeeded" | "RolledBack" | string;
  version?: string | null;
  tracks: { name: string; version: string; replicas: number; weight: number }[];
  sync?: string | null;
  revision?: string | null;
  health?: string | null;
  message?: string | null;
  observedAt?: string | null;
}

export interface DeploymentAccepted {
  id: string;
  statusQueryGetUri?: string;
  [k: string]: unknown;
}

export type DeploymentAction = "approve" | "reject" | "pause" | "resume" | "promote" | "promote-full" | "abort";

export interface Cluster {
  name: string;
  provider: "simulated" | "kubernetes" | string;
  region: string;
  status: "Healthy" | "Degraded" | "Unreachable" | string;
  nodes: number;
  cpu: { used: number; capacity: number };
  memory: { used: number; capacity: number };
  grafanaUrl?: string | null;
}

export interface Workload {
  cluster: string;
  namespace: string;
  name: string;
  version: string;
  replicas: { desired: number; ready: number; updated: number };
  status: string;
}

export interface Alert {
  name: string;
  severity: string;
  state: string;
  summary: string;
  since: string;
}

export interface AuditEntry {
  id: string;
  at: string;
  actor: string;
  channel: string;
  action: string;
  target: string;
  outcome: "success" | "denied" | "failed" | string;
  correlationId?: string;
  sourceIp?: string;
  detail?: string | null;
}

export interface Paged<T> {
  items: T[];
  pageInfo: PageInfo;
}

// Insights (/api/insights): scorecards, DORA for teams and the organisation, ownership health.

export interface ScorecardLevel {
  name: string;
  rules: string[];
}

export interface LevelCount {
  level: string;
  entities: number;
}

export interface RuleSummary {
  id: string;
  title: string;
  type: string;
  weight: number;
  passed: number;
  failed: number;
}

export interface ScorecardSummary {
  entities: number;
  levels: LevelCount[];
  noLevel: number;
  /** 0-100. */
  averageScore: number;
  rules: RuleSummary[];
}

export interface ScorecardInfo {
  ref: string;
  name: string;
  title: string;
  description?: string | null;
  owner?: string | null;
  levels: ScorecardLevel[];
  summary: ScorecardSummary;
}

export interface TeamSummary {
  team: string;
  title?: string | null;
  summary: ScorecardSummary;
}

export interface ScorecardDetail {
  scorecard: ScorecardInfo;
  teams: TeamSummary[];
}

export interface RuleOutcome {
  rule: string;
  passed: boolean;
  detail?: string | null;
}

export interface EntityScore {
  entity: string;
  level: string | null;
  /** -1 below the first level, else the level's index. */
  levelRank: number;
  /** 0-100. */
  score: number;
  outcomes: RuleOutcome[];
}

export interface ScorecardEntities {
  items: EntityScore[];
  total: number;
  offset: number;
  limit: number;
  /** Entities on this page the caller may not read (left out of items). */
  hidden: number;
}

export interface ScorecardTrendPoint {
  at: string;
  entities: number;
  levels: LevelCount[];
  noLevel: number;
  averageScore: number;
}

export interface ScorecardTrend {
  scorecard: string;
  scope: string;
  days: number;
  points: ScorecardTrendPoint[];
}

export interface EntityScoreChange {
  at: string;
  level: string | null;
  score: number;
  failed: string[];
}

export interface EntityScorecard {
  scorecard: string;
  title: string;
  levels: ScorecardLevel[];
  result: EntityScore;
  /** Newest first. */
  history: EntityScoreChange[];
}

export interface TeamScorecard {
  scorecard: ScorecardInfo;
  trend: ScorecardTrendPoint[];
}

export interface DoraFigures {
  deployments: number;
  succeeded: number;
  deploymentsPerDay: number;
  changeLeadTimeMinutes: number | null;
  leadTimeSamples: number;
  failedDeployments: number;
  /** 0-1. */
  changeFailRate: number | null;
  failedDeploymentRecoveryTimeMinutes: number | null;
  reworkDeployments: number;
  /** 0-1. */
  deploymentReworkRate: number | null;
}

export interface DoraBucket {
  from: string;
  to: string;
  figures: DoraFigures;
}

export interface DoraScopeReport {
  scope: string;
  days: number;
  environment: string | null;
  from: string;
  to: string;
  components: number;
  figures: DoraFigures;
  trend: DoraBucket[];
  byComponent: { component: string; figures: DoraFigures }[];
}

export type OwnershipProblem = "noOwner" | "unknownOwner" | "orphaned" | "emptyGroup" | "inactiveOwner";

export interface OwnershipIssue {
  problem: OwnershipProblem | string;
  entity: string;
  kind: string;
  title?: string | null;
  owner?: string | null;
  detail: string;
}

export interface OwnershipReport {
  counts: Record<string, number>;
  items: OwnershipIssue[];
  total: number;
  inactiveDays: number;
}
