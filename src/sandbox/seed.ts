// The sandbox as `dagwright sandbox` (and the demo) sets it up: users root (owner), alice (developer) and
// dagwright (the bot's user, developer), and the project data/warehouse seeded from a folder. Ids are the
// same every time (1, 2, 3 and 4), so recorded deliveries replay against any sandbox seeded so.
import { AccessLevels, type Sandbox } from './index.ts';

export async function seedSandbox(sandbox: Sandbox, seedDir: string) {
  const root = sandbox.createUser('root', { name: 'Administrator' });
  const alice = sandbox.createUser('alice', { name: 'Alice Analyst' });
  const bot = sandbox.createUser('dagwright', { name: 'Dagwright', bot: true });
  const project = await sandbox.createProject('data/warehouse', {
    owner: root,
    seedDir,
    members: [
      [alice, AccessLevels.developer],
      [bot, AccessLevels.developer],
    ],
  });
  return { root, alice, bot, project };
}
