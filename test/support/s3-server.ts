// A local S3 server for the execution tier: moto's server from the Airflow environment, bound to loopback on a
// port the system picks. Generated DAGs reach it through an `aws` connection whose extra names the endpoint.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { airflowVenv, type AirflowLine } from './airflow.ts';

export class S3Server {
  readonly endpoint: string;
  private child: ChildProcess;

  private constructor(child: ChildProcess, endpoint: string) {
    this.child = child;
    this.endpoint = endpoint;
  }

  static async start(line: AirflowLine): Promise<S3Server> {
    const child = spawn(path.join(airflowVenv(line), 'bin', 'moto_server'), ['-H', '127.0.0.1', '-p', '0'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', NO_PROXY: '*' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const endpoint = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`moto's S3 server did not start within 30 s:\n${output}`)), 30_000);
      const read = (chunk: Buffer) => {
        output += chunk.toString();
        const port = /Running on http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1];
        if (port) (clearTimeout(timer), resolve(`http://127.0.0.1:${port}`));
      };
      child.stdout!.on('data', read);
      child.stderr!.on('data', read);
      child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`moto's S3 server exited (${code}):\n${output}`))));
    });
    return new S3Server(child, endpoint);
  }

  /** An Airflow connection (JSON form, read by Airflow 2 and 3) that reaches this server with test credentials. */
  connection(): string {
    return JSON.stringify({ conn_type: 'aws', login: 'testing', password: 'testing', extra: { endpoint_url: this.endpoint, region_name: 'us-east-1' } });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    await new Promise((resolve) => {
      this.child.once('exit', resolve);
      this.child.kill('SIGTERM');
    });
  }
}
