"""Render `nbs/index.ipynb` to `README.md`: run it (its figures come from the records it reads: the model's
`config.json`, `nbs/data/bench.json`, ...), drop `#| hide` cells and the input of `#| echo: false` cells, strip cell
directives, and write Markdown. `make readme` runs it; `tests/test_docs.py` checks that README.md is what it renders now."""
from __future__ import annotations
import re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def render() -> str:
    "README.md's text, from the index notebook as it runs now."
    import nbformat
    from nbconvert import MarkdownExporter
    from nbconvert.preprocessors import ExecutePreprocessor, TagRemovePreprocessor
    nb = nbformat.read(ROOT/'nbs'/'index.ipynb', as_version=4)
    ExecutePreprocessor(timeout=300, kernel_name='python3').preprocess(nb, {'metadata': {'path': str(ROOT/'nbs')}})
    nb.cells = [c for c in nb.cells if not (c.cell_type == 'code' and re.search(r'^#\|\s*hide\s*$', c.source, re.M))]
    for c in nb.cells:
        if c.cell_type != 'code': continue
        lines = c.source.splitlines()
        if any(re.match(r'#\|\s*echo:\s*false', l) for l in lines): c.metadata['tags'] = ['remove_input']
        c.source = '\n'.join(l for l in lines if not l.startswith('#|'))
    exporter = MarkdownExporter(exclude_input_prompt=True, exclude_output_prompt=True)
    exporter.register_preprocessor(TagRemovePreprocessor(remove_input_tags=('remove_input',)), enabled=True)
    body, _ = exporter.from_notebook_node(nb)
    return re.sub(r'\n{3,}', '\n\n', body).strip() + '\n'


if __name__ == '__main__':
    (ROOT/'README.md').write_text(render())
    print('README.md rendered from nbs/index.ipynb', file=sys.stderr)
