// English: why a spec could not be rendered with its template pack.
type P = Record<string, unknown>;

export const renderEn = {
  render: {
    noPack: (p: P) => `there is no template pack "${String(p.pack)}"`,
    packFailed: (p: P) => `the repository's pack could not be rendered: ${String(p.why)}`,
    repositoryPacksOff: (p: P) => `"${String(p.pack)}" is a pack of the repository's own, and this server does not use repository packs (its operator can turn them on with REPO_PACKS=on)`,
    needsSystem: () => 'the folder of the pipeline is named after the source system (the repo config\'s layout has {system}): give source.system, e.g. orders',
    noTemplate: (p: P) => `the pack has no template ${String(p.template)}`,
    unsupportedSource: (p: P) => `${String(p.type)} sources are not supported by this pack yet`,
    fileStrategy: () => 'file sources load with snapshot, append or overwrite',
    fileFormat: () => 'file sources are read as csv, json, jsonl or parquet',
    fileColumns: () => 'the columns of the files, in order, are needed to load them',
    needsSchedule: (p: P) => `a ${String(p.strategy)} load needs a schedule to take its data window from; "manual" has none`,
    scd2Columns: () => 'scd2 compares the columns of each row: list them (or let the bot introspect the source)',
    externalLocation: () => 'external tables need their s3a:// location',
    externalFormat: () => 'must be orc or parquet',
    excludeNeedsColumns: () => 'leaving columns out needs the source\'s columns (source.columns, given or found by inspecting the source)',
    lookbackStrategy: () => 'a lookback re-reads rows before the window: it needs an incremental load with a watermark (an append would add those rows twice)',
    stageColumns: (p: P) => `a ${String(p.strategy)} load goes through a stage table, which is created from the source's columns: list them (or let the bot introspect the source)`,
  } satisfies Record<string, (p: P) => string>,
};

export type RenderProblem = keyof typeof renderEn.render;
