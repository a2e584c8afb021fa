"""Which way to serve a list of descriptions: measured on the shipped model's 931 validation descriptions.

For each way: descriptions a second over the whole list, one-description p50, and how its answers compare with the
shipped answers (each description alone on onnxruntime int8): genre sets that differ, largest |dp|, micro/macro-F1.
Ways: onnxruntime int8 one at a time (the shipped answers), in batches of 64, spread over single-threaded sessions
(streams, what `predict_proba` does); the same weights in fp32 on onnxruntime; OpenVINO (if installed) in bf16 and
f32 on the fp32 graph. The fp32 graph is exported from the model's training checkpoint.

    python tools/serving_runtimes.py --checkpoint CHECKPOINT [--out nbs/data/serving.json]
"""
import argparse, json, os, tempfile, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
import numpy as np
from movie_genres.bench import machine_facts
from movie_genres.evaluate import decide_matrix, multilabel_scores
from movie_genres.inference import GenreClassifier, make_session
from movie_genres.tokens import encode_texts, pad_batch, length_batches
from movie_genres.train import load_splits, targets


def fp32_graph(checkpoint: Path, out: Path) -> Path:
    "The checkpoint's fused fp32 ONNX graph, as the export makes it before quantizing."
    from movie_genres.export import export_onnx, fuse_transformer
    from movie_genres.model import load_checkpoint
    m, _, _ = load_checkpoint(checkpoint); ec = m.encoder.config
    export_onnx(m, out); fuse_transformer(out, out, ec.num_attention_heads, ec.hidden_size)
    return out


def ort_call(path, threads):
    s = make_session(path, threads)
    return lambda ids, mask: s.run(None, {'input_ids': ids, 'attention_mask': mask})[0]


def openvino_call(path, precision, threads):
    import openvino as ov
    m = ov.Core().compile_model(str(path), 'CPU', {'INFERENCE_PRECISION_HINT': precision, 'INFERENCE_NUM_THREADS': threads,
                                                  'PERFORMANCE_HINT': 'LATENCY'})
    req = m.create_infer_request()
    return lambda ids, mask: req.infer({'input_ids': ids, 'attention_mask': mask})[0].copy()


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--checkpoint', required=True); p.add_argument('--out', default='nbs/data/serving.json')
    p.add_argument('--rounds', type=int, default=3)
    a = p.parse_args()
    clf, threads = GenreClassifier.load(), min(os.cpu_count() or 1, 8)
    valid = load_splits()['valid']; y = targets(valid, clf.labels)
    seqs = encode_texts(clf.tokenizer, valid.description.tolist())
    one = lambda q: pad_batch([q], clf.pad_id)

    def alone(call):
        return np.stack([call(*one(q))[0] for q in seqs])

    def batched(call, bs=64):
        probs = np.zeros((len(seqs), len(clf.labels)), np.float32)
        for b in length_batches([len(q) for q in seqs], bs): probs[b] = call(*pad_batch([seqs[i] for i in b], clf.pad_id))
        return probs

    def streamed(calls):
        probs = np.zeros((len(seqs), len(clf.labels)), np.float32)
        def part(k):
            for i in range(k, len(seqs), len(calls)): probs[i] = calls[k](*one(seqs[i]))[0]
        with ThreadPoolExecutor(len(calls)) as ex: list(ex.map(part, range(len(calls))))
        return probs

    work = Path(tempfile.mkdtemp()); fp32 = fp32_graph(Path(a.checkpoint), work/'fp32.onnx')
    int8 = clf.onnx_path
    ways = [('onnxruntime int8, one at a time (shipped answers)', lambda: alone(ort_call(int8, threads))),
            ('onnxruntime int8, batches of 64', lambda: batched(ort_call(int8, threads))),
            (f'onnxruntime int8, {threads} single-threaded streams (served)', lambda: streamed([ort_call(int8, 1) for _ in range(threads)])),
            ('onnxruntime fp32, batches of 64', lambda: batched(ort_call(fp32, threads)))]
    try:
        import openvino
        ways += [(f'OpenVINO {openvino.__version__.split("-")[0]} bf16, batches of 64', lambda: batched(openvino_call(fp32, 'bf16', threads))),
                 (f'OpenVINO {openvino.__version__.split("-")[0]} f32, batches of 64', lambda: batched(openvino_call(fp32, 'f32', threads)))]
    except ImportError: print('openvino is not installed: its rows are left out')
    shipped = alone(ort_call(int8, threads)); d0 = decide_matrix(shipped, clf.thresholds, max_genres=clf.max_genres)
    rows = []
    for name, run in ways:
        run()                                                              # warm-up (and OpenVINO's compile)
        times = []
        for _ in range(a.rounds):
            t0 = time.perf_counter(); probs = run(); times.append(time.perf_counter() - t0)
        d = decide_matrix(probs, clf.thresholds, max_genres=clf.max_genres); s = multilabel_scores(y, d, clf.labels)
        rows.append(dict(way=name, per_s=round(len(seqs) / float(np.median(times))), rows_differing=int((d != d0).any(1).sum()),
                         max_abs_dp=round(float(np.abs(probs - shipped).max()), 4),
                         micro_f1=round(s['micro_f1'], 4), macro_f1=round(s['macro_f1'], 4)))
        print(rows[-1], flush=True)
    Path(a.out).write_text(json.dumps(dict(rows=rows, n=len(seqs), machine=machine_facts(), date=time.strftime('%Y-%m-%d')), indent=1))


if __name__ == '__main__': main()
