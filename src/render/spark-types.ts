// The lake's column types for a source column: what Spark's JDBC reader (or its file readers) produce for it,
// so that a row read is stored without a lossy or refused cast. One explicit table, tested per engine in
// real Spark (test/spark-docker-spark.test.ts).

type Rule = { match: RegExp; type: string | ((written: string) => string) };

const decimal = (written: string) => written.toUpperCase().replace(/^NUMERIC/, 'DECIMAL').replace(/\s+/g, '');

/** Read in order; the first rule that matches the source's type (lower case) gives the lake's. */
const RULES: Record<'postgres' | 'mysql' | 'other', Rule[]> = {
  postgres: [
    { match: /^(smallint|int2|integer|int|int4|serial|smallserial)$/, type: 'INT' },
    { match: /^(bigint|int8|bigserial)$/, type: 'BIGINT' },
    { match: /^(numeric|decimal)\s*\(\s*\d+\s*,\s*\d+\s*\)$/, type: decimal },
    // Numeric without a precision holds any scale: Spark reads it as DECIMAL(38,18).
    { match: /^(numeric|decimal)$/, type: 'DECIMAL(38,18)' },
    { match: /^(real|float4)$/, type: 'FLOAT' },
    { match: /^(double precision|float8|float)$/, type: 'DOUBLE' },
    { match: /^money$/, type: 'STRING' },
    { match: /^bool(ean)?$/, type: 'BOOLEAN' },
    { match: /^date$/, type: 'DATE' },
    // With or without zone: Spark keeps instants; a zoned value is read at its instant.
    { match: /^timestamp(\s*\(\d\))?(\s+with(out)?\s+time\s+zone)?$|^timestamptz$/, type: 'TIMESTAMP' },
    { match: /^bytea$/, type: 'BINARY' },
    // json, jsonb, uuid, text, varchar, char, time, interval, arrays…: read as text.
  ],
  mysql: [
    // MariaDB's and MySQL's boolean is tinyint(1), which their drivers read as a boolean.
    { match: /^(tinyint\(1\)|bool|boolean|bit\(1\)|bit)$/, type: 'BOOLEAN' },
    { match: /^(tinyint|smallint|mediumint|int|integer)(\(\d+\))?$/, type: 'INT' },
    { match: /^(tinyint|smallint|mediumint|int|integer)(\(\d+\))?\s+unsigned$/, type: 'BIGINT' },
    { match: /^bigint(\(\d+\))?(\s+unsigned)?$/, type: 'DECIMAL(20,0)' },
    { match: /^(decimal|numeric|dec)\s*\(\s*\d+\s*,\s*\d+\s*\)(\s+unsigned)?$/, type: (w) => decimal(w.replace(/\s+unsigned$/, '').replace(/^dec\b/, 'decimal')) },
    { match: /^float(\(\d+(,\d+)?\))?$/, type: 'FLOAT' },
    { match: /^(double|double precision|real)(\(\d+,\d+\))?$/, type: 'DOUBLE' },
    { match: /^date$/, type: 'DATE' },
    { match: /^(datetime|timestamp)(\(\d\))?$/, type: 'TIMESTAMP' },
    { match: /^(binary|varbinary)(\(\d+\))?$|^(tiny|medium|long)?blob$/, type: 'BINARY' },
    // json (longtext), text, varchar, char, enum, set, time, year…: read as text.
  ],
  other: [
    { match: /^(small|tiny)?int(eger)?$|^int[24]$/, type: 'INT' },
    { match: /^(bigint|long|int8)$/, type: 'BIGINT' },
    { match: /^(numeric|decimal)\s*\(\s*\d+\s*,\s*\d+\s*\)$/, type: decimal },
    { match: /^(float|double|real)$/, type: 'DOUBLE' },
    { match: /^bool(ean)?$/, type: 'BOOLEAN' },
    { match: /^date$/, type: 'DATE' },
    { match: /^(timestamp|datetime|timestamptz)/, type: 'TIMESTAMP' },
    { match: /^(binary|bytes|bytea|blob)$/, type: 'BINARY' },
  ],
};

/** The Spark SQL type of the lake's column for a source column of `type` in a source of `engine`. */
export function sparkType(type: string, engine: string | undefined): string {
  const written = type.toLowerCase().trim().replace(/\s+/g, ' ');
  const rules = engine === 'postgres' ? RULES.postgres : engine === 'mysql' || engine === 'mariadb' ? RULES.mysql : RULES.other;
  const rule = rules.find((r) => r.match.test(written));
  if (!rule) return 'STRING';
  return typeof rule.type === 'string' ? rule.type : rule.type(written);
}
