// The try-a-voice page: sends the form to the server's /inference_<mode>
// route and plays the raw 16-bit PCM answer with Web Audio while it is
// still streaming in, each piece scheduled right after the one before.
// window.cvLast holds what the last request measured (tests read it).
'use strict';

const $ = (id) => document.getElementById(id);
const form = $('form'), statusEl = $('status'), errorEl = $('error');
let recorded = null; // a WAV Blob made by the Record button
let audioCtx = null;

function currentMode() { return $('mode').value; }

function showForMode() {
  const mode = currentMode();
  for (const el of document.querySelectorAll('[data-modes]'))
    el.hidden = !el.dataset.modes.split(' ').includes(mode);
  updateCurl();
}

function setStatus(state, text) {
  statusEl.dataset.state = state;
  statusEl.textContent = text;
}

function showError(message) {
  errorEl.textContent = message;
  errorEl.hidden = !message;
}

// What CosyVoice's preset speaker ids mean, for readers of other languages.
const GLOSS = {
  '中文女': 'Mandarin, female', '中文男': 'Mandarin, male', '粤语女': 'Cantonese, female',
  '日语男': 'Japanese, male', '韩语女': 'Korean, female', '英文女': 'English, female',
  '英文男': 'English, male',
};

async function loadVoices() {
  const select = $('voice');
  try {
    const r = await fetch('/v1/audio/voices');
    const doc = await r.json();
    select.innerHTML = '';
    // Speaker ids first; OpenAI's voice names (aliases) are for API clients.
    for (const v of doc.data.filter((v) => v.id === v.speaker)) {
      const o = document.createElement('option');
      o.value = v.id;
      o.textContent = GLOSS[v.id] ? `${v.id} · ${GLOSS[v.id]}` : v.id;
      select.appendChild(o);
    }
    const english = [...select.options].find((o) => o.value === '英文女');
    if (english) english.selected = true;
  } catch (e) {
    select.innerHTML = '<option value="">(voices unavailable)</option>';
    showError(`Cannot list the voices: ${e.message}`);
  }
  updateCurl();
}

function fields() {
  const mode = currentMode();
  const f = { tts_text: $('text').value };
  if (mode === 'sft' || mode === 'instruct') f.spk_id = $('voice').value;
  if (mode === 'instruct' || mode === 'instruct2') f.instruct_text = $('instruct').value;
  if (mode === 'zero_shot') f.prompt_text = $('prompt-text').value;
  if (Number($('speed').value) !== 1) f.speed = $('speed').value;
  return f;
}

// Modes whose request carries a prompt recording (instruct2: the reference
// FastAPI server's instruction + recording route, served by CosyVoice2/3).
function needsPrompt(mode) {
  return ['zero_shot', 'cross_lingual', 'instruct2'].includes(mode);
}

function promptFile() {
  return $('prompt').files[0] || recorded;
}

function updateCurl() {
  const mode = currentMode();
  const quote = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
  let cmd = `curl -N ${quote(`${location.origin}/inference_${mode}`)}`;
  for (const [k, v] of Object.entries(fields())) cmd += ` \\\n  -F ${quote(`${k}=${v}`)}`;
  if (needsPrompt(mode)) cmd += ' \\\n  -F prompt_wav=@prompt.wav';
  cmd += ' \\\n  -o speech.pcm   # raw 16-bit mono PCM at the X-Sample-Rate header\'s rate';
  $('curl').textContent = cmd;
}

// Plays little-endian int16 PCM pieces back to back as they arrive.
class StreamPlayer {
  constructor(ctx, rate) {
    this.ctx = ctx; this.rate = rate; this.next = 0; this.carry = null;
    this.samples = 0; this.pieces = 0; this.lastSource = null; this.started = 0;
  }
  push(bytes) {
    if (this.carry) { // a sample split across two network reads
      const joined = new Uint8Array(this.carry.length + bytes.length);
      joined.set(this.carry); joined.set(bytes, this.carry.length);
      bytes = joined; this.carry = null;
    }
    const n = bytes.length >> 1;
    if (bytes.length & 1) this.carry = bytes.slice(bytes.length - 1);
    if (!n) return;
    const view = new DataView(bytes.buffer, bytes.byteOffset, n * 2);
    const buf = this.ctx.createBuffer(1, n, this.rate);
    const out = buf.getChannelData(0);
    for (let i = 0; i < n; i++) out[i] = view.getInt16(2 * i, true) / 32768;
    const src = this.ctx.createBufferSource();
    src.buffer = buf;
    src.connect(this.ctx.destination);
    // A small lead on the first piece absorbs network jitter.
    if (!this.pieces) this.started = this.next = this.ctx.currentTime + 0.05;
    this.next = Math.max(this.next, this.ctx.currentTime);
    src.start(this.next);
    this.next += buf.duration;
    this.samples += n; this.pieces++; this.lastSource = src;
  }
  get seconds() { return this.samples / this.rate; }
  finished() {
    return new Promise((resolve) => {
      if (!this.lastSource) return resolve(0);
      this.lastSource.onended = () => resolve(this.ctx.currentTime - this.started);
    });
  }
}

