// Dagwright's own tools as an MCP server: source introspection (read-only), rendering and validation. Served
// over stdio by `dagwright mcp`, over Streamable HTTP at /mcp by `dagwright serve` (behind a bearer token),
// and in memory to the bot's model, so every caller reaches them the same way.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { defaultRepoConfig } from '../pipeline-spec/repo-config.ts';
import { redactDeep } from '../redact.ts';
import { renderPipeline, RenderError } from '../render/render.ts';
import { specFromObject } from '../pipeline-spec/standalone.ts';
import { reportText, validateFiles } from '../validate/validate.ts';
import { MAX_SAMPLE_ROWS, operations, SourceError } from '../sources/introspect.ts';

const connId = z.string().regex(/^[A-Za-z0-9_.-]{1,250}$/).describe('an Airflow connection id the bot was given (AIRFLOW_CONN_<ID>)');
const table = z.string().min(1).max(300).describe('schema.table, or a table of the default schema');

type ToolResult = { content: Array<{ type: 'text'; text: string }>; isError?: boolean };

/** A tool's answer as JSON text; a source or spec problem is an error result the model can read, not a crash. */
async function answer(work: () => Promise<unknown>): Promise<ToolResult> {
  try {
    const value = redactDeep(await work());
    return { content: [{ type: 'text', text: typeof value === 'string' ? value : JSON.stringify(value, null, 1) }] };
  } catch (err) {
    if (err instanceof SourceError || err instanceof RenderError || err instanceof ToolInputError) return { content: [{ type: 'text', text: err.message }], isError: true };
    throw err;
  }
}

class ToolInputError extends Error {}

export type ToolOptions = { env?: NodeJS.ProcessEnv };

