// One Context per job: the event's payload and everything a handler needs to act on it.
import { createHash } from 'node:crypto';
import type { Logger } from '../log.ts';
import type { Identity, Mirrors, Workspace } from '../git/repository.ts';
import type { Llm } from '../llm/llm.ts';
import type { ToolHub } from '../mcp/client.ts';
import type { ToolSet } from 'ai';
import type { Store } from '../store/store.ts';
import { isGitLabError, type GitLabClient } from '../gitlab/client.ts';
import { notesOf, upsertBotComment, type Note } from '../gitlab/comments.ts';
import { detectLanguage, messages, type Language, type Messages } from '../i18n/index.ts';
import type { AccessLevels } from '../gitlab/access-levels.ts';
import { roleName } from '../pipeline-spec/roles.ts';
import { loadRepoConfig } from '../gitlab/repo-config-file.ts';
import { minAccessLevelOf, REPO_CONFIG_PATH, type LoadedRepoConfig, type RepoConfig } from '../pipeline-spec/repo-config.ts';
import { projectOf, subjectOf, type AnyPayload, type GitLabEvent, type ResourceRef } from './events.ts';
import type { ProjectRef } from '../gitlab/resource.ts';
import type { ProjectDirectory, RepositoryRef } from '../gitlab/projects.ts';
import type { PublishTarget } from '../publish/publish.ts';
import type { AirflowClient } from '../airflow/client.ts';

export type BotUser = { id: number; username: string; name?: string; email?: string };

export type ContextDeps = {
  gitlab: GitLabClient;
  /** The model, when one is configured. */
  llm: Llm | undefined;
  /** The tools the model may call (with the model). */
  tools: ToolHub | undefined;
  mirrors: Mirrors;
  store: Store;
  log: Logger;
  botUser: BotUser;
  accessLevels: AccessLevels;
  /** Projects' paths, default branches and git remotes, from GitLab's API. */
  projects: ProjectDirectory;
  /** The team's Airflow, when the server is given one (AIRFLOW_URL). */
  airflow?: AirflowClient;
  /** Runs a stored delivery's handlers again, in the current job (/retry). */
  rerun?: (deliveryId: number) => Promise<void>;
};

export class Context<P extends AnyPayload = AnyPayload> {
  readonly name: string;
  readonly names: readonly string[];
  readonly payload: P;
  readonly deliveryId: string;
  readonly confidential: boolean;
  readonly projectId: number;
  /** The event's project: its path, git URL and default branch. */
  readonly project: ProjectRef;
  readonly resource: ResourceRef | undefined;
  readonly resourceKey: string;
  readonly gitlab: GitLabClient;
  readonly store: Store;
  readonly log: Logger;
  readonly botUser: BotUser;
  readonly mirrors: Mirrors;
  readonly llm: Llm | undefined;
  readonly airflow: AirflowClient | undefined;
  private readonly toolHub: ToolHub | undefined;
  /** When GitLab's delivery reached the bot (the job may have waited in the queue since). */
  readonly receivedAt: number;
  private readonly accessLevels: AccessLevels;
  private readonly projects: ProjectDirectory;
  private readonly rerun: ((deliveryId: number) => Promise<void>) | undefined;
  private readonly event: GitLabEvent;
  private loadedConfig: Promise<LoadedRepoConfig> | undefined;

  constructor(event: GitLabEvent, deliveryId: string, deps: ContextDeps, receivedAt = Date.now()) {
    this.names = event.names;
    this.name = event.names[event.names.length - 1]!;
    this.payload = event.payload as P;
    this.deliveryId = deliveryId;
    this.confidential = event.confidential;
    this.projectId = event.projectId;
    this.project = projectOf(event.payload);
    this.event = event;
    this.resource = event.resource;
    this.resourceKey = event.resourceKey;
    this.gitlab = deps.gitlab;
    this.store = deps.store;
    this.botUser = deps.botUser;
    this.mirrors = deps.mirrors;
    this.llm = deps.llm;
    this.airflow = deps.airflow;
    this.toolHub = deps.tools;
    this.receivedAt = receivedAt;
    this.accessLevels = deps.accessLevels;
    this.projects = deps.projects;
    this.rerun = deps.rerun;
    this.log = deps.log.child({ delivery: deliveryId, event: this.name, resource: this.resourceKey });
  }