async function speak(ev) {
  ev.preventDefault();
  showError('');
  const mode = currentMode();
  const body = new FormData();
  for (const [k, v] of Object.entries(fields())) body.append(k, v);
  if (needsPrompt(mode)) {
    const file = promptFile();
    if (file) body.append('prompt_wav', file, file.name || 'recording.wav');
  }
  const last = window.cvLast = { state: 'running' };
  $('speak').disabled = true;
  setStatus('running', 'Synthesizing…');
  audioCtx = audioCtx || new AudioContext();
  await audioCtx.resume();
  const t0 = performance.now();
  try {
    const r = await fetch(`/inference_${mode}`, { method: 'POST', body });
    if (!r.ok) {
      let message = `HTTP ${r.status}`;
      try { message = (await r.json()).error.message; } catch (e) { /* not JSON */ }
      throw new Error(message);
    }
    const player = new StreamPlayer(audioCtx, Number(r.headers.get('X-Sample-Rate')) || 22050);
    const reader = r.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!player.pieces && value.length) {
        last.ttfa_ms = performance.now() - t0;
        setStatus('playing', `First audio after ${last.ttfa_ms.toFixed(0)} ms…`);
      }
      player.push(value);
    }
    last.total_ms = performance.now() - t0;
    last.decoded_s = player.seconds;
    last.pieces = player.pieces;
    setStatus('playing', `First audio after ${last.ttfa_ms.toFixed(0)} ms · ` +
              `${player.seconds.toFixed(2)} s received in ${(last.total_ms / 1000).toFixed(2)} s`);
    last.played_s = await player.finished();
    last.state = 'done';
    setStatus('done', `First audio after ${last.ttfa_ms.toFixed(0)} ms · ` +
              `played ${last.played_s.toFixed(2)} s of speech`);
  } catch (e) {
    last.state = 'error';
    last.error = e.message;
    setStatus('error', '');
    showError(e.message);
  } finally {
    $('speak').disabled = false;
  }
}

// Recording: raw samples from the microphone, saved as a 16-bit WAV file
// (a format the server reads; MediaRecorder's WebM is not).
let rec = null;
async function toggleRecord() {
  const button = $('record');
  if (rec) {
    // The audio thread may have queued more onaudioprocess events; they
    // must not run against a finished recording (rec becomes null below).
    rec.node.onaudioprocess = null;
    rec.stream.getTracks().forEach((t) => t.stop());
    rec.node.disconnect();
    await rec.ctx.close();
    recorded = wavBlob(rec.chunks, rec.ctx.sampleRate);
    $('recorded').textContent = `recorded ${(rec.length / rec.ctx.sampleRate).toFixed(1)} s`;
    $('prompt').value = '';
    rec = null;
    button.classList.remove('on');
    button.textContent = '● Record';
    return;
  }
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const ctx = new AudioContext();
    const source = ctx.createMediaStreamSource(stream);
    const node = ctx.createScriptProcessor(4096, 1, 1);
    const r = { stream, ctx, node, chunks: [], length: 0 };
    rec = r;
    node.onaudioprocess = (e) => {
      const d = new Float32Array(e.inputBuffer.getChannelData(0));
      r.chunks.push(d);
      r.length += d.length;
    };
    source.connect(node);
    node.connect(ctx.destination);
    button.classList.add('on');
    button.textContent = '■ Stop';
  } catch (e) {
    showError(`Cannot record: ${e.message}`);
  }
}

function wavBlob(chunks, rate) {
  const n = chunks.reduce((a, c) => a + c.length, 0);
  const buf = new ArrayBuffer(44 + 2 * n), v = new DataView(buf);
  const str = (o, s) => [...s].forEach((c, i) => v.setUint8(o + i, c.charCodeAt(0)));
  str(0, 'RIFF'); v.setUint32(4, 36 + 2 * n, true); str(8, 'WAVE'); str(12, 'fmt ');
  v.setUint32(16, 16, true); v.setUint16(20, 1, true); v.setUint16(22, 1, true);
  v.setUint32(24, rate, true); v.setUint32(28, 2 * rate, true); v.setUint16(32, 2, true);
  v.setUint16(34, 16, true); str(36, 'data'); v.setUint32(40, 2 * n, true);
  let o = 44;
  for (const c of chunks)
    for (const x of c) { v.setInt16(o, Math.max(-1, Math.min(1, x)) * 32767, true); o += 2; }
  return new Blob([buf], { type: 'audio/wav' });
}

form.addEventListener('submit', speak);
form.addEventListener('input', updateCurl);
$('mode').addEventListener('change', showForMode);
$('record').addEventListener('click', toggleRecord);
$('speed').addEventListener('input', () => {
  $('speed-out').textContent = `${Number($('speed').value).toFixed(2)}×`;
});
showForMode();
loadVoices();
