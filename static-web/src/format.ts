const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateTime.format(d);
}

export function formatRelative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "—";
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return iso;
  const seconds = Math.round((t - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 60) return relative.format(seconds, "second");
  if (abs < 3600) return relative.format(Math.round(seconds / 60), "minute");
  if (abs < 86400) return relative.format(Math.round(seconds / 3600), "hour");
  return relative.format(Math.round(seconds / 86400), "day");
}

export function formatDuration(startIso?: string | null, endIso?: string | null, now = Date.now()): string {
  if (!startIso) return "";
  const start = new Date(startIso).getTime();
  const end = endIso ? new Date(endIso).getTime() : now;
  if (Number.isNaN(start) || Number.isNaN(end)) return "";
  const s = Math.max(0, Math.round((end - start) / 1000));
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${s % 60}s`;
}

/** "user:default/jane" → "jane"; keeps the kind when it is not the one the context implies. */
export function shortRef(ref: string | null | undefined, impliedKind?: string): string {
  if (!ref) return "—";
  const m = /^([^:]+):([^/]+)\/(.+)$/.exec(ref);
  if (!m) return ref;
  const [, kind, ns, name] = m;
  const prefix = impliedKind && kind.toLowerCase() === impliedKind.toLowerCase() ? "" : `${kind}:`;
  return `${prefix}${ns === "default" ? "" : `${ns}/`}${name}`;
}

export function percent(used: number, capacity: number): number {
  if (!capacity || capacity <= 0) return 0;
  return Math.max(0, Math.min(100, Math.round((used / capacity) * 100)));
}

/**
 * What a list shows of a deployment id: ids are `dep-<UTC yyyyMMddHHmmss>-<random hex>`, so every deployment of a day
 * shares its first 12 characters; the random tail is what tells rows apart (the list shows the time beside it, and the
 * full id in the link's title). Other ids are shown whole when short, else by their last 12 characters.
 */
export function shortDeploymentId(id: string): string {
  const m = /^dep-\d{14}-([0-9a-f]+)$/i.exec(id);
  if (m) return m[1];
  return id.length <= 16 ? id : `…${id.slice(-12)}`;
}
