export type AuthMode = "dev" | "entra";

export interface AppConfig {
  /** Backend origin, e.g. http://127.0.0.1:7071; "" when the API sits behind the same origin (SWA /api proxy). */
  apiBase: string;
  authMode: AuthMode;
  /** How often live views poll, in ms (deployment progress, task events fallback). */
  pollIntervalMs: number;
}

export const defaultConfig: AppConfig = { apiBase: "", authMode: "dev", pollIntervalMs: 1000 };

export function parseConfig(raw: unknown): AppConfig {
  const value = (raw && typeof raw === "object" ? raw : {}) as Record<string, unknown>;
  const authMode = value.authMode === "entra" ? "entra" : "dev";
  const apiBase = typeof value.apiBase === "string" ? value.apiBase.replace(/\/+$/, "") : defaultConfig.apiBase;
  const poll = Number(value.pollIntervalMs);
  return { apiBase, authMode, pollIntervalMs: Number.isFinite(poll) && poll >= 200 ? poll : defaultConfig.pollIntervalMs };
}

/** The config the static server put in index.html (`<meta name="idp-config">`), or null when it is not there. */
export function readInlineConfig(doc: Pick<Document, "querySelector"> | undefined = globalThis.document): AppConfig | null {
  const content = doc?.querySelector('meta[name="idp-config"]')?.getAttribute("content");
  if (!content) return null;
  try {
    return parseConfig(JSON.parse(content));
  } catch {
    return null; // a broken tag falls back to /config.json, which reports its own errors
  }
}

/** The app's settings: from index.html when the static server inlined them (serve.mjs), else from /config.json (SWA). */
export async function loadConfig(fetchImpl: typeof fetch = fetch, doc: Pick<Document, "querySelector"> | undefined = globalThis.document): Promise<AppConfig> {
  const inline = readInlineConfig(doc);
  if (inline) return inline;
  const response = await fetchImpl("/config.json", { cache: "no-store", headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`config.json could not be loaded (HTTP ${response.status})`);
  return parseConfig(await response.json());
}
