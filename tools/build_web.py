"""Assemble the browser page into a folder: the page (web/index.html, web/genres.js), the pinned JavaScript libraries it
loads (from web/node_modules, installed by `npm ci --ignore-scripts` when missing) and the model folder in the Hub's
layout (`hub.hub_folder`: model/config.json, tokenizer files, model/onnx/model_quantized.onnx). Nothing is fetched from a CDN at run time.

    python tools/build_web.py OUT [--model DIR]

`make docs` puts it at _docs/try/ (the "Try it in your browser" page embeds it); `make space-static` makes a static
Hugging Face Space of it.
"""
from __future__ import annotations
import argparse, shutil, subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT/'web'
VENDOR = {   # what the page loads, from the pinned packages (web/package-lock.json)
    'transformers.web.min.js': '@huggingface/transformers/dist/transformers.web.min.js',
    'ort.wasm.bundle.min.mjs': 'onnxruntime-web/dist/ort.wasm.bundle.min.mjs',
    'ort-wasm-simd-threaded.mjs': 'onnxruntime-web/dist/ort-wasm-simd-threaded.mjs',
    'ort-wasm-simd-threaded.wasm': 'onnxruntime-web/dist/ort-wasm-simd-threaded.wasm',
}
PAGE_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json']   # and the graph, where transformers.js looks (hub.JS_GRAPH)


def npm_packages(files=VENDOR.values(), # files the caller needs from the packages
                ) -> Path:
    "web/node_modules, installed from the lock file if a file needed is missing (scripts off: onnxruntime-node's would download)."
    modules = WEB/'node_modules'
    if not all((modules/src).exists() for src in files):
        subprocess.run(['npm', 'ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], cwd=WEB, check=True)
    return modules


def build_web(out: Path, model: Path|None=None) -> int:
    "Write the page, its libraries and the model into `out`; returns the bytes a first visit downloads."
    from movie_genres.hub import hub_folder
    modules, out = npm_packages(), Path(out)
    shutil.rmtree(out, ignore_errors=True); (out/'vendor').mkdir(parents=True)
    for name, src in VENDOR.items(): shutil.copy(modules/src, out/'vendor'/name)
    hub_folder(out/'model', model, files=PAGE_FILES)                  # the model folder in the Hub's layout
    shutil.copy(WEB/'genres.js', out/'genres.js')
    size = sum(p.stat().st_size for p in out.rglob('*') if p.is_file()) + len((WEB/'index.html').read_bytes())
    (out/'index.html').write_text((WEB/'index.html').read_text().replace('__DOWNLOAD_SIZE__', f'{size/1e6:.0f} MB'))
    return size


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('out', type=Path); p.add_argument('--model', type=Path)
    a = p.parse_args()
    print(f"{a.out}: the browser page, {build_web(a.out, a.model)/1e6:.1f} MB")
