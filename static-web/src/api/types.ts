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
