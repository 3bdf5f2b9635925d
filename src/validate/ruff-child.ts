// The process that runs ruff (WebAssembly). It is kept out of the bot's process: its memory makes every
// child process the bot starts (git, python3) several times slower to spawn, and a lint is synchronous work
// that would hold up webhook intake.
import { PositionEncoding, Workspace } from '@astral-sh/ruff-wasm-nodejs';
import { answerRequests } from '../child-rpc.ts';
import type { RuffDiagnostic, RuffRequest } from './ruff.ts';

const AIRFLOW_RULES = ['AIR001', 'AIR002', 'AIR301', 'AIR302', 'AIR303'];
const AIRFLOW3_RULES = ['AIR311', 'AIR312', 'AIR321'];
const PREVIEW_RULES = ['AIR003', 'AIR304'];

const workspaces = new Map<number, Workspace>();

/** Ruff with Airflow's rules; the Airflow 3 migration rules only when targeting Airflow 3. */
function ruffWorkspace(airflowVersion: 2 | 3): Workspace {
  let workspace = workspaces.get(airflowVersion);
  if (!workspace) {
    const select = ['E9', 'F', ...AIRFLOW_RULES, ...PREVIEW_RULES, ...(airflowVersion === 3 ? AIRFLOW3_RULES : [])];
    workspace = new Workspace({ 'output-prefer-rule-codes': true, lint: { select, preview: true } }, PositionEncoding.Utf16);
    workspaces.set(airflowVersion, workspace);
  }
  return workspace;
}

function check(request: RuffRequest): RuffDiagnostic[][] {
  const workspace = ruffWorkspace(request.airflowVersion);
  return request.sources.map((source) =>
    (workspace.check(source) as Array<{ code: string | null; message: string; start_location: { row: number } }>).map((d) => ({
      code: d.code,
      message: d.message,
      row: d.start_location.row,
    })),
  );
}

answerRequests((request) => check(request as RuffRequest));
// Loaded before the first request, so that one does not wait for the WebAssembly to compile.
ruffWorkspace(3);
ruffWorkspace(2);
