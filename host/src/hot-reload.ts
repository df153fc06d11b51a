/**
 * Hot reload: a plugin whose component changes on disk (rebuilt, reinstalled) is loaded again,
 * and the next call uses the new version without a restart. Calls already running finish on the
 * old one (it is never closed under them); a new version that fails to load is refused with a
 * warning and the old one keeps serving.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { isPluginError } from './errors.js';
import type { Plugin } from './plugin.js';

export type ReloadEvent =
  | { kind: 'reloaded'; file: string; from: string; to: string }
  | { kind: 'refused'; file: string; message: string };

export interface WatchOptions {
  /** How to load the file (e.g. with integrity checks for installed plugins). */
  load(file: string): Promise<Plugin>;
  onEvent?(event: ReloadEvent): void;
  /** Wait this long after the last change before loading (default 150 ms). */
  debounceMs?: number;
  /** Tries before a new version is refused (a file may still be being written; default 3). */
  attempts?: number;
}

/** A plugin that follows its file. `current` is the version the next call should use. */
export class WatchedPlugin {
  #current: Plugin;
  readonly file: string;
  readonly #watcher: FSWatcher;
  #timer: NodeJS.Timeout | undefined;
  #loading: Promise<void> = Promise.resolve();
  readonly #options: WatchOptions;

  private constructor(file: string, first: Plugin, options: WatchOptions) {
    this.file = file;
    this.#current = first;
    this.#options = options;
    // Watch the directory: installs and builds replace the file by renaming a new one over it.
    this.#watcher = watch(dirname(file), (_event, name) => {
      if (name && name.toString() !== basename(file)) return;
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => {
        this.#loading = this.#loading.then(() => this.#reload());
      }, options.debounceMs ?? 150);
    });
  }

  static async open(file: string, options: WatchOptions): Promise<WatchedPlugin> {
    return new WatchedPlugin(file, await options.load(file), options);
  }

  get current(): Plugin {
    return this.#current;
  }

  /** Resolves when a reload in progress (if any) has finished. */
  settled(): Promise<void> {
    return this.#loading;
  }

  async #reload(): Promise<void> {
    const attempts = this.#options.attempts ?? 3;
    let last: unknown;
    for (let i = 0; i < attempts; i++) {
      try {
        const next = await this.#options.load(this.file);
        if (next.source.sha256 === this.#current.source.sha256) return; // touched, not changed
        const from = `${this.#current.metadata.version} (${this.#current.source.sha256.slice(0, 12)})`;
        this.#current = next; // calls in flight keep their reference to the old plugin
        this.#options.onEvent?.({ kind: 'reloaded', file: this.file, from, to: `${next.metadata.version} (${next.source.sha256.slice(0, 12)})` });
        return;
      } catch (err) {
        last = err;
        await new Promise((r) => setTimeout(r, 150));
      }
    }
    const message = isPluginError(last) ? `error[${last.code}]: ${last.message}` : String(last);
    this.#options.onEvent?.({ kind: 'refused', file: this.file, message: `the new version of ${this.file} was refused, the previous one keeps serving: ${message}` });
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#watcher.close();
  }
}
