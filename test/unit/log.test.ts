import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { type Log, silentLog } from '../../lib/log.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('Interface: Log', () => {
  it('is satisfied by the Powertools Logger, so entry points pass theirs as it is', () => {
    // Assess (compile-time)
    expectTypeOf<Logger>().toExtend<Log>();
  });

  it("carries the logger's appended keys and the record's fields on each line a module writes", () => {
    // Prepare
    const lines: string[] = [];
    const capture = (chunk: string | Uint8Array) => lines.push(String(chunk)) > 0;
    vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    vi.spyOn(process.stderr, 'write').mockImplementation(capture);
    const logger = new Logger({ serviceName: 'log-test', logLevel: 'INFO' });
    logger.appendKeys({ roundId: 'r-7', uid: 3, hotkey: '5Hotkey' });
    const log: Log = logger;
    // Act
    log.warn('attempt failed, retry later', { attempt: 2 });
    // Assess
    const record = JSON.parse(lines.join('')) as Record<string, unknown>;
    expect(record).toMatchObject({
      level: 'WARN',
      message: 'attempt failed, retry later',
      roundId: 'r-7',
      uid: 3,
      hotkey: '5Hotkey',
      attempt: 2,
    });
  });

  it('silentLog writes nothing', () => {
    // Prepare
    const stdout = vi.spyOn(process.stdout, 'write');
    const stderr = vi.spyOn(process.stderr, 'write');
    // Act
    silentLog.info('a', { x: 1 });
    silentLog.warn('b');
    silentLog.error('c');
    // Assess
    expect(stdout).not.toHaveBeenCalled();
    expect(stderr).not.toHaveBeenCalled();
  });
});
