/**
 * The transpile worker: runs jco's `transpile` (wasm-tools, compiled to a component, doing all its
 * work synchronously) off the host thread, so that loading a large or hostile component never
 * blocks the host's event loop. One worker per process, started on first use and kept (unref'd);
 * requests are served one at a time.
 */
import { parentPort } from 'node:worker_threads';

export interface TranspileRequest {
  id: number;
  bytes: Uint8Array;
}

export type TranspileReply =
  | { id: number; ok: true; imports: string[]; exports: [string, string][]; files: [string, Uint8Array][] }
  | { id: number; ok: false; message: string };

parentPort!.on('message', (req: TranspileRequest) => {
  void (async () => {
    let reply: TranspileReply;
    const transfer: ArrayBuffer[] = [];
    try {
      const { transpile } = await import('@bytecodealliance/jco');
      const result = await transpile(req.bytes, { name: 'plugin', instantiation: 'sync', noTypescript: true, quiet: true });
      const files = Object.entries(result.files).map(([name, data]): [string, Uint8Array] => {
        const copy = new Uint8Array(data);
        transfer.push(copy.buffer);
        return [name, copy];
      });
      reply = { id: req.id, ok: true, imports: result.imports, exports: result.exports, files };
    } catch (cause) {
      reply = { id: req.id, ok: false, message: String((cause as Error)?.message ?? cause) };
    }
    parentPort!.postMessage(reply, transfer);
  })();
});
