import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';

// Which Chromium to drive: $CHROMIUM_PATH if set, else Debian's /usr/bin/chromium
// (these machines cannot download Playwright's browsers), else Playwright's own.
export function chromiumPath(): string | undefined {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH=${fromEnv} does not exist.`);
    return fromEnv;
  }
  return existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined;
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const PORT = Number(process.env.E2E_PORT ?? 4173);

export const chromiumArgs = [
  // WebGPU in headless Chromium: SwiftShader provides the adapter on machines without a GPU.
  '--enable-unsafe-webgpu',
  // Let WebGL fall back to SwiftShader too, so the WebGL backend can be compared.
  '--enable-unsafe-swiftshader',
  // Keep Chromium from calling home: the app must make no request beyond its own origin.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  ...(isRoot ? ['--no-sandbox'] : []),
];

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  // WebGPU is emulated on the CPU here: one test at a time, generous timeouts.
  workers: 1,
  fullyParallel: false,
  timeout: 300_000,
  expect: { timeout: 60_000 },
  retries: 0,
  reporter: process.env.CI ? [['list']] : [['list']],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    trace: 'retain-on-failure',
    launchOptions: { executablePath: chromiumPath(), args: chromiumArgs },
  },
  webServer: {
    // Serves the production build (npm run test:e2e builds it first).
    command: `npx vite preview --host 127.0.0.1 --port ${PORT} --strictPort`,
    url: `http://127.0.0.1:${PORT}`,
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
  },
});
