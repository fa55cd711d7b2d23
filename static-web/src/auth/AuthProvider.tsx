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

export function AuthProvider({ config, children, initial }: { config: AppConfig; children: ReactNode; initial?: AuthState }) {
  const [state, setState] = useState<AuthState>(initial ?? { status: "loading" });

  const loadMe = useCallback(async () => {
    try {
      const me = await api().auth.me();
      setState({ status: "signedIn", me });
    } catch (error) {
      if (error instanceof ApiError && error.isUnauthorized) setState({ status: "signedOut" });
      else setState({ status: "error", error });
    }
  }, []);

  const refresh = useCallback(async () => {
    if (config.authMode === "entra") {
      try {
        if (!(await hasSwaPrincipal())) {
          setState({ status: "signedOut" });
          return;
        }
      } catch (error) {
        setState({ status: "error", error });
        return;
      }
    } else if (!api().client.authHeaders().Authorization) {
      setState({ status: "signedOut" });
      return;
    }
    await loadMe();
  }, [config.authMode, loadMe]);

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
