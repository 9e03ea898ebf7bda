// Talking to a test server the way a hostile or unusual client would: bodies streamed from a generator (large ones are
// never held in the test's memory), with or without a declared length, and the server process's memory as the
// kernel counts it.
import fs from 'node:fs';
import http from 'node:http';

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * POSTs `prefix`, then `size` filler bytes, then `suffix`, written as the socket takes them. `declareLength` sends a
 * Content-Length (else the body is chunked). Resolves with the answer even when the server stops reading early and
 * closes the connection after answering, as it should for a body it refuses.
 */
export function streamPost(
  url: string,
  { headers = {}, prefix = '', size = 0, suffix = '', declareLength = true }: { headers?: Record<string, string>; prefix?: string; size?: number; suffix?: string; declareLength?: boolean },
): Promise<Answer> {
  const head = Buffer.from(prefix);
  const tail = Buffer.from(suffix);
  const total = head.length + size + tail.length;
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(url, {
      method: 'POST',
      headers: { ...headers, ...(declareLength ? { 'content-length': String(total) } : { 'transfer-encoding': 'chunked' }) },
    });
    req.on('response', (res) => {
      answered = true;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      // Answered: a client need not send the rest (and the server, reading on to drop it, need not wait for it).
      res.on('end', () => {
        resolve({ status: res.statusCode!, headers: res.headers, body });
        req.destroy();
      });
      res.on('error', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', (e) => {
      if (!answered) reject(e);
    });
    const filler = Buffer.alloc(64 * 1024, 0x61);
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        if (answered || req.destroyed) return;
        const n = Math.min(filler.length, size - sent);
        sent += n;
        if (!req.write(n === filler.length ? filler : filler.subarray(0, n))) return void req.once('drain', pump);
      }
      req.end(tail);
    };
    if (head.length > 0) req.write(head);
    pump();
  });
}

/** Resident memory of a process and all its descendants (the test server runs under tsx, which forks node), in MiB. */
export function treeRssMiB(pid: number): number {
  let kb = 0;
  const visit = (p: number) => {
    try {
      const status = fs.readFileSync(`/proc/${p}/status`, 'utf8');
      kb += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      for (const task of fs.readdirSync(`/proc/${p}/task`)) {
        const children = fs.readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim();
        for (const c of children ? children.split(/\s+/) : []) visit(Number(c));
      }
    } catch {
      // the process ended meanwhile
    }
  };
  visit(pid);
  return kb / 1024;
}
