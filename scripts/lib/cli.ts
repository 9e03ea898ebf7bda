// Shared by the scripts: known start-up problems print one clear line and exit 1, not a stack trace.
import os from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { config, ConfigError } from '../../src/server/config.ts';
import { DataDirError, databaseProblem, isSqliteError } from '../../src/server/db.ts';
import { ReferenceDataError } from '../../src/server/taxonomy/files.ts';

export class UsageError extends Error {}

export async function runCli(main: () => unknown): Promise<void> {
  try {
    await main();
  } catch (e) {
    if (e instanceof ConfigError || e instanceof DataDirError || e instanceof ReferenceDataError || e instanceof UsageError) {
      console.error(e.message);
      process.exit(1);
    }
    // Any other SQLite failure of a command (a full disk, a locked or read-only file): one sentence, not a stack.
    if (isSqliteError(e)) {
      let file = '(unknown)';
      try {
        file = config().dbFile;
      } catch {
        // the settings themselves are bad: that would have been reported above
      }
      console.error(databaseProblem(file, e, 'failed').message);
      process.exit(1);
    }
    throw e;
  }
}

export function args<T extends ParseArgsConfig['options']>(options: T, usage: string) {
  try {
    return parseArgs({ options, allowPositionals: false }).values;
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\nUsage: ${usage}`);
  }
}

/** Which machine a benchmark ran on, at the head of its JSON. */
export function machine() {
  return { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version };
}
