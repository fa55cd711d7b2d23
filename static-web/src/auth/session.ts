// The dev-issuer bearer token lives in sessionStorage: it survives reloads, not closing the tab.
const KEY = "idp.session";

interface StoredToken {
  token: string;
  expiresAt: number;
}

export function saveToken(token: string, expiresInSeconds: number, now = Date.now()) {
  const value: StoredToken = { token, expiresAt: now + Math.max(0, expiresInSeconds) * 1000 };
  sessionStorage.setItem(KEY, JSON.stringify(value));
}

export function readToken(now = Date.now()): string | null {
  const raw = sessionStorage.getItem(KEY);
  if (!raw) return null;
  try {
    const value = JSON.parse(raw) as StoredToken;
    // 30 s of slack so a request is not sent with a token that expires in flight.
    if (typeof value.token !== "string" || value.expiresAt - 30_000 <= now) {
      sessionStorage.removeItem(KEY);
      return null;
    }
    return value.token;
  } catch {
    sessionStorage.removeItem(KEY);
    return null;
  }
}

export function clearToken() {
  sessionStorage.removeItem(KEY);
}
