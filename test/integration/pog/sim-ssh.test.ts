import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minerShellConfig, simProfile } from '../../../harness/sim/profiles.js';
import type { SimSshBackend, SimSshSetup } from '../../../harness/sim/ssh.js';
import { startEmbeddedSsh } from '../../../harness/sim/ssh-embedded.js';
import { openSshUnavailable, startOpenSsh } from '../../../harness/sim/ssh-openssh.js';
import { MinerShell } from '../../../lib/pog/ssh.js';

const LIMITS = { timeoutMs: 20_000, maxStdoutBytes: 4096, maxStderrBytes: 4096 };
const python = execFileSync('python3', ['-c', 'import sys, numpy; print(sys.executable)'], {
  encoding: 'utf8',
}).trim();

function connect(login: { username: string; password: string; port: number }): Promise<MinerShell> {
  return MinerShell.connect({ host: '127.0.0.1', ...login, timeoutMs: 10_000 });
}

// The password path production depends on (root + a password handed out per allocation), on both SSH sides.
const opensshSkip = openSshUnavailable();
describe.each<{ kind: string; skip: string | null; start: (setup: SimSshSetup) => Promise<SimSshBackend> }>([
  { kind: 'embedded ssh2', skip: null, start: startEmbeddedSsh },
  { kind: 'OpenSSH sshd', skip: opensshSkip, start: (setup) => startOpenSsh(setup) },
])('simulated miner SSH side: $kind', ({ skip, start }) => {
  if (skip !== null) {
    it.skip(`skipped: ${skip}`, () => {});
    return;
  }
  let root: string;
  let backend: SimSshBackend;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'pog-sim-ssh-test-'));
    const configPaths = ['honest', 'disconnect'].map((behaviour, k) => {
      const path = join(root, `miner-${k}.json`);
      writeFileSync(
        path,
        minerShellConfig(
          { behaviour: behaviour as 'honest', profile: simProfile('NVIDIA L4', 1) },
          { slowDelayS: 0, tooSlowExtraS: 0, partialFraction: 0.5, serialDeviceS: 0, inflatedComputeS: 0 },
        ),
      );
      return path;
    });
    const wrapper = fileURLToPath(new URL('../../../harness/sim/miner_shell.py', import.meta.url));
    backend = await start({ python, wrapper, configPaths, root });
  });
  afterAll(async () => {
    await backend?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('logs in with the granted password and runs the command through miner_shell, stdin and exit status kept', async () => {
    // Prepare
    const login = await backend.grant(0);
    const shell = await connect(login);
    try {
      // Act
      const echoed = await shell.exec('cat && exit 3', { ...LIMITS, stdin: Buffer.from('from stdin') });
      const user = await shell.exec('id -u', LIMITS);
      // Assess
      expect(login.password).toMatch(/^[A-Za-z0-9]{10}$/);
      expect(echoed).toMatchObject({ code: 3, stdout: 'from stdin' });
      expect(user.stdout.trim()).toBe('0');
    } finally {
      shell.close();
    }
  });

  it("streams stdout chunk by chunk, holds none of it, and keeps the size limit and the sink's own errors", async () => {
    // Prepare
    const login = await backend.grant(0);
    const shell = await connect(login);
    const seen: Buffer[] = [];
    const lines = 'for i in $(seq 1 200); do echo "line $i"; done';
    try {
      // Act
      const streamed = await shell.execStreaming(lines, LIMITS, (chunk) => seen.push(chunk));
      const over = await shell
        .execStreaming('head -c 10000 /dev/zero', LIMITS, () => {})
        .catch((e: Error) => e.message);
      const failing = await shell
        .execStreaming('echo x', LIMITS, () => {
          throw new RangeError('our bug');
        })
        .catch((e: Error) => `${e.name}: ${e.message}`);
      // Assess
      expect(streamed).toMatchObject({ code: 0, stdout: [] });
      expect(Buffer.concat(seen).toString('utf8').split('\n').slice(0, 3)).toEqual([
        'line 1',
        'line 2',
        'line 3',
      ]);
      expect(Buffer.concat(seen).toString('utf8')).toContain('line 200\n');
      expect(over).toBe('output over the size limit');
      expect(failing).toBe('RangeError: our bug');
    } finally {
      shell.close();
    }
  });

  it('rejects a wrong password and the password of a revoked allocation', async () => {
    // Prepare
    const login = await backend.grant(0);
    await backend.revoke(0);
    // Act
    const [revoked, wrong] = await Promise.allSettled([
      connect(login),
      connect({ ...login, password: `${login.password}x` }),
    ]);
    // Assess
    expect(revoked).toMatchObject({ status: 'rejected', reason: { message: 'SSH authentication failed' } });
    expect(wrong).toMatchObject({ status: 'rejected', reason: { message: 'SSH authentication failed' } });
  });

  it('the disconnect behaviour drops the connection during compute', async () => {
    // Prepare: any importable module stands in for the payload; the behaviour acts before it runs
    const payload = join(root, 'miner_payload.py');
    writeFileSync(payload, '');
    const login = await backend.grant(1);
    const shell = await connect(login);
    try {
      // Act
      const run = shell.exec(`/opt/conda/bin/python ${payload} --mode compute`, LIMITS);
      // Assess
      await expect(run).rejects.toThrow(/SSH connection dropped/);
    } finally {
      shell.close();
    }
  });
});

describe.skipIf(opensshSkip !== null)('OpenSSH SSH side cleanup', () => {
  it('removes its throwaway users on stop', async () => {
    // Prepare
    const root = mkdtempSync(join(tmpdir(), 'pog-sim-ssh-test-'));
    const path = join(root, 'miner-0.json');
    writeFileSync(path, '{}');
    const backend = await startOpenSsh({ python, wrapper: '/bin/true', configPaths: [path], root });
    const { username } = await backend.grant(0);
    const during = readFileSync('/etc/passwd', 'utf8');
    // Act
    await backend.stop();
    // Assess
    const after = readFileSync('/etc/passwd', 'utf8');
    expect(during).toContain(`${username}:`);
    expect(after).not.toContain(`${username}:`);
    rmSync(root, { recursive: true, force: true });
  });
});
