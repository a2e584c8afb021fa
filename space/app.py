"""Hugging Face Space entry point: serves movie_genres' Gradio page on $GRADIO_SERVER_PORT (default 7860)."""
import os, sys
from pathlib import Path

try: import movie_genres  # installed from requirements.txt, or bundled beside this file
except ImportError: sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a repo checkout

from movie_genres.app import serve

if __name__ == '__main__':
    serve(model=os.environ.get('MOVIE_GENRES_MODEL'))
