// A three-way merge of one file with git merge-file: a human's edit on the branch survives a re-render.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { gitEnv, runGitRaw } from './run.ts';

/**
 * Three-way merge of one file (base = the bot's last render, ours = the branch, theirs = the new render):
 * a human's edit survives a re-render. Returns the merged text, or the lines where the two disagree.
 */
export async function mergeFile(base: string, ours: string, theirs: string, scratch: string): Promise<{ merged: string } | { conflicts: number[] }> {
  if (ours === base || theirs === ours) return { merged: theirs };
  if (theirs === base) return { merged: ours };
  fs.mkdirSync(scratch, { recursive: true });
  const files = ['ours', 'base', 'theirs'].map((name) => path.join(scratch, `${randomUUID()}.${name}`));
  fs.writeFileSync(files[0]!, ours);
  fs.writeFileSync(files[1]!, base);
  fs.writeFileSync(files[2]!, theirs);
  try {
    // Exit code: the number of conflicts; the output holds the merge with conflict markers.
    // Up to 127 conflicts are counted; more is 127 too (an exit code >= 128 would be git failing).
    const result = await runGitRaw(['merge-file', '-p', '-L', 'branch', '-L', 'last render', '-L', 'new render', ...files], {
      env: gitEnv(),
      okExitCodes: Array.from({ length: 127 }, (_, i) => i + 1),
    });
    const [code, stdout] = [result.exitCode, result.stdout.toString('utf8')];
    if (code === 0) return { merged: stdout };
    const conflicts: number[] = [];
    stdout.split('\n').forEach((line, i) => line.startsWith('<<<<<<< ') && conflicts.push(i + 1));
    return { conflicts };
  } finally {
    for (const file of files) fs.rmSync(file, { force: true });
  }
}
