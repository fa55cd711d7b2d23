import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";
import { readFileSync } from "node:fs";
import type { Plugin } from "vite";

/**
 * Puts public/config.json (the Azure Static Web Apps settings) into the built index.html as
 * `<meta name="idp-config">`, so the app starts without fetching it; serve.mjs replaces the tag with its own.
 */
function inlineConfig(): Plugin {
  return {
    name: "idp-inline-config",
    apply: "build",
    transformIndexHtml() {
      const json = JSON.stringify(JSON.parse(readFileSync(new URL("./public/config.json", import.meta.url), "utf8")));
      return [{ tag: "meta", attrs: { name: "idp-config", content: json }, injectTo: "head" }];
    },
  };
}

export default defineConfig({
  plugins: [react(), inlineConfig()],
  build: {
    outDir: "dist",
    target: "es2022",
    // Source maps would double what we ship; the code is small enough to read as built.
    sourcemap: false,
    reportCompressedSize: true,
  },
  test: {
    environment: "happy-dom",
    include: ["test/**/*.test.{ts,tsx}"],
    restoreMocks: true,
  },
});
