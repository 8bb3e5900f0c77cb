/**
 * Run as its own process by bench/worker-memory.ts: an HTTPS server that answers every request as S3
 * answers a PutObject (200 and an ETag) and drops the body, so that the memory probe's bundle upload
 * goes through Node's TLS layer as it does in the Lambda, and the server's memory is not counted.
 * Prints its port. Arguments: the key and certificate files.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';

const [keyFile = '', certFile = ''] = process.argv.slice(2);
const server = createServer({ key: readFileSync(keyFile), cert: readFileSync(certFile) }, (req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { ETag: '"probe"' });
    res.end();
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address !== null ? address.port : 0}\n`);
});
