// /init in an issue: a merge request that sets the repository up (the repo config, an issue template, the
// DAG-integrity test and its CI job), with only what the repository lacks. Run again, it updates that one
// merge request or says there is nothing to add.
import { z } from 'zod';
import type { Bot } from '../src/bot/bot.ts';
import { identityOf, remoteHead, upsertMergeRequest } from '../src/conversation/generation.ts';
import { SETUP_PATHS, setupFiles } from '../src/render/setup.ts';

export function registerInit(bot: Bot): void {
  bot.command({
    name: 'init',
    usage: 'init',
    summary: (m) => m.spec.commands.init,
    where: ['issue'],
    minAccessLevel: 'config',
    args: z.array(z.string()).max(0, 'it takes no arguments'),
    run: async (ctx, _args, command) => {
      const m = await ctx.messages();
      const t = m.spec.init;
      const key = `${ctx.payload.object_attributes.id}:${command.line}`;
      const config = await ctx.config();
      const project = ctx.payload.project as { git_http_url?: string; default_branch?: string | null; path_with_namespace: string };
      const target = project.default_branch || 'main';
      const branch = `${config.branch_prefix}init`;
      const mirror = await ctx.mirrors.fetch(ctx.projectId, project.git_http_url!);
      const targetHead = await ctx.mirrors.branchHead(mirror, target);
      if (!targetHead) return void (await ctx.replyOnce(key, t.emptyRepository));
      // An earlier /init's branch is built on, so a second run never pushes over it.
      const branchHead = await ctx.mirrors.branchHead(mirror, branch);
      const work = await ctx.mirrors.workspace(mirror, branchHead ? branch : target, branchHead ?? targetHead);
      try {
        const paths = Object.values(SETUP_PATHS);
        await work.checkOut(paths);
        const { files, needsInclude } = setupFiles(config, (path) => work.read(path));
        if (!files.length) {
          const open = branchHead ? ((await ctx.gitlab.MergeRequests.all({ projectId: ctx.projectId, sourceBranch: branch, state: 'opened' })) as Array<{ iid: number; web_url: string }>)[0] : undefined;
          return void (await ctx.replyOnce(key, open ? t.opened(open.iid, open.web_url, []) : t.nothing));
        }
        for (const file of files) work.write(file.path, file.content);
        await work.commit(`${t.title}\n\nDagwright-Issue: ${project.path_with_namespace}#${ctx.resource!.iid}`, identityOf(ctx));
        await work.push(branch, (name) => remoteHead(ctx, name));
        const include = needsInclude ? ['', t.include(SETUP_PATHS.ciInclude)] : [];
        const description = [`${t.title}: ${files.map((f) => `\`${f.path}\``).join(', ')}.`, ...include, '', `Requested in #${ctx.resource!.iid}.`].join('\n');
        const { mergeRequest } = await upsertMergeRequest(ctx, { branch, target, title: t.title, description, labels: config.labels });
        await ctx.replyOnce(key, [t.opened(mergeRequest.iid, mergeRequest.web_url, files.map((f) => f.path)), ...include].join('\n'));
      } finally {
        await work.done();
      }
    },
  });
}
