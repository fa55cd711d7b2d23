import { lazy, Suspense } from "react";
import { BrowserRouter, Navigate, Route, Routes, useLocation } from "react-router";
import { AuthProvider, useAuth } from "./auth/AuthProvider";
import { Loading, ProblemView } from "./components/common";
import { Shell } from "./components/Shell";
import type { AppConfig } from "./config";

const SignIn = lazy(() => import("./pages/SignIn"));
const Catalog = lazy(() => import("./pages/Catalog"));
const EntityPage = lazy(() => import("./pages/EntityPage"));
const Create = lazy(() => import("./pages/Create"));
const TemplateForm = lazy(() => import("./pages/TemplateForm"));
const TaskPage = lazy(() => import("./pages/TaskPage"));
const Deployments = lazy(() => import("./pages/Deployments"));
const DeploymentDetail = lazy(() => import("./pages/DeploymentDetail"));
const Clusters = lazy(() => import("./pages/Clusters"));
const Audit = lazy(() => import("./pages/Audit"));

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
