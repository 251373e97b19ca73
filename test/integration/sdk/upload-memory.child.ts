// Run by upload-memory.test.ts as `node --expose-gc --import tsx`: uploads a file with the SDK
// while sampling this process's live memory (after a full GC each time), then, as the reference,
// the same measure while holding the file read whole. Prints one JSON line.
import { readFileSync } from 'node:fs';
import { Mailsift } from '../../../sdk/src/index.ts';

const [url, key, file] = process.argv.slice(2) as [string, string, string];
const gc = (globalThis as { gc?: () => void }).gc!;
const live = () => {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};

async function peakGrowthDuring<T>(work: () => Promise<T>): Promise<{ value: T; peak: number }> {
  const base = live();
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, live() - base)), 50);
  try {
    const value = await work();
    peak = Math.max(peak, live() - base);
    return { value, peak };
  } finally {
    clearInterval(timer);
  }
}

const client = new Mailsift({ apiKey: key, baseUrl: url, timeoutMs: 120_000 });
// Load fetch and the SDK's modules before measuring: their code is not the upload's memory.
await client.account();
let sent = 0;
let progressCalls = 0;
const upload = await peakGrowthDuring(() =>
  client.jobs.create({
    file,
    name: 'memory',
    onUploadProgress: (bytes) => {
      sent = bytes;
      progressCalls++;
    },
  }),
);
const whole = await peakGrowthDuring(async () => {
  const buf = readFileSync(file);
  await new Promise((r) => setTimeout(r, 100));
  return buf.length;
});
console.log(
  JSON.stringify({
    job: { id: upload.value.id, total: upload.value.total },
    streamedPeak: upload.peak,
    wholePeak: whole.peak,
    sent,
    progressCalls,
  }),
);