  /** The tools the model may call in this job (none without a model). */
  async modelTools(): Promise<ToolSet> {
    return this.toolHub ? this.toolHub.tools() : {};
  }

  /** The user whose action fired the event. */
  get actor(): { id: number; username: string } | undefined {
    return this.event.payload.user ?? undefined;
  }

  /** The bot as the author and committer of its commits (GitLab's no-reply address when it shows none). */
  get identity(): Identity {
    const host = new URL(this.project.webUrl ?? 'http://gitlab.invalid').hostname;
    return { name: this.botUser.name ?? this.botUser.username, email: this.botUser.email ?? `${this.botUser.username}@users.noreply.${host}` };
  }

  /** Runs the handlers of an earlier delivery of this issue or merge request again, now, in this job. */
  async rerunDelivery(deliveryId: number): Promise<void> {
    if (!this.rerun) throw new Error('this job cannot run another delivery again');
    await this.rerun(deliveryId);
  }

  /** The project's repository as GitLab's API describes it: path, default branch, git remote. */
  repository(): Promise<RepositoryRef> {
    return this.projects.repository(this.projectId);
  }

  /** What publishing a branch of this project needs. */
  async publishTarget(): Promise<PublishTarget> {
    return { gitlab: this.gitlab, mirrors: this.mirrors, projectId: this.projectId, repository: await this.repository(), identity: this.identity };
  }

  /** A workspace on a branch of the project (the default branch unless told), fetched from GitLab first. */
  async workspace(branch?: string): Promise<Workspace> {
    const repository = await this.repository();
    const ref = branch ?? repository.defaultBranch;
    if (!ref) throw new Error(`the repository of ${repository.pathWithNamespace} is empty`);
    const checkout = await this.mirrors.checkout(this.projectId, repository.remoteUrl, ref);
    if (!checkout) throw new Error(`the repository has no branch ${ref}`);
    return checkout.work;
  }

  private requireResource(): ResourceRef {
    if (!this.resource) throw new Error(`${this.name} concerns no issue or merge request`);
    return this.resource;
  }

  /** Posts a new comment on the event's issue or merge request. */
  async reply(body: string): Promise<Note> {
    return notesOf(this.gitlab, this.projectId, this.requireResource()).create(body);
  }

  /** Awards an emoji on the note that fired the event, or else on its issue or merge request. */
  async react(emoji: string): Promise<void> {
    const resource = this.requireResource();
    const payload = this.event.payload;
    try {
      if (payload.object_kind === 'note') {
        const api = resource.type === 'issue' ? this.gitlab.IssueNoteAwardEmojis : this.gitlab.MergeRequestNoteAwardEmojis;
        await api.award(this.projectId, resource.iid, payload.object_attributes.id, emoji);
      } else {
        const api = resource.type === 'issue' ? this.gitlab.IssueAwardEmojis : this.gitlab.MergeRequestAwardEmojis;
        await api.award(this.projectId, resource.iid, emoji);
      }
    } catch (err) {
      // GitLab refuses an award the user (here: the bot) has given already; that is the state we wanted.
      if (isGitLabError(err) && [404, 409, 422].includes(err.status) && /taken|already/i.test(err.description)) return;
      throw err;
    }
  }

