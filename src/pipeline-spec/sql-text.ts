// Whether SQL from a request (source.query, transform.sql, a custom check) is one statement that only reads.
// The text is read as the engines read it, twice: the way of PostgreSQL and standard SQL (no backslash
// escapes, dollar quoting, nested comments) and the way of MySQL and MariaDB (backslash escapes in '…' and
// "…", # comments). Only text that is one SELECT under both readings passes: a literal that ends in one
// reading and goes on in the other cannot hide a second statement. Parser libraries were tried for this and
// read `'a\' ; DROP TABLE x; -- '` as one PostgreSQL statement, where PostgreSQL reads two.

export type SqlTextProblem = { key: '@select' | '@sql_statements' | '@sql_writes' | '@sql_unterminated'; params?: Record<string, unknown> };

type Reading = { backslash: boolean; dollar: boolean; hashComments: boolean; nestedComments: boolean };

const READINGS: Reading[] = [
  { backslash: false, dollar: true, hashComments: false, nestedComments: true },
  { backslash: true, dollar: false, hashComments: true, nestedComments: false },
];

/** Words that make a query write, lock or run something else; none may stand outside a literal. */
const WRITING_WORDS = new Set([
  'INSERT', 'UPDATE', 'DELETE', 'MERGE', 'UPSERT', 'CREATE', 'DROP', 'ALTER', 'TRUNCATE', 'GRANT', 'REVOKE', 'COPY', 'CALL', 'EXEC',
  'EXECUTE', 'INTO', 'LOCK', 'UNLOCK', 'VACUUM', 'ATTACH', 'DETACH', 'PRAGMA', 'HANDLER', 'OUTFILE', 'DUMPFILE',
]);

type Lexed = { statements: string[][] } | { unterminated: string };

/** The words outside literals and comments, statement by statement (split at `;`). */
function lex(sql: string, reading: Reading): Lexed {
  const statements: string[][] = [[]];
  let i = 0;
  const n = sql.length;
  const quoted = (close: string, backslash: boolean): boolean => {
    i++;
    while (i < n) {
      const c = sql[i]!;
      if (backslash && c === '\\') i += 2;
      else if (c === close && sql[i + 1] === close) i += 2;
      else if (c === close) return (i++, true);
      else i++;
    }
    return false;
  };
  while (i < n) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (/\s/.test(c)) i++;
    else if (c === '-' && next === '-') while (i < n && sql[i] !== '\n') i++;
    else if (c === '#' && reading.hashComments) while (i < n && sql[i] !== '\n') i++;
    else if (c === '/' && next === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (sql[i] === '*' && sql[i + 1] === '/') (depth--, (i += 2));
        else if (reading.nestedComments && sql[i] === '/' && sql[i + 1] === '*') (depth++, (i += 2));
        else i++;
      }
      if (depth > 0) return { unterminated: 'a /* comment' };
    } else if (c === "'") {
      if (!quoted("'", reading.backslash)) return { unterminated: "a '…' literal" };
    } else if ((c === 'E' || c === 'e') && next === "'" && !reading.backslash) {
      // PostgreSQL's escape strings take backslash escapes whatever the setting.
      i++;
      if (!quoted("'", true)) return { unterminated: "an E'…' literal" };
    } else if (c === '"') {
      if (!quoted('"', reading.backslash)) return { unterminated: 'a "…" name' };
    } else if (c === '`') {
      if (!quoted('`', false)) return { unterminated: 'a `…` name' };
    } else if (c === '$' && reading.dollar && /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.test(sql.slice(i))) {
      const tag = sql.slice(i).match(/^\$([A-Za-z_][A-Za-z0-9_]*)?\$/)![0];
      const end = sql.indexOf(tag, i + tag.length);
      if (end < 0) return { unterminated: `a ${tag}…${tag} literal` };
      i = end + tag.length;
    } else if (c === ';') {
      statements.push([]);
      i++;
    } else if (/[A-Za-z_]/.test(c)) {
      const word = sql.slice(i).match(/^[A-Za-z_][A-Za-z0-9_$]*/)![0];
      statements.at(-1)!.push(word.toUpperCase());
      i += word.length;
    } else i++;
  }
  return { statements: statements.filter((words, k) => words.length > 0 || k === 0) };
}

/** Why `sql` is not one statement that only reads, or undefined when it is. */
export function sqlTextProblem(sql: string): SqlTextProblem | undefined {
  for (const reading of READINGS) {
    const lexed = lex(sql, reading);
    if ('unterminated' in lexed) return { key: '@sql_unterminated', params: { what: lexed.unterminated } };
    if (lexed.statements.length > 1) return { key: '@sql_statements' };
    const words = lexed.statements[0]!;
    if (words[0] !== 'SELECT' && words[0] !== 'WITH') return { key: '@select' };
    const writing = words.find((w) => WRITING_WORDS.has(w));
    if (writing) return { key: '@sql_writes', params: { word: writing } };
  }
  return undefined;
}
