// Fixture schemas in the real PostgreSQL and MariaDB servers of the machine, written through an admin
// connection of the test's own (the bot's inspectors are read-only): realistic tables with uuid and serial
// keys, timestamps, comments, a view, a huge text column, a table of 100k rows, and traps (a view that
// writes, a view that sleeps).
import mysql from 'mysql2/promise';
import pg from 'pg';

export const PG_URL = 'postgresql://postgres@127.0.0.1:5432/test';
export const MARIADB = { host: '127.0.0.1', port: 3306, user: 'root', database: 'test' };

/** Whether a server answers; in CI an absent server is a failure, elsewhere the tests skip and say why. */
export async function reachable(kind: 'postgres' | 'mariadb'): Promise<string | undefined> {
  try {
    if (kind === 'postgres') {
      const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2_000 });
      await client.connect();
      await client.end();
    } else {
      const db = await mysql.createConnection({ ...MARIADB, connectTimeout: 2_000 });
      await db.end();
    }
    return undefined;
  } catch (err) {
    return `${kind} is not reachable (${(err as Error).message})`;
  }
}

export async function createPostgresFixtures(): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`
      DROP SCHEMA IF EXISTS dw_fixture CASCADE;
      CREATE SCHEMA dw_fixture;
      CREATE TABLE dw_fixture.customers (
        customer_id uuid PRIMARY KEY,
        email varchar(100) NOT NULL,
        full_name text,
        country char(2),
        created_at timestamp NOT NULL DEFAULT now(),
        updated_at timestamp NOT NULL
      );
      COMMENT ON TABLE dw_fixture.customers IS 'Customers of the shop';
      COMMENT ON COLUMN dw_fixture.customers.email IS 'Contact e-mail';
      CREATE INDEX customers_updated_at ON dw_fixture.customers (updated_at);
      INSERT INTO dw_fixture.customers (customer_id, email, full_name, country, created_at, updated_at)
        SELECT gen_random_uuid(), 'user' || i || '@example.com', 'User ' || i, 'DE',
               timestamp '2026-01-01' + i * interval '1 hour', timestamp '2026-02-01' + i * interval '1 hour'
        FROM generate_series(1, 50) AS i;
      CREATE TABLE dw_fixture.orders (
        order_id bigserial PRIMARY KEY,
        customer_id uuid NOT NULL REFERENCES dw_fixture.customers,
        amount numeric(12, 2) NOT NULL,
        placed_at timestamptz NOT NULL
      );
      CREATE INDEX orders_placed_at ON dw_fixture.orders (placed_at);
      INSERT INTO dw_fixture.orders (customer_id, amount, placed_at)
        SELECT customer_id, 10.5, timestamptz '2026-03-01 00:00+00' FROM dw_fixture.customers;
      CREATE VIEW dw_fixture.german_customers AS SELECT customer_id, updated_at FROM dw_fixture.customers WHERE country = 'DE';
      CREATE TABLE dw_fixture.documents (doc_id serial PRIMARY KEY, title text, body text, api_token text);
      INSERT INTO dw_fixture.documents (title, body, api_token) VALUES ('manual', repeat('x', 1000000), 'tok-live-0123456789');
      CREATE TABLE dw_fixture.events (event_id bigint PRIMARY KEY, happened_at timestamp NOT NULL);
      INSERT INTO dw_fixture.events SELECT i, timestamp '2026-01-01' + i * interval '1 second' FROM generate_series(1, 100000) AS i;
      ANALYZE dw_fixture.events;
      CREATE TABLE dw_fixture.audit (at timestamptz);
      CREATE FUNCTION dw_fixture.record_read() RETURNS int LANGUAGE sql VOLATILE AS $$ INSERT INTO dw_fixture.audit VALUES (now()); SELECT 1 $$;
      CREATE VIEW dw_fixture.writes_when_read AS SELECT dw_fixture.record_read() AS x;
      CREATE VIEW dw_fixture.slow AS SELECT pg_sleep(12)::text AS x;
    `);
  } finally {
    await client.end();
  }
}

export async function postgresCount(sql: string): Promise<number> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return Number((await client.query<{ n: string }>(sql)).rows[0]!.n);
  } finally {
    await client.end();
  }
}

export async function createMariadbFixtures(): Promise<void> {
  const db = await mysql.createConnection({ ...MARIADB, multipleStatements: true });
  try {
    await db.query(`
      DROP DATABASE IF EXISTS dw_fixture;
      CREATE DATABASE dw_fixture;
      USE dw_fixture;
      CREATE TABLE customers (
        customer_id char(36) NOT NULL PRIMARY KEY COMMENT 'a uuid',
        email varchar(100) NOT NULL COMMENT 'Contact e-mail',
        full_name varchar(200),
        country char(2),
        created_at datetime NOT NULL,
        updated_at datetime NOT NULL,
        KEY customers_updated_at (updated_at)
      ) COMMENT = 'Customers of the shop';
      INSERT INTO customers SELECT uuid(), concat('user', seq, '@example.com'), concat('User ', seq), 'DE',
        '2026-01-01' + INTERVAL seq HOUR, '2026-02-01' + INTERVAL seq HOUR FROM seq_1_to_50;
      CREATE TABLE orders (
        order_id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,
        customer_id char(36) NOT NULL,
        amount decimal(12, 2) NOT NULL,
        placed_at datetime NOT NULL,
        KEY orders_placed_at (placed_at)
      );
      INSERT INTO orders (customer_id, amount, placed_at) SELECT customer_id, 10.5, '2026-03-01' FROM customers;
      CREATE VIEW german_customers AS SELECT customer_id, updated_at FROM customers WHERE country = 'DE';
      CREATE TABLE documents (doc_id int NOT NULL AUTO_INCREMENT PRIMARY KEY, title varchar(100), body longtext, api_token varchar(100));
      INSERT INTO documents (title, body, api_token) VALUES ('manual', repeat('x', 1000000), 'tok-live-0123456789');
      CREATE TABLE events (event_id bigint NOT NULL PRIMARY KEY, happened_at datetime NOT NULL);
      INSERT INTO events SELECT seq, '2026-01-01' + INTERVAL seq SECOND FROM seq_1_to_100000;
      ANALYZE TABLE events;
      CREATE TABLE audit (at datetime);
      CREATE FUNCTION record_read() RETURNS int MODIFIES SQL DATA BEGIN INSERT INTO audit VALUES (now()); RETURN 1; END;
      CREATE VIEW writes_when_read AS SELECT record_read() AS x;
      CREATE VIEW slow AS SELECT sleep(12) AS x;
    `);
  } finally {
    await db.end();
  }
}

export async function mariadbCount(sql: string): Promise<number> {
  const db = await mysql.createConnection(MARIADB);
  try {
    const [rows] = (await db.query(sql)) as unknown as [Array<{ n: number | string }>];
    return Number(rows[0]!.n);
  } finally {
    await db.end();
  }
}
