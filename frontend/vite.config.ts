import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The dev server listens on loopback only; `wails dev` proxies to it and
// reads the address from vite's output. PERMITDESK_VITE_PORT moves it, so
// that two `wails dev` runs can share a machine.
// The config reads the environment through globalThis because the project
// type-checks without Node's type definitions.
const nodeEnv = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
const devPort = Number(nodeEnv.PERMITDESK_VITE_PORT ?? "5173");

export default defineConfig({
  plugins: [react()],
  server: { host: "127.0.0.1", port: devPort, strictPort: true },
  build: { outDir: "dist", emptyOutDir: false, chunkSizeWarningLimit: 2048 },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test-setup.ts"],
    // Typing with user-event takes seconds per test on a loaded 2-core
    // machine, beyond the default 5 s.
    testTimeout: 20_000,
  },
});
