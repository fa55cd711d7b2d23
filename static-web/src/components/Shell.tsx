import { Suspense, useEffect, useRef, useState } from "react";
import { NavLink, Outlet, useLocation } from "react-router";
import { useAuth, useMe } from "../auth/AuthProvider";
import { shortRef } from "../format";
import { Loading } from "./common";

const NAV = [
  { to: "/catalog", label: "Catalog" },
  { to: "/create", label: "Create" },
  { to: "/deployments", label: "Deployments" },
  { to: "/insights", label: "Insights" },
  { to: "/clusters", label: "Clusters" },
  { to: "/audit", label: "Audit" },
];

function UserMenu() {
  const me = useMe();
  const { signOut } = useAuth();
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    const onDocClick = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && setOpen(false);
    document.addEventListener("mousedown", onDocClick);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("mousedown", onDocClick);
      document.removeEventListener("keydown", onKey);
    };
  }, [open]);

  return (
    <div className="user-menu" ref={ref}>
      <button
        type="button"
        className="user-button"
        aria-expanded={open}
        aria-controls="user-menu-panel"
        data-testid="user-menu-button"
        onClick={() => setOpen((o) => !o)}
      >
        <span className="avatar" aria-hidden="true">{(me.displayName || "?").slice(0, 1).toUpperCase()}</span>
        <span className="user-name" data-testid="current-user">{me.displayName}</span>
      </button>
      {open ? (
        <div id="user-menu-panel" className="user-panel" data-testid="user-menu">
          <p className="user-ref">{me.userRef}</p>
          <p>
            <span className="label">Roles</span>{" "}
            <span data-testid="current-roles">{me.roles.join(", ") || "none"}</span>
          </p>
          <p>
            <span className="label">Groups</span> {me.groups.map((g) => shortRef(g, "group")).join(", ") || "none"}
          </p>
          <button type="button" className="btn btn-secondary" data-testid="sign-out-button" onClick={signOut}>
            Sign out
          </button>
        </div>
      ) : null}
    </div>
  );
}

export function Shell() {
  const location = useLocation();
  const mainRef = useRef<HTMLElement>(null);
  // Move focus to the page on navigation so keyboard and screen-reader users land on the new content.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    mainRef.current?.focus({ preventScroll: true });
  }, [location.pathname]);

  return (
    <div className="shell">
      <a className="skip-link" href="#main">Skip to content</a>
      <header className="topbar">
        <NavLink to="/catalog" className="brand">IdpServerless</NavLink>
        <nav aria-label="Main" className="mainnav">
          {NAV.map((n) => (
            <NavLink key={n.to} to={n.to} data-testid={`nav-${n.label.toLowerCase()}`}>
              {n.label}
            </NavLink>
          ))}
        </nav>
        <UserMenu />
      </header>
      <main id="main" ref={mainRef} tabIndex={-1} className="content">
        <Suspense fallback={<Loading />}>
          <Outlet />
        </Suspense>
      </main>
    </div>
  );
}
