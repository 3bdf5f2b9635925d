// Tokens the model spends on one pipeline: the demo's conversation written as a person would write it in
// prose (the request, an answer with a question, /generate, one revision on the merge request), replayed
// against the GitLab stand-in with a recording fake model behind an OpenAI-compatible endpoint — once
// without a source connection and once with one (its facts and tools then travel too). Prompt and
// completion tokens are counted with a real tokenizer (o200k, gpt-tokenizer). Goal: <= 8k per pipeline.
//
//   npm run bench:tokens
import { projectWebhookSecret } from '../src/bot/verify.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { createDagwright } from '../src/app.ts';
import { localServerConfig } from '../src/config.ts';
import { createLogger } from '../src/log.ts';
import { startGitLabStandIn } from '../src/gitlab-standin/index.ts';
import { seedGitLabStandIn } from '../src/gitlab-standin/seed.ts';
import { startOpenAIServer, textOf, type ChatReply, type ChatRequest } from '../test/support/openai-server.ts';

const SECRET = 'bench-webhook-secret';
const seedDir = fileURLToPath(new URL('../fixtures/gitlab-standin-repo', import.meta.url));

const issueText = [
  'We need the customers of the orders database in the lake, every morning at six.',
  'The source is the orders_pg connection, table public.customers (customer_id uuid primary key, email,',
  'country, updated_at). Take a full copy each day; customer_id must never be null and must be unique.',
  'The DAG can be called orders_customers_daily.',
].join(' ');
const answerText = 'It goes to the lake connection, table raw_orders.customers. If we switch to incremental later, which column should be the watermark?';
const reviewText = 'Could you run it at 7 instead of 6? The replica is only ready at 6:30.';

/** The fake model: what a good model would answer at each step, recorded with what it was sent. */
function answer(request: ChatRequest): ChatReply {
  const instructions = textOf(request.messages[0]!);
  const task = textOf(request.messages.at(-1)!);
  if (instructions.includes('into spec fields')) {
    if (task.includes(issueText.slice(0, 40))) {
      return { content: JSON.stringify({ set: [
        { path: 'dag_id', value: 'orders_customers_daily' },
        { path: 'description', value: 'Daily full copy of the customers of the orders database into the lake' },
        { path: 'schedule', value: '0 6 * * *' },
        { path: 'source.type', value: 'postgres' },
        { path: 'source.conn_id', value: 'orders_pg' },
        { path: 'source.table', value: 'public.customers' },
        { path: 'source.columns', value: '[{name: customer_id, type: uuid, key: true, nullable: false}, {name: email, type: varchar}, {name: country, type: char(2)}, {name: updated_at, type: timestamp}]' },
        { path: 'load.strategy', value: 'snapshot' },
        { path: 'quality', value: '[{check: not_null, columns: [customer_id]}, {check: unique, columns: [customer_id]}]' },
      ], unset: [], question: null }) };
    }
    return { content: JSON.stringify({ set: [{ path: 'target.conn_id', value: 'lake' }, { path: 'target.table', value: 'raw_orders.customers' }], unset: [], question: 'Which column should be the watermark for an incremental load?' }) };
  }
  if (instructions.includes('You answer a data engineer')) {
    return { content: 'Use `updated_at`: it changes on every insert and update, so each run picks up new and changed customers. Make sure it is indexed in the source. To switch, comment `/set load.strategy=incremental load.watermark=updated_at`.' };
  }
  if (instructions.includes('You revise a generated data pipeline')) {
    return { content: JSON.stringify({ action: 'spec', set: [{ path: 'schedule', value: '0 7 * * *' }], unset: [], edits: [], explanation: 'The DAG now runs at 07:00, after the replica is ready.' }) };
  }
  return { status: 400, message: 'unexpected request' };
}

async function replay(withSource: boolean): Promise<void> {
const server = await startOpenAIServer({ respond: answer });
if (withSource) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dagwright-bench-source-')), 'orders.db');
  const db = new Database(file);
  db.exec('CREATE TABLE customers (customer_id TEXT PRIMARY KEY, email TEXT, country TEXT, updated_at TIMESTAMP NOT NULL); CREATE INDEX customers_updated_at ON customers (updated_at);');
  db.close();
  process.env.AIRFLOW_CONN_ORDERS_PG = `sqlite:///${file}`;
} else {
  delete process.env.AIRFLOW_CONN_ORDERS_PG;
}
const standIn = await startGitLabStandIn();
const { alice, root, bot: botUser, project } = await seedGitLabStandIn(standIn, seedDir);
const bot = await createDagwright({
  config: { ...localServerConfig({ gitlabUrl: standIn.url, gitlabToken: botUser.token, webhookSecret: SECRET, dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'dagwright-bench-tokens-')) }), llm: { baseUrl: server.url, apiKey: undefined, model: 'recording-fake', tokensPerJob: 1_000_000, tokensPerIssue: 1_000_000, toolSteps: 5 } },
  log: createLogger('silent'),
});
const { port } = await bot.listen();
await bot.start();
const botUrl = `http://127.0.0.1:${port}`;
standIn.addHook(project, `${botUrl}/webhooks/gitlab`, { token: projectWebhookSecret(SECRET, project.id) });
const settle = () => standIn.settled({ botUrl, timeoutMs: 60_000 });

const issue = standIn.openIssue(project, alice, { title: 'Load customers into the lake', description: issueText, labels: ['dagwright'] });
await settle();
await standIn.comment(project, { issue: issue.iid }, alice, answerText);
await settle();
await standIn.comment(project, { issue: issue.iid }, alice, '/generate');
await settle();
const mr = project.mergeRequests[0];
if (!mr) {
  for (const note of project.notes) console.error(`--- ${note.body}`);
  throw new Error('no merge request: the conversation did not complete the spec');
}
await standIn.comment(project, { mergeRequest: mr.iid }, root, reviewText);
await settle();
await bot.stop(5_000);
await standIn.close();
await server.close();

const step = (r: ChatRequest) => {
  const instructions = textOf(r.messages[0]!);
  return instructions.includes('into spec fields') ? 'extraction' : instructions.includes('You answer') ? 'answer' : instructions.includes('You revise') ? 'revision' : 'other';
};
let prompt = 0;
let completion = 0;
console.log(withSource ? '\nWith the source given to the bot (AIRFLOW_CONN_ORDERS_PG): its facts in the prompts, its tools offered' : 'Without a source connection');
console.log('call        prompt  completion');
server.requests.forEach((r, i) => {
  const usage = server.usages[i]!;
  prompt += usage.prompt_tokens;
  completion += usage.completion_tokens;
  console.log(`${step(r).padEnd(10)} ${String(usage.prompt_tokens).padStart(7)} ${String(usage.completion_tokens).padStart(11)}`);
});
console.log(`total      ${String(prompt).padStart(7)} ${String(completion).padStart(11)}   = ${prompt + completion} tokens for one pipeline with one revision (${server.requests.length} calls; goal <= 8,000)`);
}

await replay(false);
await replay(true);
