// The sandbox tier: bubblewrap must run here (`npm run test:setup` installs it); in CI it is required.
import { sandboxProblem } from '../../src/sandbox/run.ts';

/** The skip option for node:test: the reason when there is no sandbox, and in CI a thrown error instead. */
export function skipUnlessSandbox(): string | false {
  const problem = sandboxProblem();
  if (!problem) return false;
  if (process.env.CI === 'true') throw new Error(`CI requires the sandbox: ${problem}`);
  console.log(`# skipped: ${problem}`);
  return problem;
}