export function createMcpServer(options: ToolOptions = {}): McpServer {
  const env = options.env ?? process.env;
  const server = new McpServer({ name: 'dagwright', version: '0.1.0' });
  const readOnly = { readOnlyHint: true, openWorldHint: true } as const;

  server.registerTool('test_connection', {
    title: 'Test a source connection',
    description: 'Connects to a source the bot was given (an Airflow connection id) and returns its kind and server version. Read-only.',
    inputSchema: { conn_id: connId },
    annotations: readOnly,
  }, ({ conn_id }) => answer(() => operations.testConnection(conn_id, env)));

  server.registerTool('list_tables', {
    title: 'List tables',
    description: 'Lists the tables and views of a source (of one schema when given), at most 1000. Read-only.',
    inputSchema: { conn_id: connId, schema: z.string().max(200).optional().describe('only this schema (database on MySQL and ClickHouse)') },
    annotations: readOnly,
  }, ({ conn_id, schema }) => answer(() => operations.listTables(conn_id, schema, env)));

  server.registerTool('describe_table', {
    title: 'Describe a table',
    description: "A table's or view's columns (type, nullability, comment), primary key and indexes. Use it before proposing source.columns, load.keys or a watermark.",
    inputSchema: { conn_id: connId, table },
    annotations: readOnly,
  }, ({ conn_id, table }) => answer(() => operations.describeTable(conn_id, table, env)));

  server.registerTool('sample_rows', {
    title: 'Sample rows',
    description: `Up to ${MAX_SAMPLE_ROWS} rows of a table; columns that look like secrets or personal data are masked, long values cut short.`,
    inputSchema: { conn_id: connId, table, limit: z.number().int().min(1).max(MAX_SAMPLE_ROWS).optional().describe(`rows to return (default 10, at most ${MAX_SAMPLE_ROWS})`) },
    annotations: readOnly,
  }, ({ conn_id, table, limit }) => answer(() => operations.sampleRows(conn_id, table, limit ?? 10, env)));

  server.registerTool('estimate_rows', {
    title: 'Estimate rows',
    description: "About how many rows a table holds (from the database's statistics when it has them).",
    inputSchema: { conn_id: connId, table },
    annotations: readOnly,
  }, ({ conn_id, table }) => answer(() => operations.estimateRows(conn_id, table, env)));

  server.registerTool('watermark_candidates', {
    title: 'Watermark candidates',
    description: 'Indexed timestamp or serial columns of a table, with their min and max: candidates for load.watermark of an incremental load, the best first.',
    inputSchema: { conn_id: connId, table },
    annotations: readOnly,
  }, ({ conn_id, table }) => answer(() => operations.watermarkCandidates(conn_id, table, env)));

  server.registerTool('propose_target_ddl', {
    title: 'Propose the target DDL',
    description: "The CREATE TABLE of the target as a template pack would write it from the source table's columns.",
    inputSchema: {
      conn_id: connId,
      table,
      target_table: z.string().regex(/^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/i).describe('schema.table of the target'),
      pack: z.enum(['airflow-sql', 'spark-docker']).optional(),
      strategy: z.enum(['overwrite', 'append', 'incremental', 'snapshot', 'scd2']).optional(),
      watermark: z.string().regex(/^[A-Za-z_][A-Za-z0-9_$]*$/).optional().describe('incremental: the column that tells new rows from old ones (default: the best indexed timestamp or serial column)'),
      keys: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_$]*$/)).min(1).optional().describe("the columns that identify a row (default: the source's primary key); scd2 needs them"),
      location: z.string().regex(/^s3a:\/\/\S+$/).optional().describe("spark-docker: the table's folder in the lake (s3a://bucket/path); without it the DDL carries a placeholder, marked as one"),
    },
    annotations: readOnly,
  }, ({ conn_id, table, target_table, pack, strategy, watermark, keys, location }) => answer(() => operations.proposeTargetDdl(conn_id, table, { table: target_table, pack, strategy, watermark, keys, location }, env)));

  server.registerTool('render_pipeline', {
    title: 'Render a pipeline',
    description: "Renders a pipeline spec (YAML, Dagwright's pipeline spec) into its files — the DAG, SQL, docs and test — and validates them. Writes nothing.",
    inputSchema: { spec: z.string().min(1).max(100_000).describe('the pipeline spec as YAML') },
    annotations: { readOnlyHint: true, openWorldHint: false },
  }, ({ spec }) =>
    answer(async () => {
      let raw: unknown;
      try {
        raw = parseYaml(spec);
      } catch (err) {
        throw new ToolInputError(`the spec is not YAML: ${(err as Error).message.split('\n')[0]}`);
      }
      const checked = specFromObject(raw, defaultRepoConfig, raw && typeof raw === 'object' && !('start_date' in raw) ? { start_date: new Date().toISOString().slice(0, 10) } : {});
      if ('problems' in checked) throw new ToolInputError(`the spec is not complete and valid:\n${checked.problems.map((p) => `- ${p}`).join('\n')}`);
      const result = renderPipeline(checked.spec, defaultRepoConfig, { today: new Date().toISOString().slice(0, 10) });
      const report = await validateFiles(result.files, { airflowVersion: result.plan.airflow, roots: [defaultRepoConfig.dags_root, 'tests'] });
      return { files: result.files, validation: reportText(report) };
    }),
  );

  server.registerTool('validate_pipeline', {
    title: 'Validate pipeline files',
    description: 'Validates Airflow DAG files and their SQL: ruff with Airflow rules, the DAG structure, removed context keys, crons and time zones. Returns the report.',
    inputSchema: {
      files: z.array(z.object({ path: z.string().min(1).max(500), content: z.string().max(1_000_000) })).min(1).max(200),
      airflow_version: z.union([z.literal(2), z.literal(3)]).optional().describe('the Airflow the files target (default 3)'),
    },
    annotations: { readOnlyHint: true, openWorldHint: false },
  }, ({ files, airflow_version }) =>
    answer(async () => {
      const report = await validateFiles(files, { airflowVersion: airflow_version ?? 3 });
      return { findings: report.findings, skipped: report.skipped, report: reportText(report) };
    }),
  );

  return server;
}
