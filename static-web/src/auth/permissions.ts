// A UI hint of what the backend will allow; the backend's 403 is the authority.
import type { Entity, Me } from "../api";

/** Permission names the backend puts in /api/me `permissions`. */
export const Permission = {
  catalogRead: "catalog.read",
  templateRun: "template.execute",
  deploy: "deployment.create",
  approve: "deployment.approve",
  promote: "deployment.create",
  rollback: "deployment.rollback",
  control: "release.control",
  auditRead: "audit.read",
} as const;

export type PermissionName = (typeof Permission)[keyof typeof Permission] | string;

export interface Decision {
  allowed: boolean;
  /** Why not, phrased for the user; empty when allowed. */
  reason: string;
}

export interface ResourceScope {
  /** The entity acted upon (its spec.owner decides ownership) or just its ref. */
  entity?: Entity | null;
  entityRef?: string;
  environment?: string;
}

const ADMIN_ROLES = ["platform-admin"];
/** Roles whose write permissions only cover what the user's groups own (seed 000: deploy:own-app). */
const OWNER_SCOPED_ROLES = ["application-owner", "application-developer"];

function describeRoles(me: Me): string {
  if (!me.roles.length) return "you have no role";
  return `you are ${me.roles.map((r) => (/^[aeiou]/i.test(r) ? `an ${r}` : `a ${r}`)).join(", ")}`;
}

function ownerOf(scope: ResourceScope): string | undefined {
  const owner = scope.entity?.spec?.owner;
  if (typeof owner !== "string" || !owner) return undefined;
  // Backstage allows a bare name for an owner; it means a group in the entity's namespace.
  if (owner.includes(":")) return owner.toLowerCase();
  const ns = scope.entity?.metadata.namespace ?? "default";
  return `group:${owner.includes("/") ? owner : `${ns}/${owner}`}`.toLowerCase();
}

export function checkPermission(me: Me, permission: PermissionName, scope: ResourceScope = {}): Decision {
  const target = scope.entity ? `this ${scope.entity.kind.toLowerCase()}` : scope.entityRef ?? "this resource";
  const has = me.permissions.includes(permission) || me.permissions.includes("*");
  const ref = scope.entityRef ?? (scope.entity ? `${scope.entity.kind.toLowerCase()}:${scope.entity.metadata.namespace ?? "default"}/${scope.entity.metadata.name}` : undefined);
  const scoped = ref !== undefined && me.permissions.includes(`${permission}:${ref}`);
  if (!has && !scoped) {
    return { allowed: false, reason: `Requires ${permission} on ${target} (${describeRoles(me)})` };
  }
  if (scoped || me.roles.some((r) => ADMIN_ROLES.includes(r)) || !me.roles.some((r) => OWNER_SCOPED_ROLES.includes(r))) {
    return { allowed: true, reason: "" };
  }
  const owner = ownerOf(scope);
  if (!owner || permission.endsWith(".read")) return { allowed: true, reason: "" };
  const mine = [me.userRef, ...me.groups].map((g) => g.toLowerCase());
  if (mine.includes(owner)) return { allowed: true, reason: "" };
  // seed 000: an application-developer may deploy anyone's app to the dev environment.
  if (permission === Permission.deploy && scope.environment === "dev" && me.roles.includes("application-developer")) {
    return { allowed: true, reason: "" };
  }
  return {
    allowed: false,
    reason: `Requires ${permission} on ${target}: it is owned by ${owner} and you are not a member`,
  };
}
