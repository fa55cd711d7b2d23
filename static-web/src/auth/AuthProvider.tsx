import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { api, ApiError, type Me } from "../api";
import type { AppConfig } from "../config";
import { clearToken, saveToken } from "./session";

type AuthState =
  | { status: "loading" }
  | { status: "signedOut"; reason?: string }
  | { status: "signedIn"; me: Me }
  | { status: "error"; error: unknown };

interface AuthContextValue {
  state: AuthState;
  config: AppConfig;
  signInDev(userRef: string): Promise<void>;
  signOut(): void;
  refresh(): Promise<void>;
}

const AuthContext = createContext<AuthContextValue | null>(null);

/** Fired by the API client on any 401, wherever the call came from. */
const unauthorizedListeners = new Set<() => void>();
export function notifyUnauthorized() {
  clearToken();
  unauthorizedListeners.forEach((l) => l());
}

async function hasSwaPrincipal(): Promise<boolean> {
  const response = await fetch("/.auth/me", { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!response.ok) return false;
  const body = (await response.json()) as { clientPrincipal?: unknown };
  return !!body.clientPrincipal;
}

async function fetchMe(): Promise<AuthState> {
  try {
    return { status: "signedIn", me: await api().auth.me() };
  } catch (error) {
    return error instanceof ApiError && error.isUnauthorized ? { status: "signedOut" } : { status: "error", error };
  }
}

/** Who is signed in: the SWA principal (Entra) or the stored dev token, then /api/me. */
async function resolveSession(config: AppConfig): Promise<AuthState> {
  if (config.authMode === "entra") {
    try {
      if (!(await hasSwaPrincipal())) return { status: "signedOut" };
    } catch (error) {
      return { status: "error", error };
    }
  } else if (!api().client.authHeaders().Authorization) {
    return { status: "signedOut" };
  }
  return fetchMe();
}

let early: Promise<AuthState> | null = null;

/**
 * Starts resolving the session before React first renders (main.tsx calls it once the API is configured), so the
 * /api/me round trip runs beside that render instead of after it: on a cold load the first render costs ~80 ms.
 * The AuthProvider's first refresh takes this answer; later refreshes ask again.
 */
export function startSignIn(config: AppConfig) {
  early = resolveSession(config);
}

export function AuthProvider({ config, children, initial }: { config: AppConfig; children: ReactNode; initial?: AuthState }) {
  const [state, setState] = useState<AuthState>(initial ?? { status: "loading" });

  const loadMe = useCallback(async () => setState(await fetchMe()), []);

  const refresh = useCallback(async () => {
    const started = early;
    early = null;
    setState(await (started ?? resolveSession(config)));
  }, [config]);

  useEffect(() => {
    if (!initial) void refresh();
  }, [initial, refresh]);

  useEffect(() => {
    const onUnauthorized = () => setState({ status: "signedOut", reason: "Your session has ended. Please sign in again." });
    unauthorizedListeners.add(onUnauthorized);
    return () => void unauthorizedListeners.delete(onUnauthorized);
  }, []);

  const signInDev = useCallback(
    async (userRef: string) => {
      const token = await api().auth.devToken(userRef);
      saveToken(token.access_token, token.expires_in);
      await loadMe();
    },
    [loadMe],
  );

  const signOut = useCallback(() => {
    clearToken();
    if (config.authMode === "entra") {
      window.location.assign("/.auth/logout?post_logout_redirect_uri=/login");
      return;
    }
    setState({ status: "signedOut", reason: "You have signed out." });
  }, [config.authMode]);

  const value = useMemo(() => ({ state, config, signInDev, signOut, refresh }), [state, config, signInDev, signOut, refresh]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthContextValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error("useAuth outside AuthProvider");
  return value;
}

/** The signed-in user; only for components rendered behind RequireAuth. */
export function useMe(): Me {
  const { state } = useAuth();
  if (state.status !== "signedIn") throw new Error("useMe needs a signed-in user");
  return state.me;
}