  /**
   * The bot's one comment of a kind (status, card …) on this issue or merge request, or on `issue` of this
   * project (an MR's event speaks in its issue): created the first time, edited in place after.
   */
  upsertComment(
    kind: string,
    body: string,
    options: { issue?: { key: string; iid: number }; create?: (body: string) => Promise<Note>; onlyIf?: () => boolean | Promise<boolean> } = {},
  ): Promise<Note | undefined> {
    return upsertBotComment({
      gitlab: this.gitlab,
      store: this.store,
      projectId: this.projectId,
      resource: options.issue ? { type: 'issue', iid: options.issue.iid } : this.requireResource(),
      resourceKey: options.issue?.key ?? this.resourceKey,
      kind,
      botUserId: this.botUser.id,
      body,
      create: options.create,
      onlyIf: options.onlyIf,
    });
  }

  /** The bot's one status comment on this issue or merge request, edited in place. */
  readonly status = { update: (body: string) => this.upsertComment('status', body) };

  /**
   * A reply posted once for `key` (e.g. the note it answers): a retried job edits it instead of posting again.
   * On a merge request the reply goes into the thread of the comment that fired the event.
   */
  replyOnce(key: string, body: string): Promise<Note | undefined> {
    const payload = this.event.payload;
    const discussionId = payload.object_kind === 'note' ? payload.object_attributes.discussion_id : undefined;
    const resource = this.requireResource();
    const inThread =
      resource.type === 'merge_request' && discussionId
        ? async (text: string) =>
            (await this.gitlab.MergeRequestDiscussions.addNote(this.projectId, resource.iid, discussionId, text)) as unknown as Note
        : undefined;
    return this.upsertComment(`reply:${key}`, body, { create: inThread });
  }

  /**
   * The repository configuration from the default branch. When it has problems, the bot uses defaults for
   * the bad fields and says so once per version of the file, in a reply naming them.
   */
  async config(): Promise<RepoConfig> {
    this.loadedConfig ??= this.loadConfig();
    return (await this.loadedConfig).config;
  }

  private async loadConfig(): Promise<LoadedRepoConfig> {
    // GitLab resolves HEAD to the default branch.
    const loaded = await loadRepoConfig(this.gitlab, this.projectId, 'HEAD');
    if (loaded.problems.length > 0 && this.resource) {
      const fingerprint = createHash('sha256').update(loaded.source ?? '').digest('hex');
      if (await this.store.markReported(`repo-config:${this.projectId}:${this.resourceKey}`, fingerprint, Date.now())) {
        const m = messages(await this.languageFor(loaded.config));
        await this.reply(m.config.invalid(REPO_CONFIG_PATH, loaded.problems));
      }
    }
    return loaded;
  }

  private async languageFor(config: RepoConfig): Promise<Language> {
    if (config.language === 'en' || config.language === 'ru') return config.language;
    const subject = subjectOf(this.event.payload);
    const note = this.event.payload.object_kind === 'note' ? this.event.payload.object_attributes.note : undefined;
    return detectLanguage([subject?.title, subject?.description, note].filter(Boolean).join('\n'));
  }

  /** The language to answer in: the repo config's `language`, else the language of the issue or MR. */
  async language(): Promise<Language> {
    return this.languageFor(await this.config());
  }

  async messages(): Promise<Messages> {
    return messages(await this.language());
  }

  /**
   * The actor's access level on the project (0 when not a member), asked of GitLab now; `cached` accepts a
   * recent answer (for notices that decide nothing).
   */
  async actorAccessLevel(options: { cached?: boolean } = {}): Promise<number> {
    const actor = this.actor;
    return actor ? this.accessLevels.levelOf(this.projectId, actor.id, { fresh: !options.cached }) : 0;
  }

  /**
   * Whether the actor holds the repo config's `min_access_level`: what anything needs that makes the bot
   * commit, push, open a merge request or call the model. With the role names for a refusal.
   */
  async actorMayAct(): Promise<{ allowed: boolean; required: string; actual: string }> {
    const required = minAccessLevelOf(await this.config());
    const actual = await this.actorAccessLevel();
    const m = await this.messages();
    return { allowed: actual >= required, required: roleName(required) ?? String(required), actual: roleName(actual) ?? m.commands.noAccess };
  }
}
