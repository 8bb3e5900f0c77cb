/**
 * Run as its own process by bench/lambda-memory.ts, with the function's environment and heap limit:
 * imports one handler bundle (built as the stack builds it), invokes its handler `invocations` times
 * in the same process (a warm Lambda instance reuses it), and writes to `resultFile` the resident
 * high-water mark after the import and after each invocation, with the handler's status. Powertools
 * writes its log lines to stdout, so the figures go to a file.
 */
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Handler } from 'aws-lambda';
import { fakeLambdaContext } from '../../harness/local/event-source.js';
import { maxRssMb } from './rss.js';

const [bundle = '', eventJson = '{}', invocationsArg = '1', resultFile = ''] = process.argv.slice(2);

const { handler } = (await import(pathToFileURL(bundle).href)) as { handler: Handler };
const importMb = maxRssMb();
const invocations: Array<{ status: string; peakMb: number; heapUsedMb: number }> = [];
for (let i = 0; i < Number(invocationsArg); i++) {
  const context = fakeLambdaContext('memory-probe', () => 120_000, `probe-${i}`);
  let status: string;
  try {
    const result = (await handler(JSON.parse(eventJson), context, () => {})) as
      | { status?: unknown; round?: { status?: unknown } }
      | undefined;
    status = String(result?.status ?? result?.round?.status ?? 'done');
  } catch (error) {
    status = `threw ${(error as Error).name}: ${(error as Error).message}`;
    process.stderr.write(`${(error as Error).stack}\ncause: ${String((error as Error).cause)}\n`);
  }
  invocations.push({ status, peakMb: maxRssMb(), heapUsedMb: process.memoryUsage().heapUsed / 2 ** 20 });
}
writeFileSync(resultFile, JSON.stringify({ importMb, invocations }));
// open chain and HTTP connections would keep a finished probe alive
process.exit(0);
