// The stand-in as `dagwright gitlab-standin` (and the demo) sets it up: users root (owner), alice (developer) and
// dagwright (the bot's user, developer), and the project data/warehouse seeded from a folder. Ids are the
// same every time (1, 2, 3 and 4), so recorded deliveries replay against any stand-in seeded so.
import { AccessLevels, type GitLabStandIn } from './index.ts';

export async function seedGitLabStandIn(standIn: GitLabStandIn, seedDir: string) {
  const root = standIn.createUser('root', { name: 'Administrator' });
  const alice = standIn.createUser('alice', { name: 'Alice Analyst' });
  const bot = standIn.createUser('dagwright', { name: 'Dagwright', bot: true });
  const project = await standIn.createProject('data/warehouse', {
    owner: root,
    seedDir,
    members: [
      [alice, AccessLevels.developer],
      [bot, AccessLevels.developer],
    ],
  });
  return { root, alice, bot, project };
}
