// Drives the server's web page in Debian's chromium (headless, through
// playwright-core) as a person would: synthesize a sentence and hear it
// while it streams, see a readable error for empty text, clone a voice from
// an uploaded and from a recorded prompt (chromium's fake microphone), and
// decode every format of /v1/audio/speech with the browser's own decoders.
// Prints one JSON line of what it measured; keeps a screenshot.
//   node page_test.mjs BASE_URL SCREENSHOT PROMPT_WAV [RUNS] [ONLY_MODE]
// RUNS > 0 (benchmarks) only repeats the first synthesis RUNS times.
// ONLY_MODE (e.g. instruct2, against a CosyVoice2/3 server) runs just that
// mode with the uploaded prompt and an instruction.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const [base, screenshot, promptWav, runsArg, onlyMode] = process.argv.slice(2);
const runs = Number(runsArg || 0);
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'cv-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
  viewport: { width: 900, height: 1000 },
});
const result = {};
// Prints the result and ends the run early (benchmark and single-mode runs).
async function finishEarly() {
  console.log(JSON.stringify(result));
  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
  process.exit(0);
}
try {
  const page = context.pages()[0] || await context.newPage();
  const consoleErrors = [];
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(`${base}/`);
  if (!onlyMode)
    await page.waitForFunction(() => document.querySelector('#voice').value === '英文女');

  async function speakAndWait() {
    await page.click('#speak');
    await page.waitForFunction(() => ['done', 'error'].includes(window.cvLast?.state),
      null, { timeout: 60000 });
    return page.evaluate(() => ({ ...window.cvLast,
      status: document.querySelector('#status').textContent,
      error_text: document.querySelector('#error').hidden ? '' :
        document.querySelector('#error').textContent }));
  }

  async function instruct2() {
    await page.selectOption('#mode', 'instruct2');
    await page.setInputFiles('#prompt', promptWav);
    await page.fill('#instruct', 'Speak slowly.');
    return speakAndWait();
  }

  await page.fill('#text', 'Good morning. This sentence is played while it is still being made.');
  if (onlyMode === 'instruct2') {
    result.instruct2 = await instruct2();
    result.curl = await page.textContent('#curl');
    result.page_errors = consoleErrors;
    await finishEarly();
  }
  if (runs > 0) {
    result.runs = [];
    for (let i = 0; i < runs; i++) result.runs.push(await speakAndWait());
    await finishEarly();
  }
  result.sft = await speakAndWait();
  await page.screenshot({ path: screenshot, fullPage: true });

  await page.fill('#text', '   ');
  result.empty = await speakAndWait();

  await page.selectOption('#mode', 'zero_shot');
  await page.fill('#text', 'A cloned voice says hello.');
  await page.setInputFiles('#prompt', promptWav);
  await page.fill('#prompt-text', '希望你以后能够做的比我还好呦。');
  result.zero_shot = await speakAndWait();

  await page.selectOption('#mode', 'cross_lingual');
  await page.setInputFiles('#prompt', []);
  await page.click('#record');
  await page.waitForTimeout(1500); // the fake microphone's beeps, recorded
  await page.click('#record');
  result.recorded = await page.textContent('#recorded');
  result.cross_lingual = await speakAndWait();

  // instruct2 reaches the server's route; the default engine answers that it
  // cannot serve it, which the page must show as a readable message.
  result.instruct2 = await instruct2();

  // The OpenAI-compatible formats through chromium's own decoders.
  result.decoded = await page.evaluate(async () => {
    const out = {};
    const ctx = new OfflineAudioContext(1, 1, 22050);
    for (const format of ['wav', 'mp3', 'flac', 'opus']) {
      const r = await fetch('/v1/audio/speech', {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ model: 'tts-1', input: 'Decoded by the browser.', voice: 'nova',
          response_format: format }),
      });
      try {
        const buf = await ctx.decodeAudioData(await r.arrayBuffer());
        out[format] = buf.duration;
      } catch (e) {
        out[format] = `error: ${e.message}`;
      }
    }
    return out;
  });
  result.page_errors = consoleErrors;
  console.log(JSON.stringify(result));
} finally {
  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
