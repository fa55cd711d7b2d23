import { lazy, Suspense, useState, type ComponentType } from "react";
import { BrowserRouter, Navigate, Route, Routes, useLocation, useParams } from "react-router";
import { AuthProvider, useAuth } from "./auth/AuthProvider";
import { Loading, ProblemView } from "./components/common";
import { Shell } from "./components/Shell";
import type { AppConfig } from "./config";
import { ENTITY_KINDS, parseEntityRoute } from "./routeData";

/**
 * A lazily loaded page that renders at once, without suspending, when its chunk is already in memory. React 19 holds
 * a Suspense boundary's fallback for at least ~300 ms once shown, so suspending on a chunk that preloadRoute fetched
 * while sign-in was in flight would delay every first paint by that much for nothing.
 */
function page<P extends object>(load: () => Promise<{ default: ComponentType<P> }>) {
  let loaded: ComponentType<P> | undefined;
  const preload = () => load().then((m) => {
    loaded = m.default;
    return m;
  });
  const Lazy = lazy(preload);
  function Page(props: P) {
    // Decided once per mount, so a page never switches component type (and loses its state) mid-life.
    const [Ready] = useState(() => loaded);
    return Ready ? <Ready {...props} /> : <Lazy {...props} />;
  }
  return Object.assign(Page, { preload });
}

const SignIn = page(() => import("./pages/SignIn"));
const Catalog = page(() => import("./pages/Catalog"));
const EntityPage = page(() => import("./pages/EntityPage"));
const Create = page(() => import("./pages/Create"));
const TemplateForm = page(() => import("./pages/TemplateForm"));
const TaskPage = page(() => import("./pages/TaskPage"));
const Deployments = page(() => import("./pages/Deployments"));
const DeploymentDetail = page(() => import("./pages/DeploymentDetail"));
const Clusters = page(() => import("./pages/Clusters"));
const Audit = page(() => import("./pages/Audit"));
const ScorecardList = page(() => import("./pages/insights/ScorecardList"));
const ScorecardPage = page(() => import("./pages/insights/ScorecardPage"));
const TeamInsights = page(() => import("./pages/insights/TeamPage"));
const OrganisationDora = page(() => import("./pages/insights/OrganisationDora"));
const Ownership = page(() => import("./pages/insights/Ownership"));

/** Starts downloading the chunk for the page being opened while config.json and /api/me are still in flight. */
export function preloadRoute(pathname: string) {
  const seg = pathname.split("/").filter(Boolean);
  const target =
    seg[0] === "login" ? SignIn
    : seg[0] === "catalog" ? (seg.length > 1 ? EntityPage : Catalog)
    : seg[0] === "create" ? (seg[1] === "templates" ? TemplateForm : seg[1] === "tasks" ? TaskPage : Create)
    : seg[0] === "deployments" ? (seg.length > 1 ? DeploymentDetail : Deployments)
    : seg[0] === "clusters" ? Clusters
    : seg[0] === "audit" ? Audit
    : seg[0] === "insights" ? insightsPage(seg[1], seg.length)
    : Catalog;
  void target.preload().catch(() => undefined); // a failure surfaces when React.lazy retries the same import
}

function insightsPage(section: string | undefined, depth: number) {
  if (section === "scorecards") return depth > 2 ? ScorecardPage : ScorecardList;
  if (section === "teams") return TeamInsights;
  if (section === "dora") return OrganisationDora;
  if (section === "ownership") return Ownership;
  return ScorecardList;
}

function RequireAuth() {
  const { state, refresh } = useAuth();
  const location = useLocation();
  if (state.status === "loading") return <Loading label="Signing you in…" />;
  if (state.status === "error") {
    return (
      <main className="centered">
        <ProblemView error={state.error} onRetry={() => void refresh()} />
      </main>
    );
  }
  if (state.status === "signedOut") {
    const returnTo = location.pathname + location.search;
    return <Navigate to={`/login${returnTo && returnTo !== "/" ? `?returnTo=${encodeURIComponent(returnTo)}` : ""}`} replace />;
  }
  return <Shell />;
}

/**
 * `/catalog/a/b/c`: Backstage's `{namespace}/{kind}/{name}` is the page; our former `{kind}/{namespace}/{name}` is
 * redirected to it (query and fragment kept), so old bookmarks and docs links keep working.
 */
export function EntityRoute() {
  const { first = "", second = "", name = "" } = useParams();
  const location = useLocation();
  const route = parseEntityRoute([first, second, name]);
  if (!route) {
    return (
      <section data-testid="entity-not-found">
        <h1>Page not found</h1>
        <p>
          Entity pages live at <code>/catalog/&lt;namespace&gt;/&lt;kind&gt;/&lt;name&gt;</code>, where the kind is one of {ENTITY_KINDS.join(", ")}.
        </p>
      </section>
    );
  }
  if (route.legacy) return <Navigate to={route.canonical + location.search + location.hash} replace />;
  return <EntityPage kind={route.kind} namespace={route.namespace} name={route.name} otherReading={route.otherReading} />;
}

function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>There is nothing at this address. Use the navigation above.</p>
    </section>
  );
}

export function AppRoutes() {
  return (
    <Suspense fallback={<Loading />}>
      <Routes>
        <Route path="/login" element={<SignIn />} />
        <Route element={<RequireAuth />}>
          <Route index element={<Navigate to="/catalog" replace />} />
          <Route path="/catalog" element={<Catalog />} />
          <Route path="/catalog/:first/:second/:name" element={<EntityRoute />} />
          <Route path="/create" element={<Create />} />
          <Route path="/create/templates/:namespace/:name" element={<TemplateForm />} />
          <Route path="/create/tasks/:taskId" element={<TaskPage />} />
          <Route path="/deployments" element={<Deployments />} />
          <Route path="/deployments/:id" element={<DeploymentDetail />} />
          <Route path="/clusters" element={<Clusters />} />
          <Route path="/audit" element={<Audit />} />
          <Route path="/insights" element={<Navigate to="/insights/scorecards" replace />} />
          <Route path="/insights/scorecards" element={<ScorecardList />} />
          <Route path="/insights/scorecards/:namespace/:name" element={<ScorecardPage />} />
          <Route path="/insights/teams/:namespace/:name" element={<TeamInsights />} />
          <Route path="/insights/dora" element={<OrganisationDora />} />
          <Route path="/insights/ownership" element={<Ownership />} />
          <Route path="*" element={<NotFound />} />
        </Route>
      </Routes>
    </Suspense>
  );
}

export function App({ config }: { config: AppConfig }) {
  return (
    <AuthProvider config={config}>
      <BrowserRouter>
        <AppRoutes />
      </BrowserRouter>
    </AuthProvider>
  );
}
