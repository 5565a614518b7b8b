// The official OpenAI SDK as a real client of POST /v1/audio/speech:
// every response_format in both stream formats, and the errors it must
// surface as the SDK's own error classes. Writes what it received into
// OUT_DIR and prints one JSON summary line for the Python test to check.
//   node openai_speech.mjs BASE_URL OUT_DIR
import fs from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';

const [baseURL, outDir] = process.argv.slice(2);
const client = new OpenAI({ baseURL: `${baseURL}/v1`, apiKey: 'not-needed', maxRetries: 0 });
const input = 'Hello from the OpenAI client. This is a second sentence.';
const summary = { files: {}, sse: {}, errors: {} };

async function bytesOf(response) {
  return Buffer.from(await response.arrayBuffer());
}

// SSE: speech.audio.delta events carry base64 audio; speech.audio.done ends.
async function sseAudio(response) {
  const text = (await bytesOf(response)).toString('utf8');
  const events = text.split('\n\n').filter((e) => e.startsWith('data: '))
    .map((e) => JSON.parse(e.slice(6)));
  const deltas = events.filter((e) => e.type === 'speech.audio.delta');
  return {
    types: [...new Set(events.map((e) => e.type))],
    deltas: deltas.length,
    last: events[events.length - 1],
    audio: Buffer.concat(deltas.map((e) => Buffer.from(e.audio, 'base64'))),
  };
}

for (const format of ['wav', 'pcm', 'flac', 'mp3', 'opus']) {
  const response = await client.audio.speech.create({
    model: 'tts-1', voice: 'alloy', input, response_format: format,
  });
  const audio = await bytesOf(response);
  fs.writeFileSync(path.join(outDir, `audio.${format}`), audio);
  summary.files[format] = {
    bytes: audio.length,
    type: response.headers.get('content-type'),
    rate: Number(response.headers.get('x-sample-rate')),
  };
  const sse = await client.audio.speech.create({
    model: 'gpt-4o-mini-tts', voice: 'alloy', input, response_format: format,
    stream_format: 'sse', instructions: 'Speak slowly.',
  });
  const got = await sseAudio(sse);
  fs.writeFileSync(path.join(outDir, `sse.${format}`), got.audio);
  summary.sse[format] = {
    type: sse.headers.get('content-type'), types: got.types, deltas: got.deltas,
    last: got.last.type, usage: got.last.usage, bytes: got.audio.length,
  };
}

async function errorOf(params) {
  try {
    await client.audio.speech.create({ model: 'tts-1', input, voice: 'alloy', ...params });
    return { status: 200 };
  } catch (e) {
    return { status: e.status, name: e.constructor.name, message: e.message, code: e.code,
      param: e.param, type: e.type };
  }
}

summary.errors.aac = await errorOf({ response_format: 'aac' });
summary.errors.voice = await errorOf({ voice: 'nobody' });
summary.errors.speed = await errorOf({ speed: 10 });
summary.errors.empty = await errorOf({ input: '' });
console.log(JSON.stringify(summary));
