import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { configureApi } from "./api";
import { App, preloadRoute } from "./App";
import { readToken } from "./auth/session";
import { notifyUnauthorized, startSignIn } from "./auth/AuthProvider";
import { loadConfig } from "./config";
import { prefetchRoute } from "./routeData";
import "./styles/app.css";

const root = createRoot(document.getElementById("root")!);
preloadRoute(window.location.pathname);

loadConfig()
  .then((config) => {
    configureApi({
      baseUrl: config.apiBase,
      getToken: () => (config.authMode === "dev" ? readToken() : null),
      onUnauthorized: notifyUnauthorized,
    });
    startSignIn(config);
    // Likely signed in (a cookie session, or a stored token): the page's first calls go out beside /api/me.
    if (config.authMode === "entra" || readToken()) prefetchRoute(window.location);
    root.render(
      <StrictMode>
        <App config={config} />
      </StrictMode>,
    );
  })
  .catch((error: unknown) => {
    root.render(
      <main className="boot-error" role="alert">
        <h1>IdpServerless could not start</h1>
        <p>{error instanceof Error ? error.message : String(error)}</p>
        <p>The app reads its settings from /config.json; check that the static server generates it.</p>
      </main>,
    );
  });
