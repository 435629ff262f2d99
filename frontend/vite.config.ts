import { defineConfig } from 'vite'

declare const process: { env: Record<string, string | undefined> }

// The API the dev server proxies to: `wasmflow standalone` listens on 127.0.0.1:8080 by default.
const api = process.env.WASMFLOW_API ?? 'http://127.0.0.1:8080'

export default defineConfig({
  // Relative asset paths: the same dist/ works at / of `wasmflow server` and inside the desktop
  // window, whatever origin or scheme the webview gives it.
  base: './',
  oxc: {
    jsx: { runtime: 'automatic', importSource: 'preact' },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // No source maps and no hash of build time: the committed dist/ changes only when the code does.
    sourcemap: false,
    reportCompressedSize: true,
    chunkSizeWarningLimit: 800,
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
    proxy: {
      // ws is off: the live updates are server-sent events over plain HTTP.
      '/api': { target: api, changeOrigin: false },
    },
  },
})
