// The SQL of one engine: how the run's window is written as a literal, casts, null-safe comparison,
// intervals, identifier quoting and column types. The packs write every statement through the dialect of the
// engine that runs it (the source's for the extract, the target's for the rest).

import { COLUMN_TYPE } from '../pipeline-spec/schema.ts';

export type DialectName = 'postgres' | 'mysql' | 'ansi';

export type Dialect = {
  name: DialectName;
  /**
   * A bound of the run's data interval as a timestamp literal of this engine, optionally moved back by a
   * duration (2h, 1d): the arithmetic is done by Jinja when the task runs, so the SQL holds a plain literal.
   */
  bound(which: 'data_interval_start' | 'data_interval_end', minus?: string): string;
  /** The run's date (of the interval's start) as a DATE. */
  runDate: string;
  timestampType: string;
  /** `CAST(x AS <timestamp>)`. */
  timestamp(expression: string): string;
  /** True when a and b differ, NULL counting as a value. */
  distinct(a: string, b: string): string;
  /** An identifier, quoted when it must be; `schema.table` part by part. */
  quote(identifier: string): string;
  /** A string literal holding exactly `text`, however the server reads backslashes. */
  literal(text: string): string;
};

// PostgreSQL reads backslashes in '…' as text (standard_conforming_strings, the default) or as escapes (when
// a server turns it off): a value with a backslash is written as E'…', which means the same on either.
function postgresLiteral(text: string): string {
  const doubled = text.replaceAll("'", "''");
  return text.includes('\\') ? `E'${doubled.replaceAll('\\', '\\\\')}'` : `'${doubled}'`;
}

// MySQL and MariaDB read backslash escapes in '…' (unless NO_BACKSLASH_ESCAPES, where the doubled backslash is
// two characters: the value changes, the statement does not).
function mysqlLiteral(text: string): string {
  return `'${text.replace(/[\\']|\0/g, (c) => (c === "'" ? "''" : c === '\0' ? '\\0' : '\\\\'))}'`;
}

const TIMEDELTA_UNITS: Record<string, string> = { s: 'seconds', m: 'minutes', h: 'hours', d: 'days' };

function moment(which: string, minus: string | undefined): string {
  return minus ? `(${which} - macros.timedelta(${TIMEDELTA_UNITS[minus.slice(-1)]}=${Number(minus.slice(0, -1))}))` : which;
}

// Words both engines reserve (and a few common column names among them); such a name is always quoted.
const RESERVED = new Set(
  'all and any as asc between by case check column constraint create cross current_date current_time current_timestamp current_user default delete desc distinct drop else end exists false fetch for foreign from full grant group having in index inner insert interval into is join key keys leading left like limit natural not null on or order outer primary range references right row rows select set table then to trailing true union unique update user using values when where window with'.split(' '),
);

function quoter(open: string, close: string, plain: RegExp): (identifier: string) => string {
  return (identifier) =>
    identifier
      .split('.')
      .map((part) => (plain.test(part) && !RESERVED.has(part.toLowerCase()) ? part : `${open}${part.replaceAll(close, close + close)}${close}`))
      .join('.');
}

const postgres: Dialect = {
  name: 'postgres',
  // With its offset (+00:00): right for timestamptz columns, and the same wall time for timestamp ones.
  bound: (which, minus) => `'{{ ${moment(which, minus)} }}'`,
  runDate: "CAST('{{ data_interval_start | ds }}' AS DATE)",
  timestampType: 'TIMESTAMP',
  timestamp: (e) => `CAST(${e} AS TIMESTAMP)`,
  distinct: (a, b) => `${a} IS DISTINCT FROM ${b}`,
  // Unquoted names fold to lower case in PostgreSQL: anything else keeps its case only when quoted.
  quote: quoter('"', '"', /^[a-z_][a-z0-9_$]*$/),
  literal: postgresLiteral,
};

// MySQL and MariaDB: DATETIME literals take no time-zone offset (the window is written in UTC, as Airflow
// keeps it), CAST has no TIMESTAMP target, and `<=>` is the null-safe equality.
const mysql: Dialect = {
  name: 'mysql',
  bound: (which, minus) => `'{{ ${moment(which, minus)}.strftime('%Y-%m-%d %H:%M:%S') }}'`,
  runDate: "CAST('{{ data_interval_start | ds }}' AS DATE)",
  timestampType: 'DATETIME(6)',
  timestamp: (e) => `CAST(${e} AS DATETIME(6))`,
  distinct: (a, b) => `NOT (${a} <=> ${b})`,
  quote: quoter('`', '`', /^[A-Za-z_][A-Za-z0-9_$]*$/),
  literal: mysqlLiteral,
};

