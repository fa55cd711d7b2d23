import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { configureApi } from "./api";
import { App, preloadRoute } from "./App";
import { readToken } from "./auth/session";
import { notifyUnauthorized, startSignIn } from "./auth/AuthProvider";
import { loadConfig } from "./config";
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
