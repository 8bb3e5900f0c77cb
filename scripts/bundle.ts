import { join } from 'node:path';
import { bundleHandler, HANDLERS, type HandlerName } from '../infra/bundling.js';

/**
 * `npm run build` (and the Docker image): bundles the handlers into dist/. Lambdas leave the AWS SDK to
 * the runtime; the Batch entries (proof job, verifier) bundle everything, since their image has no node_modules.
 */
const wanted = process.argv.slice(2);
const names = (wanted.length > 0 ? wanted : HANDLERS) as HandlerName[];
for (const name of names) {
  if (!HANDLERS.includes(name)) throw new Error(`unknown handler "${name}" (one of ${HANDLERS.join(', ')})`);
  const bytes = await bundleHandler(name, join(process.cwd(), 'dist'), {
    sdkExternal: name !== 'verifier',
  });
  console.log(`dist/${name}.mjs ${Math.round(bytes / 1024)} KB`);
}
