// The page's own script: load the model folder with transformers.js, apply its decision rule, show genres and top 5.
import { pipeline, env } from '@huggingface/transformers';

env.allowRemoteModels = false;                   // everything comes from this site
env.allowLocalModels = true;
env.localModelPath = new URL('./', location.href).pathname;   // a path, not a URL: transformers.js reads local folders by path
env.backends.onnx.wasm.wasmPaths = new URL('./vendor/', location.href).href;
env.backends.onnx.wasm.proxy = false;

const $ = (id) => document.getElementById(id);
let config, classify;
try {
  config = await (await fetch('./model/config.json')).json();
  classify = await pipeline('text-classification', 'model', { device: 'wasm', dtype: 'q8' });
} catch (e) {
  $('status').textContent = `The model could not be loaded here: ${e.message ?? e}`;
  throw e;
}
$('title').hidden = !config.titles;                 // the box shows for a model that reads titles
const labels = config.labels, cap = config.max_genres ?? labels.length;
const scale = config.calibration?.scale ?? labels.map(() => 1), bias = config.calibration?.bias ?? labels.map(() => 0);
const cut = config.thresholds.map((t) => Math.log(t / (1 - t)));   // each genre's threshold, as log-odds of the model's score

// The rule of the model folder (its card's "Decision rule"): the model's own score behind each calibrated logit,
// genres whose score reaches their threshold, the `max_genres` highest of them, else the single highest; named most
// likely first (the calibrated probability grows with the logit).
export function decide(logits) {
  const score = Array.from(logits, (l, i) => (l - bias[i]) / scale[i]);
  const order = labels.map((_, i) => i).sort((a, b) => score[b] - score[a]);
  let named = order.filter((i) => score[i] >= cut[i]).slice(0, cap);
  if (named.length === 0) named = [order[0]];
  return named.sort((a, b) => (logits[b] - logits[a]) || (a - b)).map((i) => labels[i]);
}

// One description per call: the int8 graph quantizes its activations per call, as our serving does.
async function logitsOf(text) {
  const inputs = classify.tokenizer(text, { truncation: true });
  return (await classify.model(inputs)).logits.data;
}

export async function predict(text) {
  const logits = await logitsOf(text);
  const probs = Array.from(logits, (l) => 1 / (1 + Math.exp(-l)));        // calibrated probabilities
  const top = labels.map((g, i) => [g, probs[i]]).sort((a, b) => b[1] - a[1]).slice(0, 5);
  return { genres: decide(logits), top };
}

function clean(text) {                           // as the package does: entities aside, no trailing "See full summary", one space
  return text.replace(/\s*(?:\.\.\.|…)?\s*See full summary\s*»?\s*$/i, '').replace(/\s+/g, ' ').trim();
}

// What the model reads (the package's `data.model_text`): `Title. description` for a model trained on titles, else the description.
export function modelText(description, title = '') {
  const d = clean(description), t = clean(title ?? '');
  if (!config.titles || !d || !t) return d;
  return /[.!?]$/.test(t) ? `${t} ${d}` : `${t}. ${d}`;
}

async function show() {
  const text = modelText($('description').value, $('title').value);
  if (!text) { $('status').textContent = 'The description is empty: give a movie description.'; return; }
  $('status').textContent = 'Thinking...';
  const t0 = performance.now(), { genres, top } = await predict(text);
  $('genres').textContent = genres.join(' · ');
  $('top5').innerHTML = top.map(([g, p]) =>
    `<tr><td>${g}</td><td>${p.toFixed(3)}</td><td><span class="bar" style="width:${Math.round(p * 12)}rem"></span></td></tr>`).join('');
  $('status').textContent = `Answered in ${Math.round(performance.now() - t0)} ms, in this page.`;
  $('genres').dataset.done = String(Number($('genres').dataset.done ?? 0) + 1);
}

$('predict').addEventListener('click', show);
for (const box of ['description', 'title']) $(box).addEventListener('keydown', (e) => { if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); show(); } });
$('predict').disabled = false;
$('status').textContent = 'Ready.';
// For tests and the curious: the pipeline's own probabilities (top_k: null) and the page's rule.
window.movieGenres = { predict, decide, modelText, probabilities: (text) => classify(text, { top_k: null }) };
