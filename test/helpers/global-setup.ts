import type { TestProject } from 'vitest/node';
import { emulatorEnv, startMoto } from './moto.js';

declare module 'vitest' {
  export interface ProvidedContext {
    motoEndpoint: string;
  }
}

/**
 * Integration tier: one private moto_server for the whole run, stopped by PID at the end. Suites read
 * the endpoint with `inject('motoEndpoint')` and isolate themselves with unique table/queue names.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const moto = await startMoto();
  Object.assign(process.env, emulatorEnv(moto.endpoint));
  project.provide('motoEndpoint', moto.endpoint);
  return async () => {
    await moto.stop();
  };
}
