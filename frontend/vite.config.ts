import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The dev server listens on loopback only; `wails dev` proxies to it.
export default defineConfig({
  plugins: [react()],
  server: { host: "127.0.0.1", port: 5173, strictPort: true },
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