// Engines the packs read from without a dialect of their own: standard SQL.
const ansi: Dialect = { ...postgres, name: 'ansi', quote: quoter('"', '"', /^[A-Za-z_][A-Za-z0-9_$]*$/) };

/** The dialect of an engine named as a source or target type. */
export function dialectOf(type: string): Dialect {
  if (type === 'postgres') return postgres;
  if (type === 'mysql' || type === 'mariadb') return mysql;
  return ansi;
}

/** A column type of one engine, as the same kind of value in another (types are not copied across engines). */
export function mapColumnType(type: string, from: string, to: Dialect): string {
  const written = type.trim();
  const fromDialect = dialectOf(from).name;
  // Copied as written only when it reads as a type (the spec checks this too): nothing else reaches the DDL.
  if (fromDialect === to.name && fromDialect !== 'ansi' && COLUMN_TYPE.test(written)) return written.toUpperCase();
  const t = written.toLowerCase().replace(/\s+/g, ' ');
  const pg = to.name !== 'mysql';
  const size = /\(\s*(\d+)\s*\)/.exec(t)?.[1];
  const precision = /\(\s*(\d+)\s*,\s*(\d+)\s*\)/.exec(t);
  if (/^(tinyint\(1\)|bool|boolean|bit\(1\)|bit)$/.test(t)) return 'BOOLEAN';
  if (/^bigint.*unsigned/.test(t)) return pg ? 'NUMERIC(20,0)' : 'BIGINT UNSIGNED';
  if (/^(bigint|int8|bigserial|serial8)\b/.test(t) || /^int(eger)?\b.*unsigned/.test(t)) return 'BIGINT';
  if (/^(int|integer|int4|int2|smallint|tinyint|mediumint|serial|serial4|smallserial|year)\b/.test(t)) return pg ? 'INTEGER' : 'INT';
  if (/^(numeric|decimal|dec|number)\b/.test(t)) return precision ? `${pg ? 'NUMERIC' : 'DECIMAL'}(${precision[1]},${precision[2]})` : size ? `${pg ? 'NUMERIC' : 'DECIMAL'}(${size},0)` : pg ? 'NUMERIC' : 'DECIMAL(38,10)';
  if (/^money\b/.test(t)) return pg ? 'NUMERIC(19,2)' : 'DECIMAL(19,2)';
  if (/^(real|float4|float\b(?!8))/.test(t) && !/^float\(\s*(2[5-9]|[3-5]\d)\s*\)/.test(t)) return pg ? 'REAL' : 'FLOAT';
  if (/^(double|float8|float)/.test(t)) return pg ? 'DOUBLE PRECISION' : 'DOUBLE';
  if (/^date$/.test(t)) return 'DATE';
  if (/^(timestamptz|timestamp( ?\(\d\))? with time zone)$/.test(t)) return pg ? 'TIMESTAMPTZ' : 'DATETIME(6)';
  if (/^(timestamp|datetime|smalldatetime|datetime2)\b/.test(t)) return pg ? 'TIMESTAMP' : 'DATETIME(6)';
  if (/^(timetz|time)\b/.test(t)) return 'TIME';
  if (/^interval\b/.test(t)) return pg ? 'INTERVAL' : 'VARCHAR(64)';
  if (/^uuid$/.test(t)) return pg ? 'UUID' : 'CHAR(36)';
  if (/^jsonb?$/.test(t)) return pg ? 'JSONB' : 'JSON';
  if (/^(bytea|blob|tinyblob|mediumblob|longblob|binary|varbinary|image)\b/.test(t)) return pg ? 'BYTEA' : 'LONGBLOB';
  if (/^(n?varchar|character varying|varchar2|nvarchar2)\b/.test(t)) return size ? `VARCHAR(${size})` : pg ? 'TEXT' : 'TEXT';
  if (/^(n?char|character)\b/.test(t)) return size ? `CHAR(${size})` : 'CHAR(1)';
  if (/^(enum|set)\b/.test(t)) return pg ? 'TEXT' : 'VARCHAR(255)';
  // Text, and any type without an equivalent (arrays, geometry, XML …), arrives as text.
  return pg ? 'TEXT' : 'LONGTEXT';
}
