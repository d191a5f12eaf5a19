"""Writing the evidence files together: staged in a hidden folder, then moved in place.

Each file appears whole or not at all (``os.replace``), and ``manifest.json``, written last,
lists the sha256 of the files written with it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

MANIFEST = "manifest.json"


def write_atomically(directory: Path, files: dict[str, bytes]) -> dict[str, str]:
    """Write ``files`` (name -> content) and their manifest into ``directory``.

    :returns: the sha256 of each file.
    """
    directory.mkdir(parents=True, exist_ok=True)
    digests = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    manifest = {"algorithm": "sha256",
                "files": {name: {"sha256": digests[name], "bytes": len(data)}
                          for name, data in sorted(files.items())}}
    staged = {**files, MANIFEST: (json.dumps(manifest, indent=1) + "\n").encode()}
    staging = Path(tempfile.mkdtemp(prefix=".cmaad-staging-", dir=directory))
    try:
        for name, data in staged.items():
            with open(staging / name, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        for name in staged:
            os.replace(staging / name, directory / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return digests
