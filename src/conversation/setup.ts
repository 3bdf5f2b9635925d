// /init: a merge request that sets the repository up (the repo config, an issue template, the DAG-integrity
// test and its CI job), with only what the repository lacks. Run again, it updates that one merge request or
// says there is nothing to add.
import type { Context } from '../bot/context.ts';
import { SETUP_PATHS, setupFiles } from '../render/setup.ts';
import { BranchWork, findMergeRequest, setupBranch } from '../publish/publish.ts';

export async function setUpRepository(ctx: Context, replyKey: string): Promise<void> {
  const m = await ctx.messages();
  const t = m.init;
  const config = await ctx.config();
  const branch = setupBranch(config.branch_prefix);
  // An earlier /init's branch is built on, so a second run never pushes over it.
  const work = await BranchWork.open(await ctx.publishTarget(), branch, { fromDefaultBranch: true });
  if (!work) return void (await ctx.replyOnce(replyKey, t.emptyRepository));
  try {
    await work.checkOut(Object.values(SETUP_PATHS));
    const { files, needsInclude } = setupFiles(config, (path) => work.read(path));
    if (!files.length) {
      const open = work.isNew ? undefined : await findMergeRequest(ctx.gitlab, ctx.projectId, branch, 'opened');
      return void (await ctx.replyOnce(replyKey, open ? t.opened(open.iid, open.web_url, []) : t.nothing));
    }
    for (const file of files) work.write(file.path, file.content);
    await work.commit(t.title, ctx.resource!.iid);
    await work.push();
    const include = needsInclude ? ['', t.include(SETUP_PATHS.ciInclude)] : [];
    const description = [`${t.title}: ${files.map((f) => `\`${f.path}\``).join(', ')}.`, ...include, '', t.requestedIn(ctx.resource!.iid)].join('\n');
    const { mergeRequest } = await work.mergeRequest({ title: t.title, description, labels: config.labels });
    await ctx.replyOnce(replyKey, [t.opened(mergeRequest.iid, mergeRequest.web_url, files.map((f) => f.path)), ...include].join('\n'));
  } finally {
    await work.done();
  }
}
