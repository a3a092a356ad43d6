"""``sklearn-audio tags``: the top tags of audio files by a pretrained musicnn network."""

import json

from ._errors import UserError
from ._predict import audio_paths
from ._tensorflow import import_tensorflow_quietly


def tags(args):
    """Print each file's ``args.top`` most probable tags (``--json``: one JSON list)."""
    files = audio_paths(args.files)  # every path checked before the network is built
    if args.top > 50:
        raise UserError(f"--top {args.top}: the models have 50 tags")
    import_tensorflow_quietly()
    from ..pretrained import format_tags, tag_files

    rows = tag_files(files, model=args.model, top_n=args.top)
    if args.json:
        print(json.dumps([
            {"file": str(path), "tags": {tag: round(p, 6) for tag, p in pairs}}
            for path, pairs in rows
        ], indent=2))
    else:
        print("\n".join(format_tags(rows)), flush=True)
    return 0
