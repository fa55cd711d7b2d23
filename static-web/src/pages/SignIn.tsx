import { useState } from "react";
import { Navigate, useSearchParams } from "react-router";
import { api, type DevUser } from "../api";
import { useAuth } from "../auth/AuthProvider";
import { Empty, Loading, ProblemView } from "../components/common";
import { shortRef } from "../format";
import { useAsync, useDocumentTitle } from "../hooks";

function safeReturnTo(value: string | null): string {
  // Only same-app paths: never let ?returnTo= send the user to another origin.
  return value && value.startsWith("/") && !value.startsWith("//") ? value : "/catalog";
}

function DevSignIn({ returnTo }: { returnTo: string }) {
  const { signInDev } = useAuth();
  const users = useAsync((signal) => api().auth.devUsers({ signal }), []);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function choose(user: DevUser) {
    setBusy(user.ref);
    setError(null);
    try {
      await signInDev(user.ref);
      // Navigation happens through the auth state change below.
    } catch (e) {
      setError(e);
      setBusy(null);
    }
  }

  if (users.loading && !users.data) return <Loading label="Loading demo users…" />;
  if (users.error) return <ProblemView error={users.error} onRetry={users.reload} />;
  const list = users.data ?? [];
  return (
    <>
      <p>Local development sign-in: choose a demo user. Their groups decide what they own.</p>
      {error ? <ProblemView error={error} /> : null}
      {list.length === 0 ? <Empty>The dev issuer has no users.</Empty> : null}
      <ul className="user-list" aria-label="Demo users" data-return-to={returnTo}>
        {list.map((u) => {
          const name = u.ref.split("/").pop() ?? u.ref;
          return (
            <li key={u.ref}>
              <button
                type="button"
                className="user-option"
                data-testid={`user-option-${name}`}
                disabled={busy !== null}
                aria-busy={busy === u.ref}
                onClick={() => void choose(u)}
              >
                <span className="user-option-name">{u.displayName}</span>
                <span className="user-option-ref">{u.ref}{u.email ? ` · ${u.email}` : ""}</span>
                <span className="user-option-groups">
                  {u.groups.length ? u.groups.map((g) => <span key={g} className="chip">{shortRef(g, "group")}</span>) : <span className="muted">no groups</span>}
                </span>
              </button>
            </li>
          );
        })}
      </ul>
      <p className="sr-only" aria-live="polite">{busy ? "Signing in…" : ""}</p>
    </>
  );
}

export default function SignIn() {
  const { state, config } = useAuth();
  const [params] = useSearchParams();
  const returnTo = safeReturnTo(params.get("returnTo"));
  useDocumentTitle("Sign in");

  if (state.status === "signedIn") return <Navigate to={returnTo} replace />;

  return (
    <main className="signin" id="main">
      <div className="signin-card">
        <h1>Sign in to IdpServerless</h1>
        {state.status === "signedOut" && state.reason ? (
          <p className="notice" role="status" data-testid="signin-reason">{state.reason}</p>
        ) : null}
        {state.status === "loading" ? <Loading /> : null}
        {state.status === "error" ? <ProblemView error={state.error} /> : null}
        {config.authMode === "entra" ? (
          <a
            className="btn btn-primary"
            data-testid="entra-sign-in"
            href={`/.auth/login/aad?post_login_redirect_uri=${encodeURIComponent(returnTo)}`}
          >
            Sign in with Microsoft Entra ID
          </a>
        ) : state.status === "signedOut" ? (
          <DevSignIn returnTo={returnTo} />
        ) : null}
      </div>
    </main>
  );
}
