/**
 * Headless Chromium for the report tests: one browser for every document a test file renders. Each
 * document is loaded as a top-level page in a 1280×1000 window, as a person opening the report file
 * would see it; the browser's own serialisation of the DOM it parsed and a PNG screenshot of the
 * window come back. The browser is driven over the DevTools protocol on a pipe
 * (`--remote-debugging-pipe`: JSON messages ended by a NUL byte, in on fd 3, out on fd 4), so no
 * port is opened; one launch instead of one per document (a launch costs seconds of CPU).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';

export const WINDOW = { width: 1280, height: 1000 } as const;

export interface Rendered {
  /** `document.documentElement.outerHTML` once the page has loaded. */
  readonly dom: string;
  readonly png: Buffer;
}

export interface HeadlessChromium {
  /** Writes `document` to a file in the browser's directory, opens it and renders it. */
  render(document: string, name: string): Promise<Rendered>;
  close(): Promise<void>;
}

interface Message {
  readonly id?: number;
  readonly method?: string;
  readonly sessionId?: string;
  readonly params?: Record<string, unknown>;
  readonly result?: Record<string, unknown>;
  readonly error?: { readonly message: string };
}

/** Starts Chromium at `path`, its profile and the rendered files in `dir`. */
export async function launchHeadlessChromium(path: string, dir: string, timeoutMs = 30_000): Promise<HeadlessChromium> {
  const browser: ChildProcess = spawn(
    path,
    [
      '--headless',
      // Browser, renderer and GPU work in one process, and no zygote to fork renderers from: the
      // launch takes about 2 s of CPU less (measured), and the screenshots are byte-identical.
      '--single-process',
      '--no-zygote',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--hide-scrollbars',
      `--user-data-dir=${join(dir, 'profile')}`,
      `--window-size=${WINDOW.width},${WINDOW.height}`,
      '--remote-debugging-pipe',
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
  );
  const toBrowser = browser.stdio[3] as Writable;
  const fromBrowser = browser.stdio[4] as Readable;
  let stderr = '';
  browser.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));

  let nextId = 1;
  const pending = new Map<number, { resolve: (result: Record<string, unknown>) => void; reject: (error: Error) => void }>();
  const listeners = new Set<(message: Message) => void>();
  let exited: Error | undefined;
  const failAll = (error: Error): void => {
    exited ??= error;
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
  };
  browser.on('error', failAll);
  browser.on('exit', (code, signal) => failAll(new Error(`Chromium exited (${signal ?? `code ${code}`}): ${stderr}`)));

  let buffered = '';
  fromBrowser.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    for (let end = buffered.indexOf('\0'); end >= 0; end = buffered.indexOf('\0')) {
      const message = JSON.parse(buffered.slice(0, end)) as Message;
      buffered = buffered.slice(end + 1);
      if (message.id !== undefined) {
        const call = pending.get(message.id);
        pending.delete(message.id);
        if (message.error) call?.reject(new Error(`DevTools: ${message.error.message}`));
        else call?.resolve(message.result ?? {});
      } else {
        for (const listener of listeners) listener(message);
      }
    }
  });

  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> => {
    if (exited) return Promise.reject(exited);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      toBrowser.write(`${JSON.stringify({ id, method, params, ...(sessionId && { sessionId }) })}\0`);
    });
  };
  /** Resolves with the next `method` event of the session. */
  const next = (method: string, sessionId: string): Promise<Message> =>
    new Promise((resolve) => {
      const listener = (message: Message): void => {
        if (message.method !== method || message.sessionId !== sessionId) return;
        listeners.delete(listener);
        resolve(message);
      };
      listeners.add(listener);
    });
  const withTimeout = <T>(what: string, promise: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        browser.kill('SIGKILL');
        reject(new Error(`Chromium did not ${what} within ${timeoutMs} ms: ${stderr}`));
      }, timeoutMs);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  };

  // The window the browser opened with `about:blank`: every document is loaded into it in turn.
  const sessionId = await withTimeout('start', (async () => {
    const { targetInfos } = (await send('Target.getTargets')) as { targetInfos: Array<{ targetId: string; type: string }> };
    const page = targetInfos.find((target) => target.type === 'page');
    if (!page) throw new Error('Chromium opened no page');
    const { sessionId: attached } = (await send('Target.attachToTarget', { targetId: page.targetId, flatten: true })) as { sessionId: string };
    await send('Page.enable', {}, attached);
    // The page gets the whole window, as with `--screenshot`: no room kept for a tab strip.
    await send('Emulation.setDeviceMetricsOverride', { ...WINDOW, deviceScaleFactor: 1, mobile: false }, attached);
    return attached;
  })());

  return {
    render: (document, name) =>
      withTimeout(`render ${name}`, (async () => {
        const htmlPath = join(dir, `${name}.html`);
        writeFileSync(htmlPath, document);
        const loaded = next('Page.loadEventFired', sessionId);
        const { errorText } = (await send('Page.navigate', { url: pathToFileURL(htmlPath).href }, sessionId)) as { errorText?: string };
        if (errorText) throw new Error(`Chromium could not open ${htmlPath}: ${errorText}`);
        await loaded;
        const { result } = (await send('Runtime.evaluate', { expression: 'document.documentElement.outerHTML', returnByValue: true }, sessionId)) as {
          result: { value: string };
        };
        const { data } = (await send('Page.captureScreenshot', { format: 'png' }, sessionId)) as { data: string };
        return { dom: result.value, png: Buffer.from(data, 'base64') };
      })()),
    close: async () => {
      if (exited) return;
      const gone = new Promise<void>((resolve) => browser.once('exit', () => resolve()));
      await send('Browser.close').catch(() => browser.kill('SIGKILL'));
      await withTimeout('close', gone);
    },
  };
}
