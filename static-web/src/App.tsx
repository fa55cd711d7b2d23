import { lazy, Suspense } from "react";
import { BrowserRouter, Navigate, Route, Routes, useLocation } from "react-router";
import { AuthProvider, useAuth } from "./auth/AuthProvider";
import { Loading, ProblemView } from "./components/common";
import { Shell } from "./components/Shell";
import type { AppConfig } from "./config";

const loaders = {
  signIn: () => import("./pages/SignIn"),
  catalog: () => import("./pages/Catalog"),
  entity: () => import("./pages/EntityPage"),
  create: () => import("./pages/Create"),
  templateForm: () => import("./pages/TemplateForm"),
  task: () => import("./pages/TaskPage"),
  deployments: () => import("./pages/Deployments"),
  deploymentDetail: () => import("./pages/DeploymentDetail"),
  clusters: () => import("./pages/Clusters"),
  audit: () => import("./pages/Audit"),
};

/** Starts downloading the chunk for the page being opened while config.json and /api/me are still in flight. */
export function preloadRoute(pathname: string) {
  const seg = pathname.split("/").filter(Boolean);
  const load =
    seg[0] === "login" ? loaders.signIn
    : seg[0] === "catalog" ? (seg.length > 1 ? loaders.entity : loaders.catalog)
    : seg[0] === "create" ? (seg[1] === "templates" ? loaders.templateForm : seg[1] === "tasks" ? loaders.task : loaders.create)
    : seg[0] === "deployments" ? (seg.length > 1 ? loaders.deploymentDetail : loaders.deployments)
    : seg[0] === "clusters" ? loaders.clusters
    : seg[0] === "audit" ? loaders.audit
    : loaders.catalog;
  void load().catch(() => undefined); // a failure surfaces when React.lazy retries the same import
}

const SignIn = lazy(loaders.signIn);
const Catalog = lazy(loaders.catalog);
const EntityPage = lazy(loaders.entity);
const Create = lazy(loaders.create);
const TemplateForm = lazy(loaders.templateForm);
const TaskPage = lazy(loaders.task);
const Deployments = lazy(loaders.deployments);
const DeploymentDetail = lazy(loaders.deploymentDetail);
const Clusters = lazy(loaders.clusters);
const Audit = lazy(loaders.audit);

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
          <Route path="/catalog/:kind/:namespace/:name" element={<EntityPage />} />
          <Route path="/create" element={<Create />} />
          <Route path="/create/templates/:namespace/:name" element={<TemplateForm />} />
          <Route path="/create/tasks/:taskId" element={<TaskPage />} />
          <Route path="/deployments" element={<Deployments />} />
          <Route path="/deployments/:id" element={<DeploymentDetail />} />
          <Route path="/clusters" element={<Clusters />} />
          <Route path="/audit" element={<Audit />} />
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
