/**
 * The console's build: served under /console/ (locally by the runtime, in the cloud by CloudFront from
 * the S3 bucket the console-hosting construct fills with console/dist). Configuration is fetched at run
 * time from /console/config.json, never baked in.
 */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** `npm run dev -w console` proxies the API and the local sign-in to a county started with `npm start`. */
const LOCAL_COUNTY = process.env.GRIDFLOW_URL ?? 'http://localhost:3000';

export default defineConfig({
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1200,
  },
  server: {
    proxy: Object.fromEntries(['/incidents', '/stats', '/health', '/console/config.json', '/console/local']
      .map((p) => [p, { target: LOCAL_COUNTY, changeOrigin: true }])),
  },
});
