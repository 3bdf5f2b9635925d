// The process that runs ruff (WebAssembly). It is kept out of the bot's process: its memory makes every
// child process the bot starts (git, python3) several times slower to spawn, and a lint is synchronous work
// that would hold up webhook intake.
import { PositionEncoding, Workspace } from '@astral-sh/ruff-wasm-nodejs';
import { answerRequests } from '../child-rpc.ts';
import type { RuffDiagnostic, RuffRequest } from './ruff.ts';

// Rules for DAGs of either line; AIR003 (a Variable read at parse time) is a preview rule.
const AIRFLOW_RULES = ['AIR001', 'AIR002', 'AIR003'];
// The Airflow 3 migration rules (removed, moved to a provider, changed signatures, suggested updates): code
// for Airflow 2 may use what they flag.
const AIRFLOW3_RULES = ['AIR301', 'AIR302', 'AIR303', 'AIR304', 'AIR311', 'AIR312', 'AIR321'];

const workspaces = new Map<number, Workspace>();

/** Ruff with Airflow's rules; the Airflow 3 migration rules only when targeting Airflow 3. */
function ruffWorkspace(airflowVersion: 2 | 3): Workspace {
  let workspace = workspaces.get(airflowVersion);
  if (!workspace) {
    const select = ['E9', 'F', ...AIRFLOW_RULES, ...(airflowVersion === 3 ? AIRFLOW3_RULES : [])];
    workspace = new Workspace({ 'output-prefer-rule-codes': true, lint: { select, preview: true } }, PositionEncoding.Utf16);
    workspaces.set(airflowVersion, workspace);
  }
  return workspace;
}

type RawDiagnostic = {
  code: string | null;
  message: string;
  start_location: { row: number };
  subDiagnostics?: Array<{ severity: string; message: string | null }>;
  fix?: { message: string | null } | null;
};

/** Ruff's message with its help (the replacement to use), which it keeps apart: "… moved into `standard` provider in Airflow 3.0;" alone says not where to. */
function withHelp(d: RawDiagnostic): string {
  const help = d.subDiagnostics?.find((s) => s.severity === 'help' && s.message)?.message ?? d.fix?.message ?? undefined;
  const message = d.message.trim();
  if (!help || message.includes(help)) return message;
  return message.endsWith(';') || message.endsWith('.') ? `${message.replace(/;$/, '.')} ${help}` : `${message}: ${help}`;
}

function check(request: RuffRequest): RuffDiagnostic[][] {
  const workspace = ruffWorkspace(request.airflowVersion);
  return request.sources.map((source) =>
    (workspace.check(source) as RawDiagnostic[]).map((d) => ({
      code: d.code,
      message: withHelp(d),
      row: d.start_location.row,
    })),
  );
}

answerRequests((request) => check(request as RuffRequest));
// Loaded before the first request, so that one does not wait for the WebAssembly to compile.
ruffWorkspace(3);
ruffWorkspace(2);
