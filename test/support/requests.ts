// Requests the tests open issues with.

/** A complete request for the pipeline `orders_customers_daily`, as an issue's text: prose, then a yaml block. */
export const completeRequest = [
  'Daily copy of customers from the orders database to the lake.',
  '',
  '```yaml',
  'dag_id: orders_customers_daily',
  'schedule: "0 6 * * *"',
  'start_date: 2026-01-01',
  'source: {type: postgres, conn_id: orders_pg, table: public.customers}',
  'target: {conn_id: lake, table: raw_orders.customers}',
  'load: {strategy: snapshot}',
  '```',
].join('\n');
