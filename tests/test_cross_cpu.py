"""Same model, same answer on any x86 CPU: the real onnxruntime, run again under QEMU's AVX2-only CPU model.

onnxruntime picks its int8 kernels by CPU: with VNNI or AMX it sums u8 x s8 products exactly; with AVX2 alone it
sums them in pairs in 16 bits, which saturates for 8-bit weights. The shipped model's 7-bit matrix weights
(11_export) never saturate, so both paths must agree. `make test` installs QEMU (Debian's qemu-user).
"""
import json, platform, shutil, subprocess, sys
from pathlib import Path
import numpy as np, pytest
from movie_genres.inference import GenreClassifier

PINNED = Path(__file__).resolve().parents[1]/'nbs'/'data'/'shipped_valid_probs.npz'   # the 931 validation films' probabilities, AVX2
AVX2_ONLY = 'EPYC-Milan'    # QEMU's model of an AMD EPYC 7003: AVX2, no AVX-512, no VNNI
pytestmark = pytest.mark.skipif(platform.machine() != 'x86_64', reason='the int8 kernels compared are x86 ones')

SHIPPED = """import json, sys
from movie_genres.inference import GenreClassifier
print(json.dumps(GenreClassifier.load().predict_scores(json.load(sys.stdin)).tolist()))"""

ONE_MATRIX = """import json, sys, numpy as np, onnxruntime as ort
x = np.asarray(json.load(sys.stdin), np.float32)
s = ort.InferenceSession(sys.argv[1], providers=['CPUExecutionProvider'])
print(json.dumps(s.run(None, {'x': x})[0].tolist()))"""


def run_python(code: str, payload, *args, cpu: str|None=None) -> np.ndarray:
    "Run `code` in this venv's Python (under QEMU's `cpu` when given) with `payload` as JSON on stdin; its JSON answer."
    qemu = []
    if cpu:
        exe = shutil.which('qemu-x86_64')
        assert exe, 'qemu-x86_64 missing: `make emulator` installs Debian qemu-user'
        qemu = [exe, '-cpu', cpu]
    r = subprocess.run([*qemu, sys.executable, '-c', code, *args], input=json.dumps(payload), capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    return np.array(json.loads(r.stdout.strip().splitlines()[-1]))


def test_shipped_model_same_answer_on_avx2_only_cpu(data_dir):
    from movie_genres.data import load_splits
    texts = load_splits(data_dir/'Movie_details.csv')['valid'].description.head(6).tolist()
    here, avx2 = run_python(SHIPPED, texts), run_python(SHIPPED, texts, cpu=AVX2_ONLY)
    clf = GenreClassifier.load()
    assert np.abs(here - avx2).max() < 0.02, np.abs(here - avx2).max()      # with 8-bit weights: 0.13 on these six
    assert (clf.decisions(here) == clf.decisions(avx2)).all()
    with np.load(PINNED) as z: pinned = z['probs'][:len(texts)] / 65535     # the notebook's pinned probabilities (08_inference)
    for scores in (here, avx2): assert np.abs(clf.calibrate(scores) - pinned).max() < 0.05


def test_eight_bit_weights_saturate_where_seven_do_not(tmp_path):
    import onnx
    from onnx import helper as oh, numpy_helper as nh
    from movie_genres.export import quantize_int8, int8_products_exact
    w = np.full((64, 4), 0.5, np.float32); w[:, 1] = -0.5                       # every weight at the int8 grid's edge
    g = oh.make_graph([oh.make_node('MatMul', ['x', 'w'], ['y'])], 'g', [oh.make_tensor_value_info('x', onnx.TensorProto.FLOAT, ['n', 64])],
                      [oh.make_tensor_value_info('y', onnx.TensorProto.FLOAT, ['n', 4])], [nh.from_array(w, 'w')])
    onnx.save(oh.make_model(g, opset_imports=[oh.make_opsetid('', 17)]), tmp_path/'fp32.onnx')
    x = np.ones((2, 64), np.float32); x[1, ::2] = 0                           # activations at the uint8 grid's edge
    for bits in (7, 8): quantize_int8(tmp_path/'fp32.onnx', tmp_path/f'w{bits}.onnx', weight_bits=bits)
    y = {(bits, cpu): run_python(ONE_MATRIX, x.tolist(), str(tmp_path/f'w{bits}.onnx'), cpu=cpu) for bits in (7, 8) for cpu in (None, AVX2_ONLY)}
    assert np.abs(y[7, None] - y[7, AVX2_ONLY]).max() < 1e-4                  # 7-bit: the same on both CPUs ...
    assert np.abs(y[7, None] - x @ w).max() < 0.5                             # ... and right (x @ w is ±32 and ±16)
    assert np.abs(y[8, AVX2_ONLY] - x @ w).max() > 1, y[8, AVX2_ONLY]         # 8-bit: saturated on AVX2 alone ...
    if int8_products_exact(): assert np.abs(y[8, None] - x @ w).max() < 0.5   # ... exact here where VNNI / AMX sum exactly
    else: assert np.abs(y[8, None] - y[8, AVX2_ONLY]).max() < 1e-4            # ... and the same here where this CPU is such a one
