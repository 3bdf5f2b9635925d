// Who the bot is: GitLab's `GET /user`, asked until it answers (deliveries are stored meanwhile).
import type { GitLabClient } from '../gitlab/client.ts';
import type { Logger } from '../log.ts';
import type { BotUser } from './context.ts';

export async function askWhoTheBotIs(gitlab: GitLabClient, log: Logger, stopping: () => boolean): Promise<BotUser> {
  for (let attempt = 1; ; attempt++) {
    if (stopping()) throw new Error('stopped before GitLab answered');
    try {
      const user = (await gitlab.Users.showCurrentUser()) as { id: number; username: string; name?: string; email?: string };
      return { id: user.id, username: user.username, name: user.name, email: user.email };
    } catch (err) {
      const waitMs = Math.min(30_000, 500 * 2 ** Math.min(attempt, 6));
      log.error({ err, retryInMs: waitMs }, 'GitLab did not tell who the bot is (GET /user); deliveries are stored meanwhile');
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
}
