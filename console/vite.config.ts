/**
 * Vite builds the console into the Python package (`beffroi/api/static/console`), which the API serves at `/`.
 * The dev server proxies `/api` (REST and the live WebSocket) to a local `beffroi demo` on port 8000.
 */
import { defineConfig } from "vitest/config";

const API = "http://127.0.0.1:8000";

export default defineConfig({
  base: "/",
  build: {
    outDir: "../beffroi/api/static/console",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: {
        manualChunks: (id: string) => (id.includes("node_modules/maplibre-gl") ? "maplibre" : undefined),
      },
    },
  },
  server: {
    proxy: {
      "/api": { target: API, changeOrigin: false, ws: true },
    },
  },
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
  },
});
